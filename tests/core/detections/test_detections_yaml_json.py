"""Test events written as JSON are read by orjson (yaml_json.py) with exactly the value the full YAML 1.2
loader gives, or left to YAML: never a different value, never a value where YAML reports an error."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rulekit import each_loads_as_full_yaml, full_yaml, generated_spec_files, repository_spec_files, same

from workbench.detections.yaml12 import YamlError, load_yaml_text
from workbench.detections.yaml_fast import NOT_PLAIN, load_plain
from workbench.detections.yaml_json import put_back, split_json_logs


def check(text: str) -> None:
    """load_yaml_text gives what the full loader gives, or fails where it fails."""
    try:
        expected = full_yaml(text)
    except yaml.YAMLError:
        with pytest.raises(YamlError):
            load_yaml_text(text)
        return
    got = load_yaml_text(text)
    assert same(got, expected), (got, expected)


def cut_count(text: str) -> int:
    """How many events the fast path reads with orjson (0 when the whole text goes to YAML)."""
    split = split_json_logs(text)
    if split is None:
        return 0
    value = load_plain(split[0])
    return len(split[1]) if value is not NOT_PLAIN and put_back(value, split[1]) else 0


def spec(log: str, *, inline: bool = False, lead: str = "  - Name: a\n    ExpectedResult: true\n",
         after: str = "") -> str:
    body = f"    Log: {log}\n" if inline else "    Log:\n" + "".join(f"      {ln}\n" for ln in log.splitlines())
    return f"AnalysisType: rule\nRuleID: X\nTests:\n{lead}{body}{after}"


PRETTY = json.dumps({"a": [1, 2.5, None, True], "b": {"c": "x\\y\"z"}, "d": "é"}, indent=2, ensure_ascii=False)


def test_a_pretty_json_event_is_read_by_orjson_with_the_yaml_value():
    text = spec(PRETTY)
    assert cut_count(text) == 1
    check(text)
    assert load_yaml_text(text)["Tests"][0]["Log"] == json.loads(PRETTY)


def test_prettier_formatted_events_with_trailing_commas_are_read_by_orjson():
    text = EDGE_TEXTS["Prettier's trailing commas"]
    assert cut_count(text) == 1
    check(text)


def test_one_line_events_and_several_tests_are_all_read():
    text = spec('{"a": 1}', inline=True, after='  - Name: b\n    Log: {"b": [2]}\n  - Name: c\n    Log:\n'
                                                '      {"c": {}}\n')
    assert cut_count(text) == 3
    check(text)


# Each of these must stay YAML's to read (the value or the error is YAML's): the comment says why.
DOUBTFUL = {
    "escaped surrogate pair (libyaml refuses it)": '{"a": "\\ud83d\\ude00"}',
    "DEL (not printable for libyaml)": '{"a": "\x7f"}',
    "NEL (a line break to libyaml)": '{"a": "x\x85y"}',
    "C1 control": '{"a": "\x9b"}',
    "line separator": '{"a": "\u2028"}',
    "byte order mark": '{"a": "\ufeff"}',
    "key 1,100 characters long (libyaml drops it)": '{"%s": 1}' % ("k" * 1100),
    "key and ':' on different lines": '{"a"\n  : 1}',
    "integer beyond 64 bits (orjson makes a float)": '{"a": 123456789012345678901234}',
    "negative integer beyond 64 bits": '{"a": -9223372036854775809}',
    "not JSON (single quotes)": "{'a': 1}",
    "not JSON (YAML plain scalars)": "{a: yes}",
    "trailing comma": '{"a": 1,}',
    "text after the object": '{"a": 1} tail',
    "comment after the object": '{"a": 1} # note',
    "infinity": '{"a": 1e400}',
}


@pytest.mark.parametrize("log", DOUBTFUL.values(), ids=DOUBTFUL.keys())
def test_doubtful_events_are_left_to_yaml(log):
    for text in (spec(log), spec(log, inline=True)):
        assert cut_count(text) == 0
        check(text)


EDGE_TEXTS = {
    "inside a block scalar": 'Description: |\n  Log:\n    {"a": 1}\nTests: []\n',
    "inside a folded scalar under a test": ('Tests:\n  - Name: a\n    Note: >\n      Log:\n        {"a": 1}\n'
                                            '    Log: {"b": 2}\n'),
    "outside Tests": 'Log:\n  {"a": 1}\nTests: []\n',
    "under Mocks": 'Tests:\n  - Name: a\n    Mocks:\n      - Log: {"a": 1}\n    Log: {"b": 2}\n',
    "duplicate Log keys": 'Tests:\n  - Log:\n      {"a": 1}\n    Log:\n      {"b": 2}\n',
    "flow sequence of tests": 'Tests: [\n  {Name: a,\n   Log: {"a": 1}\n  }]\n',
    "flow mapping continued by ':'": 'Tests: [\n  {Name: a,\n   Log: {"a": 1}\n  : x}]\n',
    "closing brace dedented": 'Tests:\n  - Log:\n      {\n      "a": 1\n    }\n',
    "object less indented than the key": 'Tests:\n  - Log:\n    {"a": 1}\n',
    "more text on the next line": 'Tests:\n  - Log:\n      {"a": 1}\n      extra\n',
    "CRLF line ends": 'Tests:\r\n  - Name: a\r\n    Log:\r\n      {\r\n        "a": [1, 2]\r\n      }\r\n',
    "bare CR line ends and a long key": 'Tests:\r  - Log:\r      {"a": 1,\r       "%s": 2}\r' % ("k" * 1100),
    "bare CR line ends": 'Tests:\r  - Name: a\r    Log:\r      {\r        "a": [1, 2]\r      }\r',
    "Prettier's trailing commas": ('Tests:\n  - Log:\n      {\n        "who":\n          {\n            "type": "Root",\n'
                                   '            "n": [1, 2.5, true, null, "x",\n            ],\n          },\n'
                                   '        "m": { "k": "v" },\n        "e": [],\n      }\n'),
    "a comma after an opening bracket": 'Tests:\n  - Log:\n      {"a": [,\n      ]}\n',
    "a blank before a trailing comma": 'Tests:\n  - Log:\n      {"a": [1 ,\n      ]}\n',
    "a comma on its own line": 'Tests:\n  - Log:\n      {"a": [1\n      ,\n      ]}\n',
    "a quoted line break after a comma": 'Tests:\n  - Log:\n      {"a": "1,\n      ]"}\n',
    "tabs between JSON tokens": 'Tests:\n  - Log:\n      {"a":\t1,\t"b": 2}\n',
    "anchor on the event": 'Tests:\n  - Log: &e {"a": 1}\n  - Log: *e\n',
    "tagged event": 'Tests:\n  - Log: !!map {"a": 1}\n',
    "two documents": 'Tests:\n  - Log: {"a": 1}\n---\nTests: []\n',
    "a placeholder-like value": 'Tests:\n  - Log: wbjson_0\n  - Log: {"a": 1}\n',
    "Tests not a list": 'Tests:\n  Log: {"a": 1}\n',
    "empty object and nested empties": 'Tests:\n  - Log: {"a": {}, "b": [], "c": [[{}]], "": ""}\n',
    "duplicate keys in the event": 'Tests:\n  - Log: {"a": 1, "b": 2, "a": 3}\n',
    "numbers in every JSON form": 'Tests:\n  - Log: {"a": [-0, 0.0, -0.0, 1E5, 1e-5, 2.5e+3, 18446744073709551615]}\n',
    "escapes": 'Tests:\n  - Log: {"a": "\\b\\f\\n\\r\\t\\/\\\\\\"\\u00e9\\u0000\\uffff"}\n',
    "raw non-BMP and private-use characters": 'Tests:\n  - Log: {"a": "😀\ue000\ufffd"}\n',
    "a '#' and ': ' inside strings": 'Tests:\n  - Log: {"a": "x # y: z", "b: c": "- d"}\n',
}


@pytest.mark.parametrize("text", EDGE_TEXTS.values(), ids=EDGE_TEXTS.keys())
def test_edge_cases_read_exactly_as_yaml_does(text):
    check(text)


def test_every_spec_file_in_the_repository_loads_identically():
    texts = each_loads_as_full_yaml(repository_spec_files(), load_yaml_text)
    assert sum(map(cut_count, texts)) > 100  # the fast path is what read most of their events


def test_a_generated_big_repository_loads_identically(tmp_path):
    texts = each_loads_as_full_yaml(generated_spec_files(tmp_path / "content"), load_yaml_text)
    assert sum(map(cut_count, texts)) > 300


# JSON values as a test event may hold them: any text (escaped or raw), integers to 64 bits and past them,
# floats of every size, deep nesting, keys colliding by case
json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=25)
styles = st.sampled_from([
    {"indent": 2}, {"indent": 4, "ensure_ascii": False}, {}, {"separators": (",", ":")},
    {"indent": 1, "separators": (",", ": ")}, {"ensure_ascii": False, "separators": (", ", " : ")}])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6), styles, st.booleans(), st.booleans(),
       st.booleans())
def test_generated_json_events_load_identically(event, style, inline, first_key, trailing_commas):
    log = json.dumps(event, **style)
    if trailing_commas:  # as Prettier writes them: a comma after the last entry of a multi-line collection
        log = re.sub(r"(?<=[^\[{,\s])(\n\s*[}\]])", r",\1", log)
    if inline and "\n" in log:
        inline = False
    lead = "  - " if first_key else "  - Name: a\n    "
    body = f"Log: {log}\n" if inline else "Log:\n" + "".join(f"      {ln}\n" for ln in log.splitlines())
    text = f"AnalysisType: rule\nTests:\n{lead}{body}  - Name: b\n    Log: {{}}\n"
    check(text)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["r", "e", "f17", "f30", "E"]))
def test_every_float_literal_reads_the_same(number, form):
    literal = {"r": repr(number), "e": f"{number:.17e}", "f17": f"{number:.17f}", "f30": f"{number:.30g}",
               "E": f"{number:.25E}"}[form].replace("inf", "1e400")
    check(f"Tests:\n  - Log: {{\"n\": {literal}, \"m\": [{literal}]}}\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=1200), st.sampled_from([b"\n", b"\r\n", b"\r"])),
                max_size=8), st.booleans())
def test_the_long_line_check_is_the_plain_scan(lines, trailing):
    from workbench.detections.yaml_json import _long_line

    region = b"".join(b"x" * n + end for n, end in lines) + (b"y" * 600 if trailing else b"")
    # the scan it stands for: the first line (to the first LF), then any line after a break
    first = region.find(b"\n")
    expected = (first if first >= 0 else len(region)) >= 1000 or re.search(
        rb"[\r\n][^\r\n]{1000}" if b"\r" in region else rb"\n[^\r\n]{1000}", region) is not None
    assert _long_line(region) == expected
