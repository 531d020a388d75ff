"""Hostile schema YAML through loading, validation, compiling and the schema-test runner: a problem with line:column
or one WorkbenchError sentence, never an exception, a hang, or code execution."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.errors import WorkbenchError
from workbench.model import Record
from workbench.parse import ParseError, compile_parser
from workbench.parse.schema_tests import run_schema_tests
from workbench.schema import dump_schema, load_schema, load_schema_dir, validate_schema_text

from . import corpus
from .checks import assert_plain_sentence

REPO = Path(__file__).resolve().parents[2]
TEXTS = corpus.schema_texts()


def _load(text: str):
    try:
        return load_schema(text)
    except WorkbenchError as e:
        assert_plain_sentence(e, "schema error")
        return None


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_hostile_schema_text_loads_or_says_where(name, tally, tmp_path):
    text = TEXTS[name]
    problems = validate_schema_text(text)
    tally.inputs("schema", entry="schema.validate")
    for p in problems:
        assert p.line >= 0 and p.column >= 0
        assert_plain_sentence(str(p).replace("\n", " "), "schema problem")
    schema = _load(text)
    tally.inputs("schema", entry="schema.load")
    assert (schema is None) == bool(problems) or schema is not None
    if schema is None:
        return
    again = load_schema(dump_schema(schema))  # a loaded schema saves and loads back
    assert dump_schema(again) == dump_schema(schema)
    try:
        parser = compile_parser(schema)
    except WorkbenchError as e:
        assert_plain_sentence(e, "compile error")
        return
    tally.inputs("schema", entry="parse.compile")
    for line in ('{"msg": "x"}', "a b c", corpus.hostile_strings()["combo"]):
        got = parser.parse(Record("b", "k", 1, line))
        assert got is None or isinstance(got, dict | ParseError)


def test_python_tags_never_run(tmp_path):
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    assert validate_schema_text(text)
    assert _load(text) is None
    assert not marker.exists()


def test_a_directory_of_hostile_schemas_loads_the_good_ones(tmp_path, tally):
    for name, text in TEXTS.items():
        (tmp_path / f"{name}.yml").write_text(text, encoding="utf-8", errors="surrogateescape")
    (tmp_path / "good.yml").write_text(corpus.BASE_SCHEMA)
    tally.inputs("schema", len(TEXTS) + 1, entry="schema.load_dir")
    try:
        schemas = load_schema_dir(tmp_path)
    except WorkbenchError as e:  # one bad file may refuse the whole directory, as one sentence
        assert_plain_sentence(e, "schema dir error")
    else:
        assert "Custom.Hostile" in schemas


def test_five_thousand_fields_compile_and_parse(tally):
    schema = load_schema(corpus.wide_schema(5_000))
    parser = compile_parser(schema)
    tally.inputs("schema", entry="parse.compile")
    event = parser.parse(Record("b", "k", 1, '{"f0": "a", "f4999": "z"}'))
    assert isinstance(event, dict) and event["f0"] == "a" and event["f4999"] == "z"


def test_hostile_schema_test_files_are_failures_not_crashes(tmp_path, tally):
    (tmp_path / "Custom.Hostile.yml").write_text(corpus.BASE_SCHEMA)
    bad_tests = {
        "not-yaml_tests.yml": "name: [unclosed\n",
        "wrong-types_tests.yml": "name: 5\nlogType: [x]\ninput: {a: 1}\nresult: 7\n",
        "unknown-log-type_tests.yml": "name: t\nlogType: Nope.Nope\ninput: '{}'\nresult: '{}'\n",
        "hostile-input_tests.yml": ("name: '[/]\x1b]0;t\x07'\nlogType: Custom.Hostile\n"
                                    f"input: {corpus.deep_nesting(5000)!r}\nresult: '{{}}'\n"),
        "empty_tests.yml": "",
    }
    for name, text in bad_tests.items():
        (tmp_path / name).write_text(text)
    tally.inputs("schema", len(bad_tests), entry="schema_tests.run")
    try:
        report = run_schema_tests([tmp_path])
    except WorkbenchError as e:
        assert_plain_sentence(e, "schema test error")
        return
    assert not report.ok


def _parse_in_child(schema_text: str, line: str, timeout: float) -> str:
    """Parse one line in a child process; 'timeout' when it did not finish in time (the child is killed)."""
    code = textwrap.dedent("""
        import sys
        from workbench.schema import load_schema
        from workbench.parse import compile_parser
        from workbench.model import Record
        p = compile_parser(load_schema(sys.stdin.read()))
        print(type(p.parse(Record("b", "k", 1, sys.argv[1]))).__name__)
    """)
    try:
        out = subprocess.run([sys.executable, "-c", code, line], input=schema_text, capture_output=True, text=True,
                             timeout=timeout, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    except subprocess.TimeoutExpired:
        return "timeout"
    return out.stdout.strip() or out.stderr.strip().splitlines()[-1]


def test_catastrophic_regex_is_bounded(tally):
    """Was a finding (the parse hung until killed); each line's regex match is now bounded by a timeout."""
    tally.inputs("schema", entry="parse.regex")
    for pattern in (corpus.CATASTROPHIC_PATTERN, corpus.CATASTROPHIC_ALTERNATION):
        got = _parse_in_child(corpus.regex_schema(pattern), corpus.CATASTROPHIC_INPUT, timeout=20)
        assert got != "timeout"
