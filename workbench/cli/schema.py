"""`workbench schema validate FILE…`, `workbench schema test PATH…` and `workbench schema codegen FILE`.

validate prints `file:line:column: problem` for every problem (exit 1 if any); test runs every
`*_tests.yml` against the schemas found beside it and prints PASS/FAIL per test (exit 1 on any failure);
codegen prints the Python the parser generates for a schema (the file names are the ones tracebacks show).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NotRequired, TypedDict

from workbench.errors import WorkbenchError
from workbench.safetext import one_line
from workbench.wording import plural


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("schema", help="validate Panther schemas and run their test files",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="schema_command", metavar="ACTION")
    v = sub.add_parser("validate", help="check schema YAML; problems with line:column")
    v.add_argument("files", nargs="+", metavar="FILE", help="schema files or directories")
    v.add_argument("--json", action="store_true", help="print results as JSON")
    v.set_defaults(func=run_validate)
    t = sub.add_parser("test", help="run Panther schema test files (*_tests.yml)")
    t.add_argument("paths", nargs="+", metavar="PATH", help="directories or files (schemas and *_tests.yml)")
    t.add_argument("--json", action="store_true", help="print results as JSON")
    t.set_defaults(func=run_test)
    w = sub.add_parser("write-test", help="write a Panther test file (*_tests.yml) from sample lines")
    w.add_argument("schema", metavar="SCHEMA", help="the schema YAML the tests are for")
    w.add_argument("inputs", nargs="+", metavar="INPUT", help="files of sample lines (any compression); '-' for stdin")
    w.add_argument("--out", required=True, metavar="FILE", help="test file to write, e.g. schemas/MyLog_tests.yml")
    w.add_argument("--limit", type=int, default=10, metavar="N", help="at most N tests (default 10)")
    w.set_defaults(func=run_write_test)
    c = sub.add_parser("codegen", help="print the Python source the parser generates for a schema")
    c.add_argument("schema", metavar="FILE", help="the schema YAML")
    c.set_defaults(func=run_codegen)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def run_codegen(args: argparse.Namespace) -> int:
    from workbench.parse import generated_source
    from workbench.schema import load_schema

    sys.stdout.write(generated_source(load_schema(args.schema)))
    return 0


def _schema_files(paths: list[str]) -> list[Path]:
    from workbench.schema import is_schema_file

    out = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and is_schema_file(f))
        elif p.exists():
            out.append(p)
        else:
            raise WorkbenchError(f"{p} does not exist.")
    return out


class _Problem(TypedDict):
    line: int
    column: int
    message: str


class _Checked(TypedDict):
    """One file in `schema validate --json` output; `schema`, `fields` and `warnings` only when it is valid."""

    file: str
    ok: bool
    problems: list[_Problem]
    schema: NotRequired[str | None]
    fields: NotRequired[int]
    warnings: NotRequired[list[str]]


def run_validate(args: argparse.Namespace) -> int:
    import orjson

    from workbench.schema import load_schema, validate_schema_text
    from workbench.schema.advice import schema_warnings
    from workbench.source.signatures import shipped_log_types

    bad = 0
    results: list[_Checked] = []
    for f in _schema_files(args.files):
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            bad += 1
            results.append({"file": str(f), "ok": False,
                            "problems": [{"line": 0, "column": 0, "message": f"cannot read: {e.__class__.__name__}"}]})
            continue
        problems = validate_schema_text(text)
        if problems:
            bad += 1
        entry: _Checked = {"file": str(f), "ok": not problems,
                           "problems": [{"line": p.line, "column": p.column, "message": p.message} for p in problems]}
        if not problems:
            s = load_schema(text)
            entry["schema"] = s.name
            entry["fields"] = len(s.fields)
            entry["warnings"] = schema_warnings(s, shipped_log_types())  # valid, but worth knowing (no event time …)
        results.append(entry)
    if args.json:
        sys.stdout.write(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for r in results:
            if r["ok"]:
                print(f"ok   {one_line(r['file'])} ({r.get('schema') or 'unnamed'}, {r.get('fields', 0)} fields)")
            for p in r["problems"]:
                print(f"{one_line(r['file'])}:{p['line']}:{p['column']}: {one_line(p['message'])}")
            for w in r.get("warnings", ()):
                print(f"{one_line(r['file'])}: warning: {one_line(w)}")
    return 1 if bad else 0


def run_test(args: argparse.Namespace) -> int:
    import orjson

    from workbench.parse.schema_tests import run_schema_tests

    report = run_schema_tests(args.paths)
    if args.json:
        sys.stdout.write(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for r in report.results:
            status = "PASS" if r.passed else "FAIL"
            line = f"{status} {one_line(r.name, 200)} [{r.log_type}]"
            if not r.passed:
                line += f": {one_line(r.message, 600)}"
            print(line)
        for p in report.problems:
            print(f"FAIL {one_line(p, 600)}")
        print(f"{report.passed} passed, {report.failed} failed")
    return 0 if report.ok else 1


def run_write_test(args: argparse.Namespace) -> int:
    from workbench.parse.schema_tests import write_schema_test
    from workbench.schema import load_schema
    from workbench.source.local import read_local_records

    schema = load_schema(args.schema)
    records = [r for r in read_local_records(args.inputs) if r.text.strip()][: max(1, args.limit)]
    n = write_schema_test(schema, records, args.out)
    print(f"wrote {plural(n, 'test')} for {schema.name} to {one_line(args.out)}", file=sys.stderr)
    return 0
