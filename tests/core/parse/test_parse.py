"""The compiled parser: Panther's decoding rules, p_ fields, text parsers, classification, hostile input."""

from __future__ import annotations

import json

import orjson
import pytest

from workbench.errors import WorkbenchError
from workbench.model import Record
from workbench.parse import Classifier, ParseError, compile_parser, event_to_json
from workbench.parse.text import FastPattern
from workbench.schema import load_schema
from workbench.schema.grok import expand_grok

SCHEMA = load_schema("""\
schema: Custom.Test
fields:
  - name: ts
    required: true
    type: timestamp
    timeFormats: [rfc3339]
    isEventTime: true
  - name: s
    type: string
  - name: n
    type: bigint
  - name: small
    type: smallint
  - name: f
    type: float
  - name: b
    type: boolean
  - name: ip
    type: string
    indicators: [ip]
  - name: tags
    type: array
    element:
      type: string
      indicators: [email]
  - name: ctx
    type: object
    isEmbeddedJSON: true
    fields:
      - name: arn
        type: string
        indicators: [aws_arn]
  - name: raw
    type: json
""")
P = compile_parser(SCHEMA)


def parse(obj_or_text, parser=P, key="k", line=1):
    text = obj_or_text if isinstance(obj_or_text, str) else json.dumps(obj_or_text)
    return parser.parse(Record("bucket", key, line, text))


def test_event_shape_types_and_standard_fields():
    ev = parse({"ts": "2024-05-01T12:00:00.5+02:00", "s": 12, "n": "42", "small": 7, "f": "1.5", "b": "T",
                "ip": " 10.0.0.1 ", "tags": ["a@x.com", "b@y.org", "a@x.com"], "Tags": "case differs",
                "ctx": '{"arn": "arn:aws:iam::123456789012:role/R"}', "raw": {"deep": [1, {"x": None}]},
                "undeclared": 1})
    assert ev["ts"] == "2024-05-01 10:00:00.500000000"
    assert ev["s"] == "12" and ev["n"] == 42 and ev["small"] == 7 and ev["f"] == 1.5 and ev["b"] is True
    assert ev["ctx"] == {"arn": "arn:aws:iam::123456789012:role/R"}
    assert ev["raw"] == {"deep": [1, {"x": None}]}
    assert "undeclared" not in ev and "Tags" not in ev
    assert ev["p_log_type"] == "Custom.Test"
    assert ev["p_event_time"] == "2024-05-01 10:00:00.500000000"
    assert len(ev["p_parse_time"]) == 29 and ev["p_row_id"]
    assert ev["p_source_file"] == {"aws_s3_bucket": "bucket", "aws_s3_key": "k"}
    assert ev["p_any_ip_addresses"] == ["10.0.0.1"]
    assert ev["p_any_emails"] == ["a@x.com", "b@y.org"]
    assert ev["p_any_aws_arns"] == ["arn:aws:iam::123456789012:role/R"]
    assert ev["p_any_aws_account_ids"] == ["123456789012"]
    keys = list(ev)
    assert keys.index("p_log_type") > keys.index("raw")  # event fields first, then p_ fields


def test_empties_are_kept_nulls_omitted_and_row_ids_unique():
    # Panther's null types omit only what does not exist (pantherlog/null/string.go IsEmpty); an empty array
    # is omitted (omitempty on a slice); a json field keeps {} as it came
    a = parse({"ts": "2024-05-01T00:00:00Z", "s": "", "n": None, "tags": [], "raw": {}})
    assert a["s"] == "" and a["raw"] == {} and not {"n", "tags"} & set(a)
    assert not any(k.startswith("p_any_") for k in a)
    ids = {parse({"ts": "2024-05-01T00:00:00Z"})["p_row_id"] for _ in range(200)}
    assert len(ids) == 200


@pytest.mark.parametrize(
    ("obj", "field", "words"),
    [
        ({"s": "x"}, "ts", "required"),
        ({"ts": "yesterday"}, "ts", "not RFC 3339"),
        ({"ts": "2024-02-30T00:00:00Z"}, "ts", "day is out of range"),
        ({"ts": "2024-05-01T00:00:00Z", "n": "12x"}, "n", "not an integer"),
        ({"ts": "2024-05-01T00:00:00Z", "n": 2**70}, "n", "out of range"),
        ({"ts": "2024-05-01T00:00:00Z", "small": 70000}, "small", "out of range for smallint"),
        ({"ts": "2024-05-01T00:00:00Z", "b": "yes"}, "b", "not a boolean"),
        ({"ts": "2024-05-01T00:00:00Z", "s": {"a": 1}}, "s", "expected a string, got an object"),
        ({"ts": "2024-05-01T00:00:00Z", "tags": ["ok", 3, {"x": 1}]}, "tags[2]", "expected a string"),
        ({"ts": "2024-05-01T00:00:00Z", "ctx": "{not json"}, "ctx", "embedded JSON"),
        ({"ts": "2024-05-01T00:00:00Z", "f": "NaN"}, "f", "not a finite number"),
    ],
)
def test_bad_values_are_parse_errors_naming_field_value_and_reason(obj, field, words):
    err = parse(obj)
    assert isinstance(err, ParseError), err
    assert err.field == field and words in err.reason
    assert err.key == "k" and err.line == 1 and err.log_type == "Custom.Test"
    j = err.to_json()
    assert set(j) == {"key", "line", "log_type", "field", "value", "reason"}
    assert orjson.loads(orjson.dumps(j)) == j


def test_not_json_and_not_objects():
    assert "not valid JSON" in parse("{oops").reason
    assert "expected a JSON object, got an array" in parse("[1,2]").reason
    assert parse("   ") is None  # blank lines are skipped, not errors


# --- hostile -------------------------------------------------------------------------------------------------

def test_10k_deep_nesting_is_an_error_not_a_crash():
    deep = '{"ts": "2024-05-01T00:00:00Z", "raw": ' + "[" * 10000 + "]" * 10000 + "}"
    err = parse(deep)
    assert isinstance(err, ParseError) and "deep" in err.reason


def test_10mb_line_parses():
    ev = parse({"ts": "2024-05-01T00:00:00Z", "s": "A" * 10_000_000})
    assert len(ev["s"]) == 10_000_000


def test_nan_and_infinity_literals_are_not_json():
    for lit in ("NaN", "Infinity", "-Infinity"):
        err = parse('{"ts": "2024-05-01T00:00:00Z", "f": ' + lit + '}')
        assert isinstance(err, ParseError) and "JSON" in err.reason


def test_duplicate_keys_last_wins():
    assert parse('{"ts": "2024-05-01T00:00:00Z", "s": "first", "s": "second"}')["s"] == "second"


def test_integers_beyond_64_bits():
    big = "123456789012345678901234567890"
    err = parse('{"ts": "2024-05-01T00:00:00Z", "n": ' + big + '}')
    assert isinstance(err, ParseError) and err.field == "n" and "out of range" in err.reason
    ev = parse('{"ts": "2024-05-01T00:00:00Z", "raw": {"x": 99999999999999999999999}}')
    assert json.loads(event_to_json(ev))["raw"]["x"] in (99999999999999999999999, 1e23)


def test_invalid_utf8_repaired_and_markup_kept_as_data():
    payload = "[bold red]pwned[/] \x1b[31mred\x1b[0m \ufffd\ufffd"
    ev = parse({"ts": "2024-05-01T00:00:00Z", "s": payload})
    assert ev["s"] == payload  # the parser stores data; display code cleans it


# --- event time ----------------------------------------------------------------------------------------------

def test_first_event_time_field_with_a_value_wins_else_parse_time():
    s = load_schema("""\
schema: Custom.T
fields:
  - {name: a, type: timestamp, timeFormats: [unix_ms], isEventTime: true}
  - name: o
    type: object
    fields:
      - {name: b, type: timestamp, timeFormats: ['%Y-%m-%d %H:%M:%S'], isEventTime: true}
  - {name: c, type: string}
""")
    p = compile_parser(s)
    assert parse({"a": 1714521600000, "o": {"b": "2020-01-01 00:00:00"}}, p)["p_event_time"] == "2024-05-01 00:00:00.000000000"
    assert parse({"o": {"b": "2020-01-01 00:00:00"}}, p)["p_event_time"] == "2020-01-01 00:00:00.000000000"
    ev = parse({"c": "x"}, p)
    assert ev["p_event_time"] == ev["p_parse_time"]


# --- text parsers --------------------------------------------------------------------------------------------

def test_fastmatch_quoted_bracketed_and_trailing_fields():
    fp = FastPattern('%{ip} [%{time}] "%{req}" %{status} %{rest}')
    g = fp.groups('1.2.3.4 [06/Feb/2019:00:00:38 +0000] "GET /a \\"q\\" HTTP/1.1" 200 a b c')
    assert g is not None and fp.names == ("ip", "time", "req", "status", "rest")
    assert g[2] == 'GET /a "q" HTTP/1.1' and g[4] == "a b c"
    s = load_schema("""\
schema: Custom.Web
parser:
  fastmatch:
    match: ['%{ip} [%{time}] "%{req}" %{status} %{bytes}']
    emptyValues: ['-']
fields:
  - {name: ip, type: string, indicators: [ip]}
  - {name: time, type: timestamp, timeFormats: ['%d/%b/%Y:%H:%M:%S %z'], isEventTime: true}
  - {name: req, type: string}
  - {name: status, type: int}
  - {name: bytes, type: bigint}
""")
    p = compile_parser(s)
    ev = parse('1.2.3.4 [06/Feb/2019:01:00:38 +0100] "GET /a \\"q\\" HTTP/1.1" 200 -', p)
    assert ev["time"] == "2019-02-06 00:00:38.000000000" and ev["req"] == 'GET /a "q" HTTP/1.1'
    assert ev["status"] == 200 and "bytes" not in ev
    assert "does not match" in parse("garbage", p).reason


def test_csv_header_skipped_and_columns_mapped():
    s = load_schema("""\
schema: Custom.Csv
parser:
  csv: {delimiter: ',', hasHeader: true, columns: [when, user, amount]}
fields:
  - {name: when, type: timestamp, timeFormats: ['%Y-%m-%d %H:%M:%S'], isEventTime: true}
  - {name: user, type: string, indicators: [email]}
  - {name: amount, type: float}
""")
    p = compile_parser(s)
    assert parse("when,user,amount", p) is None
    ev = parse('2024-01-02 03:04:05,"a@b.c",12.50', p, line=2)
    assert ev["user"] == "a@b.c" and ev["amount"] == 12.5 and ev["when"] == "2024-01-02 03:04:05.000000000"
    # the first row fixes the number of fields (Go's csv FieldsPerRecord, preprocessors/csv.go)
    assert "wrong number of fields" in parse("2024-01-02 03:04:05,u,1,extra", p, line=3).reason
    # without a header, fields beyond the named columns are ignored and missing ones are "" (zipFields)
    q = compile_parser(load_schema("schema: Custom.C2\nparser:\n  csv: {delimiter: ',', columns: [a, b]}\n"
                                   "fields:\n  - {name: a, type: string}\n  - {name: b, type: string}\n"))
    assert parse("x,y,z", q)["b"] == "y" and "wrong number" in parse("x", q).reason


def test_csv_header_learned_per_object_without_columns():
    s = load_schema("schema: Custom.C\nparser:\n  csv: {delimiter: ',', hasHeader: true}\nfields:\n  - {name: b, type: int}\n")
    p = compile_parser(s)
    assert parse("a,b", p, key="o1", line=1) is None
    assert parse("x,5", p, key="o1", line=2)["b"] == 5


def test_regex_with_grok():
    assert "(?P<n>" in expand_grok("%{INT:n}")
    s = load_schema("""\
schema: Custom.Rx
parser:
  regex:
    match: ['%{TIMESTAMP_ISO8601:ts} ', '%{LOGLEVEL:level} ', '%{GREEDYDATA:msg}']
    patternDefinitions:  # not one of Panther's built-in patterns (pkg/x/gork/builtin.go)
      LOGLEVEL: 'DEBUG|INFO|WARN|ERROR'
fields:
  - {name: ts, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
  - {name: level, type: string}
  - {name: msg, type: string}
""")
    ev = parse("2024-05-01T00:00:00Z WARN disk almost full", compile_parser(s))
    assert ev["level"] == "WARN" and ev["msg"] == "disk almost full"


def test_classifier_first_that_parses_wins_and_errors_name_every_schema():
    a = load_schema("schema: Custom.A\nfields:\n  - {name: kind, type: string, required: true, validate: {allow: [a]}}\n")
    b = load_schema("schema: Custom.B\nfields:\n  - {name: kind, type: string, required: true}\n")
    c = Classifier([compile_parser(a), compile_parser(b)])
    assert c.parse(Record("", "", 1, '{"kind": "a"}'))["p_log_type"] == "Custom.A"
    assert c.parse(Record("", "", 1, '{"kind": "b"}'))["p_log_type"] == "Custom.B"
    err = c.parse(Record("", "", 1, '{"other": 1}'))
    assert isinstance(err, ParseError) and "Custom.A" in err.reason and "Custom.B" in err.reason


def test_unsupported_parser_is_one_sentence():
    s = load_schema("schema: Custom.S\nparser:\n  script: {function: 'def parse(l): return {}'}\n"
                    "fields:\n  - {name: a, type: string}\n")
    with pytest.raises(WorkbenchError, match="not supported"):
        compile_parser(s)


def test_fastmatch_first_listed_pattern_wins_even_with_the_shortcut():
    s = load_schema("""\
schema: Custom.Layouts
parser:
  fastmatch:
    match: ['%{a} %{b} %{c}', '%{a} %{b}']
fields:
  - {name: a, type: string}
  - {name: b, type: string}
  - {name: c, type: string}
""")
    p = compile_parser(s)
    two = parse("1 2", p)
    assert (two["a"], two["b"]) == ("1", "2") and "c" not in two
    # the two-field pattern won last; a three-field line must still go to the first pattern
    ev = parse("1 2 3", p)
    assert (ev["a"], ev["b"], ev["c"]) == ("1", "2", "3")
    assert "c" not in parse("x y", p)


def test_nested_errors_name_the_full_field_path():
    from workbench.model import Record
    from workbench.parse import ParseError, compile_parser
    from workbench.schema import load_schema

    schema = load_schema(
        "schema: Custom.Nested\nfields:\n  - name: a\n    type: object\n    fields:\n"
        "      - name: b\n        type: object\n        fields:\n"
        "          - name: ts\n            type: timestamp\n            timeFormats: [rfc3339]\n"
        "          - name: need\n            type: string\n            required: true\n"
    )
    parser = compile_parser(schema)
    bad_time = parser.parse(Record("b", "k", 1, '{"a":{"b":{"ts":"nope","need":"x"}}}'))
    missing = parser.parse(Record("b", "k", 2, '{"a":{"b":{"ts":"2024-01-01T00:00:00Z"}}}'))
    assert isinstance(bad_time, ParseError) and bad_time.field == "a.b.ts"
    assert isinstance(missing, ParseError) and missing.field == "a.b.need"


def test_numbers_in_text_are_ascii_as_go_reads_them():
    s = load_schema("schema: Custom.N\nfields:\n  - {name: f, type: float}\n  - {name: i, type: bigint}\n")
    p = compile_parser(s)
    assert parse('{"f": "12.5e1", "i": "-7"}', p)["f"] == 125.0
    for bad in ('{"f": "\\u0661.5"}', '{"f": "1_000"}', '{"f": " 1.5"}', '{"i": "\\u0661\\u0662"}'):
        err = parse(bad, p)
        assert isinstance(err, ParseError) and "not a" in err.reason, (bad, err)
