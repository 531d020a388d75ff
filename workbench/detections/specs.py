"""Read a content directory in the panther-analysis layout into validated specs.

Rules and scheduled rules are run; global helpers and data models support them; correlation rules,
policies and Simple Detections are listed as skipped with the reason. A file that fails validation is
reported on its own (`InvalidSpec`) and never stops the others from loading. Validation follows the
strictness of Panther's CLI: unknown keys and wrong types are errors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from workbench.detections.spec_cache import ENCODED_LOG, YamlCache, encode_log
from workbench.detections.yaml_error import YamlError

SEVERITIES = ("Info", "Low", "Medium", "High", "Critical")
RUN_TYPES = ("rule", "scheduled_rule")
SKIP_REASONS = {
    "correlation_rule": "correlation rules are evaluated by Panther's backend, not locally",
    "policy": "policies evaluate cloud resources, not log events; not run by this workbench",
}
IGNORED_TYPES = {"scheduled_query", "saved_query", "lookup_table", "pack", "derived"}

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


@dataclass(frozen=True)
class TestCase:
    """One entry of a rule's `Tests:` list. The event is kept as the JSON the worker receives (`log_json`):
    the parent never needs it as objects, and building them is most of the cost of a big repository."""

    index: int
    name: str
    expected_result: bool
    log_json: bytes
    mocks: tuple[tuple[str, Any], ...] = ()
    expected_destinations: tuple[str, ...] | None = None

    @property
    def log(self) -> dict:
        return orjson.loads(self.log_json)


@dataclass(frozen=True)
class RuleSpec:
    """A streaming or scheduled rule: its YAML metadata and the path of its Python file."""

    rule_id: str
    analysis_type: str
    enabled: bool
    log_types: tuple[str, ...]
    severity: str
    path: Path  # the YAML file
    py_path: Path
    display_name: str | None = None
    description: str | None = None
    reference: str | None = None
    runbook: str | None = None
    dedup_period_minutes: int = 60
    threshold: int = 1
    tags: tuple[str, ...] = ()
    reports: dict = field(default_factory=dict)
    summary_attributes: tuple[str, ...] = ()
    output_ids: tuple[str, ...] = ()
    create_alert: bool = True
    scheduled_queries: tuple[str, ...] = ()
    tests: tuple[TestCase, ...] = ()
    has_inline_filters: bool = False
    raw: dict = field(default_factory=dict, repr=False, compare=False)  # the YAML mapping, for --filter

    def worker_spec(self, ordinal: int) -> dict:
        """What the worker process needs to import and run this rule (plain JSON)."""
        return {
            "ordinal": ordinal,
            "rule_id": self.rule_id,
            "analysis_type": self.analysis_type,
            "py_path": str(self.py_path),
            "severity": self.severity,
            "display_name": self.display_name,
            "description": self.description,
            "reference": self.reference,
            "runbook": self.runbook,
            "output_ids": list(self.output_ids),
            "create_alert": self.create_alert,
            "enabled": self.enabled,
            "log_types": list(self.log_types),
            "mtime": _mtime(self.py_path),
        }


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@dataclass(frozen=True)
class DataModelSpec:
    """A data model: its log types, mappings and the Python file of its Method mappings."""

    model_id: str
    enabled: bool
    log_types: tuple[str, ...]
    mappings: tuple[dict, ...]
    path: Path
    py_path: Path | None = None

    def worker_spec(self) -> dict:
        return {"model_id": self.model_id, "log_types": list(self.log_types), "mappings": list(self.mappings),
                "py_path": str(self.py_path) if self.py_path else None}


@dataclass(frozen=True)
class GlobalSpec:
    """A global helper, importable by its GlobalID."""

    global_id: str
    path: Path
    py_path: Path


@dataclass(frozen=True)
class InvalidSpec:
    """A file that could not be used, with one plain-language reason."""

    path: Path
    message: str
    rule_id: str | None = None


@dataclass(frozen=True)
class SkippedSpec:
    """A spec listed but not run, with the reason."""

    path: Path
    analysis_id: str
    reason: str


@dataclass
class Content:
    """Everything loaded from one content directory."""

    root: Path
    rules: list[RuleSpec] = field(default_factory=list)
    data_models: list[DataModelSpec] = field(default_factory=list)
    globals: list[GlobalSpec] = field(default_factory=list)
    invalid: list[InvalidSpec] = field(default_factory=list)
    skipped: list[SkippedSpec] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every YAML and Python file the content depends on


# --- walking -----------------------------------------------------------------------------------------------

def _yaml_files(root: Path) -> Iterable[Path]:
    """`*.yml`/`*.yaml` under root, sorted per folder; hidden entries and __pycache__ skipped."""
    return (path for path, _link in _walk_yaml(root))


def _walk_yaml(root: Path, listings: dict[str, dict[str, os.DirEntry]] | None = None
               ) -> Iterable[tuple[Path, bool]]:
    """(file, whether it is a symlink) for `_yaml_files(root)`, in the same order (what os.walk with
    sorted folders gives), from one directory listing per folder: the listing's entries also tell whether
    a file is a link (and a plain file), which would otherwise cost a system call per file. `listings`
    collects each folder's files by name (see `_Listings`)."""
    if root.is_file():
        yield root, root.is_symlink()
        return
    yield from _walk_dir(str(root), listings)


def _walk_dir(top: str, listings: dict[str, dict[str, os.DirEntry]] | None) -> Iterable[tuple[Path, bool]]:
    try:
        with os.scandir(top) as it:
            entries = list(it)
    except OSError:
        return  # as os.walk: an unreadable folder is skipped
    dirs: list[os.DirEntry] = []
    files: list[os.DirEntry] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        (dirs if is_dir else files).append(entry)
    if listings is not None:
        listings[top] = {e.name: e for e in files}
    for entry in sorted(files, key=_name):
        name = entry.name
        if not name.startswith(".") and name.endswith((".yml", ".yaml")):
            try:
                link = entry.is_symlink()
            except OSError:
                link = False
            yield Path(entry.path), link
    for entry in sorted(dirs, key=_name):
        name = entry.name
        if name.startswith(".") or name == "__pycache__" or entry.is_symlink():
            continue  # os.walk does not follow symlinked folders either
        yield from _walk_dir(entry.path, listings)


def _name(entry: os.DirEntry) -> str:
    return entry.name


def support_dirs(root: Path, cwd: Path | None = None) -> list[Path]:
    """`global_helpers/` and `data_models/` folders found where Panther's CLI looks for them.

    Inside the content path, in its parent, in the current directory and in the current directory's parent.
    """
    cwd = (cwd or Path.cwd()).resolve()
    base = root if root.is_dir() else root.parent
    seen: list[Path] = []
    for place in (base, base.parent, cwd, cwd.parent):
        for name in ("global_helpers", "data_models"):
            d = (place / name).resolve()
            if d.is_dir() and d not in seen:
                seen.append(d)
    return seen


def load_content(root: str | os.PathLike, *, cwd: Path | None = None,
                 defer_cache_write: list[Callable[[], None]] | None = None,
                 on_data_model: Callable[[DataModelSpec], None] | None = None) -> Content:
    """Load rules, data models and helpers from `root` (a directory or one YAML file).

    `defer_cache_write`: a list to append the parse cache's write to instead of writing it here (the
    caller runs it when it would otherwise wait, e.g. on the rule workers importing the rules).
    `on_data_model(spec)`: called for each data model as soon as it is read (they come first in the walk)."""
    root = Path(root).resolve()
    content = Content(root=root)
    if not root.exists():
        content.invalid.append(InvalidSpec(root, f"{root} does not exist"))
        return content
    files: list[tuple[Path, bool]] = []  # (file, only a support file: outside the content path)
    seen: set[str] = set()  # real paths as text: hashing a Path costs several times more
    inside = root if root.is_dir() else root.parent
    listings: dict[str, dict[str, os.DirEntry]] = {}
    for f, link in _walk_yaml(root, listings):
        real = f.resolve() if link else f  # os.walk-style walks never enter symlinked folders
        files.append((f, not real.is_relative_to(inside)) if real is not f else (f, False))
        seen.add(str(real))
    for d in support_dirs(root, cwd):
        if d.is_relative_to(inside) and root.is_dir():
            continue  # already walked
        for f, link in _walk_yaml(d, listings):
            real = f.resolve() if link else f
            if str(real) not in seen:
                files.append((f, not real.is_relative_to(inside)))
                seen.add(str(real))
    beside = _Listings(listings)
    rule_ids: dict[str, Path] = {}
    cache = YamlCache(root, len(files))
    try:
        cache.prefetch([f for f, _support in files])
        models = 0
        for f, support_only in files:
            _load_one(f, content, rule_ids, cache, support_only=support_only, files=beside)
            if on_data_model is not None and len(content.data_models) > models:
                for dm in content.data_models[models:]:
                    on_data_model(dm)
                models = len(content.data_models)
        if defer_cache_write is None:
            cache.save()
        else:
            cache.finish()
            defer_cache_write.append(cache.write)
    finally:
        cache.close()
    _check_data_model_conflicts(content)
    return content


def _may_be_spec(path: Path) -> bool:
    """Whether a YAML file that failed to load could be a Panther spec: one without `AnalysisType` anywhere
    (a schema's multi-document test file next to the rules) is not reported as an invalid spec."""
    try:
        return b"AnalysisType" in path.read_bytes()
    except OSError:
        return True


def _load_one(path: Path, content: Content, rule_ids: dict[str, Path], cache: YamlCache, *,
              support_only: bool, files: _Listings | None = None) -> None:
    try:
        raw = cache.load(path)
    except (YamlError, OSError) as e:
        if not support_only and _may_be_spec(path):
            content.invalid.append(InvalidSpec(path, str(e)))
        return
    if not isinstance(raw, Mapping) or "AnalysisType" not in raw:
        return  # not a Panther spec (e.g. a pack list or an unrelated YAML file)
    kind = raw.get("AnalysisType")
    content.files.append(path)
    try:
        if kind in RUN_TYPES:
            if support_only:
                return
            if "Detection" in raw and "Filename" not in raw:
                _check_keys(raw, RULE_KEYS)
                content.skipped.append(SkippedSpec(path, str(raw.get("RuleID")),
                                                   "Simple Detection (YAML `Detection:`) needs Panther's API to evaluate"))
                return
            spec = _rule(raw, path, files)
            if spec.rule_id in rule_ids:
                raise SpecError(f"RuleID {spec.rule_id!r} is already used by {rule_ids[spec.rule_id]}")
            rule_ids[spec.rule_id] = path
            content.rules.append(spec)
            content.files.append(spec.py_path)
        elif kind == "datamodel":
            dm = _data_model(raw, path, files)
            content.data_models.append(dm)
            if dm.py_path:
                content.files.append(dm.py_path)
        elif kind == "global":
            g = _global(raw, path, files)
            if not any(x.global_id == g.global_id for x in content.globals):
                content.globals.append(g)
                content.files.append(g.py_path)
        elif kind in SKIP_REASONS:
            if not support_only:
                ident = raw.get("RuleID") or raw.get("PolicyID") or path.stem
                content.skipped.append(SkippedSpec(path, str(ident), SKIP_REASONS[kind]))
        elif kind in IGNORED_TYPES:
            return
        else:
            raise SpecError(f"unknown AnalysisType {kind!r}")
    except SpecError as e:
        if not support_only or kind in ("datamodel", "global"):
            rid = raw.get("RuleID") if isinstance(raw.get("RuleID"), str) else None
            content.invalid.append(InvalidSpec(path, f"{path}: {e}", rid))


# --- validation --------------------------------------------------------------------------------------------

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


class _Listings:
    """The walk's folder listings: whether a file beside a spec is a plain file (not a link), without a
    system call per file. False when the listing cannot tell (another folder, a link, a name it lacks): the
    caller then asks the file system."""

    def __init__(self, listings: Mapping[str, Mapping[str, os.DirEntry]] | None):
        self.listings = listings or {}

    def plain_file(self, folder: Path, name: str) -> bool:
        entry = self.listings.get(str(folder), {}).get(name)
        try:
            return entry is not None and not entry.is_symlink() and entry.is_file()
        except OSError:
            return False


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


def _check_data_model_conflicts(content: Content) -> None:
    owner: dict[str, DataModelSpec] = {}
    keep = []
    for dm in content.data_models:
        clash = next((owner[lt] for lt in dm.log_types if dm.enabled and lt in owner), None)
        if clash is not None:
            content.invalid.append(InvalidSpec(dm.path, f"{dm.path}: Conflicting Enabled LogType: data model "
                                                        f"{dm.model_id!r} and {clash.model_id!r} both cover "
                                                        f"{', '.join(sorted(set(dm.log_types) & set(clash.log_types)))}"))
            continue
        if dm.enabled:
            for lt in dm.log_types:
                owner[lt] = dm
        keep.append(dm)
    content.data_models = keep
