"""Panther / pantherlog schema test files: run them, and write them from chosen sample records.

A test file (`*_tests.yml`) holds YAML documents with `name`, `logType`, `input` and `result` or `results`.
Each input line is parsed with the schema named by `logType`; outputs are compared as whole JSON objects
after copying the actual `p_row_id` and `p_parse_time` into the expected one (they are never stable).
`p_event_time` is checked: when the expected object has none, the event must have had no event time.
Timestamps in the expected object may be written as RFC 3339 or in Panther's stored text.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from workbench.errors import WorkbenchError
from workbench.files import atomic_write
from workbench.model import Record
from workbench.parse import ParseError, compile_parser
from workbench.schema import Field, Schema, is_schema_file, load_schema
from workbench.schema.dump import _Dumper
from workbench.schema.names import column_name
from workbench.schema.timeformats import parse_any_text

TEST_KEYS = ("name", "logType", "input", "result", "results", "description")
IGNORED = ("p_row_id", "p_parse_time")


@dataclass
class SchemaTestResult:
    file: str
    name: str
    log_type: str
    passed: bool
    message: str = ""

    def to_json(self) -> dict:
        return {"file": self.file, "name": self.name, "log_type": self.log_type, "passed": self.passed,
                "message": self.message}


@dataclass
class SchemaTestReport:
    results: list[SchemaTestResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be read at all

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed) + len(self.problems)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and bool(self.results)

    def to_json(self) -> dict:
        return {"passed": self.passed, "failed": self.failed, "results": [r.to_json() for r in self.results],
                "problems": self.problems}


def is_test_file(p: Path) -> bool:
    return p.suffix in (".yml", ".yaml") and p.stem.endswith("_tests")


def _files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Path]]:
    schema_files: list[Path] = []
    test_files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and is_test_file(f):
                    test_files.append(f)
                elif f.is_file() and is_schema_file(f):
                    schema_files.append(f)
        elif p.is_file():
            if is_test_file(p):
                test_files.append(p)
                schema_files += [f for f in sorted(p.parent.glob("*.y*ml")) if is_schema_file(f)]
            else:
                schema_files.append(p)
        else:
            raise WorkbenchError(f"{p} does not exist.")
    return list(dict.fromkeys(schema_files)), test_files


def _normalise_times(value: Any, fields: tuple[Field, ...]) -> Any:
    """Expected timestamps → stored text, so RFC 3339 in a Panther-written test compares equal."""
    if type(value) is not dict:
        return value
    out = dict(value)
    for f in fields:
        name = column_name(f.name)  # results hold the stored column names
        v = out.get(name)
        if v is None:
            continue
        if f.type == "timestamp" and isinstance(v, str):
            try:
                out[name] = parse_any_text(v)
            except ValueError:
                pass
        elif f.type == "object" and f.fields:
            out[name] = _normalise_times(v, f.fields)
        elif f.type == "array" and f.element is not None and f.element.fields and isinstance(v, list):
            out[name] = [_normalise_times(x, f.element.fields) for x in v]
    return out


def _expected(doc: dict, log_type: str) -> list[Any]:
    out = []
    items = []
    if "result" in doc and doc["result"] is not None:
        items.append(doc["result"])
    items += list(doc.get("results") or [])
    for item in items:
        if isinstance(item, str):
            text = item.replace("{{.LogType}}", log_type)
            if not text.strip():
                continue
            out.append(orjson.loads(text))
        else:
            out.append(item)
    return out


def _diff(expected: dict, actual: dict) -> str:
    bits = []
    for k in expected:
        if k not in actual:
            bits.append(f"{k}: expected {_show(expected[k])}, missing")
        elif expected[k] != actual[k]:
            bits.append(f"{k}: expected {_show(expected[k])}, got {_show(actual[k])}")
    for k in actual:
        if k not in expected:
            bits.append(f"{k}: not expected, got {_show(actual[k])}")
    return "; ".join(bits[:6]) + (f"; … {len(bits) - 6} more" if len(bits) > 6 else "")


def _show(v: Any) -> str:
    s = orjson.dumps(v).decode() if not isinstance(v, str) else repr(v)
    return s if len(s) <= 80 else s[:79] + "…"


def _run_one(doc: dict, schemas: dict[str, Schema], file: str) -> SchemaTestResult:
    name = str(doc.get("name") or "(unnamed)")
    log_type = str(doc.get("logType") or "")
    result = SchemaTestResult(file, name, log_type, False)
    unknown = [k for k in doc if k not in TEST_KEYS]
    if unknown:
        result.message = f"unknown key `{unknown[0]}`; a test has name, logType, input, result/results"
        return result
    if log_type not in schemas:
        result.message = f"no schema named {log_type!r} among the schema files given"
        return result
    schema = schemas[log_type]
    try:
        expected = _expected(doc, log_type)
    except orjson.JSONDecodeError as e:
        result.message = f"expected result is not JSON: {e}"
        return result
    parser = compile_parser(schema)
    actual: list[dict] = []
    for i, line in enumerate(str(doc.get("input") or "").splitlines(), 1):
        got = parser.parse(Record("", "", i, line))
        if got is None:
            continue
        if isinstance(got, ParseError):
            if expected:
                result.message = f"input line {i} did not parse: {got.field + ': ' if got.field else ''}{got.reason}"
                return result
            continue
        actual.append(got)
    if len(actual) != len(expected):
        result.message = f"expected {len(expected)} event(s), got {len(actual)}"
        return result
    for n, (want, got) in enumerate(zip(expected, actual, strict=True), 1):
        if not isinstance(want, dict):
            result.message = f"expected result {n} is not a JSON object"
            return result
        want = _normalise_times(want, schema.fields)
        for k in IGNORED:
            if k in got:
                want[k] = got[k]
            else:
                want.pop(k, None)
        if "p_event_time" not in want:
            if got.get("p_event_time") != got.get("p_parse_time"):
                result.message = f"event {n}: p_event_time {got.get('p_event_time')} is set but the test expects none"
                return result
            want["p_event_time"] = got["p_event_time"]
        else:
            try:
                want["p_event_time"] = parse_any_text(want["p_event_time"])
            except (ValueError, TypeError):
                pass
        if want != got:
            result.message = f"event {n}: {_diff(want, got)}"
            return result
    result.passed = True
    return result


def run_schema_tests(paths: Iterable[str | os.PathLike] | str | os.PathLike,
                     schemas: dict[str, Schema] | None = None) -> SchemaTestReport:
    """Run every test file under `paths` against the schema files under `paths` (and `schemas`)."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    schema_files, test_files = _files(paths)
    report = SchemaTestReport()
    known: dict[str, Schema] = dict(schemas or {})
    for f in schema_files:
        try:
            s = load_schema(f)
        except WorkbenchError as e:
            report.problems.append(str(e))
            continue
        known[s.name or f.stem] = s
    if not test_files:
        report.problems.append("no test files (*_tests.yml) found in " + ", ".join(map(str, paths)))
    for tf in test_files:
        try:
            docs = [d for d in yaml.safe_load_all(tf.read_text(encoding="utf-8")) if d is not None]
        except (yaml.YAMLError, OSError, UnicodeDecodeError) as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{tf}:{mark.line + 1}:{mark.column + 1}" if mark else str(tf)
            report.problems.append(f"{where}: cannot read test file ({getattr(e, 'problem', None) or e.__class__.__name__})")
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                report.problems.append(f"{tf}: each test document must be a mapping with name, logType, input, result")
                continue
            report.results.append(_run_one(doc, known, str(tf)))
    return report


def _result_text(event: dict) -> str:
    out = {k: v for k, v in event.items() if k not in (*IGNORED, "p_source_file")}
    if event.get("p_event_time") == event.get("p_parse_time"):
        out.pop("p_event_time", None)
    return orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n"


def write_schema_test(schema: Schema, records: Iterable[Record | str], path: str | os.PathLike,
                      *, name_prefix: str | None = None) -> int:
    """Write a Panther test file with one test per record that parses; returns how many were written."""
    parser = compile_parser(schema)
    docs = []
    for i, r in enumerate(records, 1):
        rec = r if isinstance(r, Record) else Record("", "", i, str(r))
        got = parser.parse(Record("", "", 1, rec.text))
        if not isinstance(got, dict):
            continue
        label = f"{rec.key}:{rec.line}" if rec.key else f"sample {i}"
        docs.append({"name": f"{name_prefix or schema.name} {label}", "logType": schema.name,
                     "input": rec.text.strip() + "\n", "result": _result_text(got)})
    if not docs:
        raise WorkbenchError(f"None of the chosen records parse with {schema.name}; no test file written.")
    text = yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, explicit_start=True, allow_unicode=False, width=100000)
    atomic_write(path, text)
    return len(docs)
