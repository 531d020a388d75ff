"""One spec's YAML mapping → a validated `RuleSpec`, `DataModelSpec` or `GlobalSpec`, as strict as
Panther's CLI: unknown keys and wrong types are errors (`SpecError`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.detections.spec_cache import ENCODED_LOG, encode_log
from workbench.detections.spec_types import DataModelSpec, GlobalSpec, RuleSpec, TestCase
from workbench.detections.spec_walk import _Listings

SEVERITIES = ("Info", "Low", "Medium", "High", "Critical")
RULE_KEYS = {
    "AnalysisType", "RuleID", "Enabled", "Filename", "Detection", "LogTypes", "ScheduledQueries", "Severity",
    "DisplayName", "Description", "Reference", "Runbook", "DedupPeriodMinutes", "Threshold", "Tags", "Reports",
    "SummaryAttributes", "OutputIds", "InlineFilters", "CreateAlert", "Status", "CreatedBy",
    "OnlyUseBaseRiskScore", "BaseVersion", "AlertTitle", "AlertContext", "GroupBy", "DynamicSeverities", "Tests",
    "BaseDetection", "Suppressions",
}
TEST_KEYS = {"Name", "ExpectedResult", "Log", "Mocks", "ExpectedDestinations", "LogType", "ResourceType"}
DATAMODEL_KEYS = {"AnalysisType", "DataModelID", "DisplayName", "Enabled", "LogTypes", "Filename", "Mappings"}
GLOBAL_KEYS = {"AnalysisType", "GlobalID", "Filename", "Description", "Tags"}
FORBIDDEN_ID_CHARS = set('<>&"%')


class SpecError(ValueError):
    """One validation problem in one spec file."""


def _check_keys(raw: Mapping, allowed: set[str]) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise SpecError(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _req(raw: Mapping, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if key not in raw or raw[key] is None:
        raise SpecError(f"missing required key {key!r}")
    return _typed(raw, key, kind, what)


def _typed(raw: Mapping, key: str, kind: type | tuple[type, ...], what: str, default: Any = None) -> Any:
    value = raw.get(key, default)
    if value is None:
        return default
    # bool is an int in Python; YAML `true` is never a valid int here
    if not isinstance(value, kind) or (kind in (int, (int,)) and isinstance(value, bool)):
        raise SpecError(f"{key!r} must be {what}, got {type(value).__name__} {value!r}")
    return value


def _str_list(raw: Mapping, key: str, *, required: bool = False, unique: bool = True) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        if required:
            raise SpecError(f"missing required key {key!r}")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{key!r} must be a list of strings")
    if unique and len(set(value)) != len(value):
        dup = next(v for v in value if value.count(v) > 1)
        raise SpecError(f"{key!r} lists {dup!r} more than once")
    return tuple(value)


def _py_file(raw: Mapping, path: Path, files: _Listings | None = None) -> Path:
    name = _req(raw, "Filename", str, "a file name")
    py = path.parent / name
    if "/" not in name and os.sep not in name and files is not None and files.plain_file(path.parent, name):
        return py  # listed in its folder as a plain file: what the checks below would find
    if "/" in name or os.sep in name or py.is_symlink():  # only then can the path differ from its real one
        py = py.resolve()
    if not py.is_file():
        raise SpecError(f"Filename {name!r} does not exist beside the YAML")
    return py


def _rule(raw: Mapping, path: Path, files: _Listings | None = None) -> RuleSpec:
    _check_keys(raw, RULE_KEYS)
    kind = raw["AnalysisType"]
    rule_id = _req(raw, "RuleID", str, "a string")
    if FORBIDDEN_ID_CHARS & set(rule_id) or not rule_id.strip():
        raise SpecError(f"RuleID {rule_id!r} must not be empty or contain any of < > & \" %")
    enabled = _req(raw, "Enabled", bool, "true or false")
    severity = _req(raw, "Severity", str, "a string")
    if severity not in SEVERITIES:
        raise SpecError(f"Severity {severity!r} must be one of {', '.join(SEVERITIES)}")
    if kind == "rule":
        log_types = _str_list(raw, "LogTypes", required=True)
        queries: tuple[str, ...] = ()
    else:
        log_types = _str_list(raw, "LogTypes")
        queries = _str_list(raw, "ScheduledQueries", required=True)
    dedup = _typed(raw, "DedupPeriodMinutes", int, "an integer", 60)
    threshold = _typed(raw, "Threshold", int, "an integer", 1)
    create_alert = _typed(raw, "CreateAlert", bool, "true or false", True)
    for key in ("DisplayName", "Description", "Reference", "Runbook"):
        _typed(raw, key, str, "a string")
    reports = _typed(raw, "Reports", Mapping, "a mapping", {})
    tests = _tests(raw.get("Tests"))
    return RuleSpec(
        rule_id=rule_id, analysis_type=kind, enabled=enabled, log_types=log_types, severity=severity,
        path=path, py_path=_py_file(raw, path, files), display_name=raw.get("DisplayName"),
        description=raw.get("Description"), reference=raw.get("Reference"), runbook=raw.get("Runbook"),
        # Panther ignores 0 and raises anything under 5 to 5 on upload
        dedup_period_minutes=max(5, dedup) if dedup else 60, threshold=max(1, threshold),
        tags=_str_list(raw, "Tags"), reports=dict(reports), summary_attributes=_str_list(raw, "SummaryAttributes"),
        output_ids=_str_list(raw, "OutputIds"), create_alert=create_alert, scheduled_queries=queries, tests=tests,
        has_inline_filters="InlineFilters" in raw, raw=dict(raw),
    )


def _tests(raw: Any) -> tuple[TestCase, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SpecError("'Tests' must be a list of test cases")
    out = []
    for i, case in enumerate(raw):
        if type(case) is dict and TEST_KEYS.issuperset(case) and "Mocks" not in case \
                and "ExpectedDestinations" not in case:
            # the usual case, as read from the parse cache: what the checks below accept, without them
            name, expected, log = case.get("Name"), case.get("ExpectedResult"), case.get("Log")
            if type(name) is str and type(expected) is bool and type(log) is tuple and log[0] == ENCODED_LOG:
                out.append(TestCase(i, name, expected, log[1]))
                continue
        if not isinstance(case, Mapping):
            raise SpecError(f"test #{i + 1} must be a mapping with Name, ExpectedResult and Log")
        label = f"test #{i + 1}"
        unknown = () if TEST_KEYS.issuperset(case) else sorted(str(k) for k in case if k not in TEST_KEYS)
        if unknown:
            raise SpecError(f"{label}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(TEST_KEYS))})")
        try:
            name = _req(case, "Name", str, "a string")
            label = f"test {name!r}"
            expected = _req(case, "ExpectedResult", bool, "true or false")
            log = case.get("Log")
            if type(log) is tuple and log[0] == ENCODED_LOG:  # checked and encoded when it was cached
                log_json = log[1]
            else:
                log_json = encode_log(_req(case, "Log", Mapping, "a mapping"))
            mocks = []
            for m in _typed(case, "Mocks", list, "a list", []):
                if not isinstance(m, Mapping) or set(m) != {"objectName", "returnValue"}:
                    raise SpecError("each mock needs exactly objectName and returnValue")
                if not isinstance(m["objectName"], str):
                    raise SpecError("a mock's objectName must be a string")
                if not isinstance(m["returnValue"], (str, bool)):
                    raise SpecError("a mock's returnValue must be a string or a boolean")
                mocks.append((m["objectName"], m["returnValue"]))
            dests = case.get("ExpectedDestinations")
            if dests is not None and (not isinstance(dests, list) or not all(isinstance(d, str) for d in dests)):
                raise SpecError("ExpectedDestinations must be a list of strings")
        except SpecError as e:
            raise SpecError(f"{label}: {e}") from None
        out.append(TestCase(i, name, expected, log_json, tuple(mocks), tuple(dests) if dests is not None else None))
    return tuple(out)


def _data_model(raw: Mapping, path: Path, files: _Listings | None = None) -> DataModelSpec:
    _check_keys(raw, DATAMODEL_KEYS)
    model_id = _req(raw, "DataModelID", str, "a string")
    enabled = _req(raw, "Enabled", bool, "true or false")
    log_types = _str_list(raw, "LogTypes", required=True)
    mappings = _req(raw, "Mappings", list, "a list")
    clean = []
    for m in mappings:
        if not isinstance(m, Mapping):
            raise SpecError("each mapping must be a mapping with Name and Path or Method")
        low = {str(k).lower(): v for k, v in m.items()}
        if not isinstance(low.get("name"), str):
            raise SpecError("each mapping needs a Name")
        if ("path" in low) == ("method" in low):
            raise SpecError(f"mapping {low['name']!r} needs exactly one of Path or Method")
        clean.append(dict(m))
    py = _py_file(raw, path, files) if raw.get("Filename") else None
    if any("method" in {str(k).lower() for k in m} for m in clean) and py is None:
        raise SpecError("Method mappings need a Filename with the functions")
    return DataModelSpec(model_id, enabled, log_types, tuple(clean), path, py)


def _global(raw: Mapping, path: Path, files: _Listings | None = None) -> GlobalSpec:
    _check_keys(raw, GLOBAL_KEYS)
    gid = _req(raw, "GlobalID", str, "a string")
    if not gid.isidentifier():
        raise SpecError(f"GlobalID {gid!r} must be a Python module name")
    return GlobalSpec(gid, path, _py_file(raw, path, files))
