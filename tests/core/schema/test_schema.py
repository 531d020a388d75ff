"""Schema model: load / validate (line:column) / dump, both timeFormat spellings, identity on generated schemas."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError
from workbench.schema import (
    Field,
    Schema,
    dump_schema,
    load_schema,
    load_schema_dir,
    validate_schema_text,
    walk_fields,
)

FULL = """\
schema: Custom.WebApp.Audit
description: Audit events from the web app
referenceURL: https://example.com/docs/audit
fieldDiscoveryEnabled: false
version: 0
fields:
  - name: ts
    required: true
    type: timestamp
    timeFormat: rfc3339
    isEventTime: true
  - name: actor
    type: object
    fields:
      - name: email
        type: string
        indicators: [email]
      - name: ip
        type: string
        indicators: [ip]
        validate:
          ip: ipv4
  - name: tags
    type: array
    element:
      type: string
  - name: details
    type: json
    isEmbeddedJSON: true
  - name: kind
    type: string
    validate:
      allow: [login, logout]
  - name: n
    type: smallint
  - name: ratio
    type: float
  - name: ok
    type: boolean
  - name: when
    type: timestamp
    timeFormats: ["%Y-%m-%d %H:%M:%S", unix_ms]
  - name: userId
    type: string
    rename:
      from: PIN
"""


def test_load_reads_every_key_and_both_time_format_spellings():
    s = load_schema(FULL)
    assert s.name == "Custom.WebApp.Audit" and s.version == 0 and s.field_discovery_enabled is False
    assert s.reference_url == "https://example.com/docs/audit"
    by_path = dict(walk_fields(s.fields))
    assert by_path["ts"].time_formats == ("rfc3339",) and by_path["ts"].is_event_time and by_path["ts"].required
    assert by_path["when"].time_formats == ("%Y-%m-%d %H:%M:%S", "unix_ms")
    assert by_path["actor.ip"].validate == {"ip": "ipv4"}
    assert by_path["tags"].element.type == "string"
    assert by_path["details"].is_embedded_json
    assert by_path["userId"].extra == {"rename": {"from": "PIN"}}


def test_dump_writes_time_formats_keeps_order_and_round_trips():
    s = load_schema(FULL)
    text = dump_schema(s)
    assert "timeFormat:" not in text and "timeFormats: [rfc3339]" in text
    assert [f.name for f in load_schema(text).fields] == [f.name for f in s.fields]
    assert load_schema(text) == s
    assert dump_schema(load_schema(text)) == text  # stable


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("schema: Custom.X\nfields:\n  - name: a\n    type: strin\n", 4, 11, "unknown type 'strin'"),
        ("schema: Custom.X\nfields:\n  - name: a\n    type: string\n    colour: red\n", 5, 5, "unknown key `colour`"),
        ("schema: Custom.X\nfields:\n  - name: t\n    type: timestamp\n", 4, 11, "needs `timeFormats`"),
        ("schema: Custom.X\nfields:\n  - name: o\n    type: object\n", 4, 11, "needs `fields:`"),
        ("schema: Custom.X\nfields:\n  - name: a\n    type: array\n", 4, 11, "needs `element:`"),
        ("schema: custom.x\nfields:\n  - name: a\n    type: string\n", 1, 9, "schema name"),
        ("schema: Custom.X\nfields: []\n", 2, 9, "non-empty list"),
        ("schema: Custom.X\nfields:\n  - name: a\n    type: string\n    indicators: [ipaddr]\n", 5, 17, "unknown indicator"),
        ("schema: Custom.X\nfields:\n  - name: a\n    type: string\n    isEventTime: true\n", 5, 5, "only allowed on timestamp"),
        ("schema: Custom.X\nparser:\n  xml: {}\nfields:\n  - name: a\n    type: string\n", 3, 3, "unknown parser"),
        ("schema: Custom.X\nfields:\n  - name: a\n    type: string\n  - name: a\n    type: int\n", 5, 11, "duplicate field"),
        ("schema: Custom.X\nfields:\n  - name: a\n    type: [string\n", 5, 1, "not valid YAML"),
        ("schema: Custom.X\nschema: Custom.Y\nfields: []\n", 2, 1, "duplicate key"),
        ("unknownTop: 1\nschema: Custom.X\nfields:\n  - name: a\n    type: string\n", 1, 1, "unknown key `unknownTop`"),
    ],
)
def test_validation_problems_carry_line_column_and_say_what_is_expected(text, line, col, words):
    problems = validate_schema_text(text)
    assert problems, text
    p = problems[0]
    assert (p.line, p.column) == (line, col), problems
    assert words in p.message
    with pytest.raises(WorkbenchError, match=rf"schema:{line}:{col}: "):
        load_schema(text)


def test_valid_schema_has_no_problems_and_text_parsers_validate():
    assert validate_schema_text(FULL) == []
    fm = ("schema: Custom.X\nparser:\n  fastmatch:\n    match: ['%{a} %{b}']\n    emptyValues: ['-']\n"
          "fields:\n  - name: a\n    type: string\n")
    assert validate_schema_text(fm) == []
    bad_rx = "schema: Custom.X\nparser:\n  regex:\n    match: ['(?P<a>[']\nfields:\n  - name: a\n    type: string\n"
    assert "does not compile" in validate_schema_text(bad_rx)[0].message
    csv_no_cols = "schema: Custom.X\nparser:\n  csv:\n    delimiter: ','\nfields:\n  - name: a\n    type: string\n"
    assert "columns" in validate_schema_text(csv_no_cols)[0].message


def test_empty_and_non_mapping_documents():
    assert validate_schema_text("")[0].message.startswith("the schema is empty")
    assert "mapping" in validate_schema_text("- a\n- b\n")[0].message


def test_load_schema_dir_by_name_and_conflicts(tmp_path):
    (tmp_path / "a.yml").write_text("schema: Custom.A\nfields:\n  - name: x\n    type: string\n")
    (tmp_path / "a_tests.yml").write_text("name: t\nlogType: Custom.A\ninput: x\n")
    (tmp_path / "noname.yaml").write_text("fields:\n  - name: x\n    type: string\n")
    got = load_schema_dir([tmp_path])
    assert set(got) == {"Custom.A", "noname"}
    (tmp_path / "b.yml").write_text("schema: Custom.A\nfields:\n  - name: y\n    type: string\n")
    with pytest.raises(WorkbenchError, match="Two schema files"):
        load_schema_dir(tmp_path)
    with pytest.raises(WorkbenchError, match="does not exist"):
        load_schema_dir(tmp_path / "missing")


def test_missing_file_is_one_sentence(tmp_path):
    with pytest.raises(WorkbenchError, match="does not exist"):
        load_schema(tmp_path / "nope.yml")


# --- property: load → dump → load is identity on generated schemas -------------------------------------------

_names = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,10}", fullmatch=True)
_scalar_types = st.sampled_from(["string", "int", "smallint", "bigint", "float", "boolean", "json"])


def _leaf(name: str | None = None):
    n = st.just(name) if name is not None else _names
    plain = st.builds(lambda nm, t, r, d: Field(nm, t, required=r, description=d), n, _scalar_types, st.booleans(),
                      st.none() | st.text(st.characters(blacklist_categories=("Cs", "Cc")),
                                          min_size=1, max_size=20).map(str.strip).filter(bool))
    ts = st.builds(lambda nm, fm, ev: Field(nm, "timestamp", time_formats=fm, is_event_time=ev), n,
                   st.lists(st.sampled_from(["rfc3339", "unix", "unix_ms", "%Y-%m-%d %H:%M:%S", "%d/%b/%Y:%H:%M:%S %z"]),
                            min_size=1, max_size=2, unique=True).map(tuple), st.booleans())
    ind = st.builds(lambda nm, i: Field(nm, "string", indicators=i), n,
                    st.lists(st.sampled_from(["ip", "email", "aws_arn", "url", "domain"]),
                             min_size=1, max_size=2, unique=True).map(tuple))
    return plain | ts | ind


def _unique(fields):
    seen, out = set(), []
    for f in fields:
        if f.name not in seen:
            seen.add(f.name)
            out.append(f)
    return tuple(out)


_field = st.recursive(
    _leaf(),
    lambda inner: st.builds(lambda nm, fs: Field(nm, "object", fields=_unique(fs)), _names,
                            st.lists(inner, min_size=1, max_size=4))
    | st.builds(lambda nm, el: Field(nm, "array", element=Field("", el.type, time_formats=el.time_formats,
                                                                indicators=el.indicators, fields=el.fields,
                                                                element=el.element)),
                _names, inner),
    max_leaves=8,
)
_schema = st.builds(
    lambda nm, fs, desc: Schema(name=nm, fields=_unique(fs), description=desc),
    st.from_regex(r"Custom\.[A-Z][a-zA-Z0-9]{0,8}", fullmatch=True),
    st.lists(_field, min_size=1, max_size=6),
    st.none() | st.just("generated"),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schema)
def test_load_dump_identity_on_generated_schemas(schema):
    text = dump_schema(schema)
    assert validate_schema_text(text) == []
    again = load_schema(text)
    assert again == schema
    assert dump_schema(again) == text
