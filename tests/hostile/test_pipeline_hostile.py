"""Hostile records through detection, inference and parsing: every stage returns values (a Detection, a schema
or one-sentence WorkbenchError, an event or a ParseError), and an inferred schema always saves and loads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError
from workbench.infer import infer_events, infer_schema
from workbench.model import ObjectRef, Record
from workbench.parse import ParseError, compile_parser, event_to_json
from workbench.schema import dump_schema, load_schema, load_schema_dir
from workbench.source.decode import decode_object
from workbench.source.formats import detect_groups

from . import corpus
from .checks import assert_plain_sentence

REPO = Path(__file__).resolve().parents[2]
SHIPPED = load_schema_dir(REPO / "schemas")


def records_of(name: str) -> list[Record]:
    key, body = corpus.object_bodies()[name]
    return decode_object(body, ObjectRef("bucket", f"hostile/2024/05/01/{name}/{key}", len(body))).records


def structure_records() -> list[Record]:
    return [Record("bucket", "hostile/structures.json", i, text)
            for i, text in enumerate(corpus.structure_documents().values(), 1)]


SETS = {
    "hostile-ndjson": lambda: records_of("hostile-ndjson"),
    "raw-hostile-lines": lambda: records_of("raw-hostile-lines"),
    "invalid-utf8": lambda: records_of("invalid-utf8"),
    "utf16": lambda: records_of("utf16-le-bom"),
    "structures": structure_records,
    "json-array-hostile": lambda: records_of("json-array-hostile"),
    "line-10mb": lambda: records_of("line-10mb"),
    "mixed": lambda: records_of("hostile-ndjson") + records_of("raw-hostile-lines") + structure_records(),
}


def _parse_all(schema, records, tally) -> None:
    parser = compile_parser(schema)
    for r in records:
        got = parser.parse(r)
        tally.inputs("record", entry="parse")
        assert got is None or isinstance(got, dict | ParseError)
        if isinstance(got, dict):
            event_to_json(got)  # an event always serialises (what `workbench parse` writes)
        elif isinstance(got, ParseError):
            assert_plain_sentence(got.reason.replace("\n", " "), "parse error reason")


@pytest.mark.parametrize("name", sorted(SETS))
def test_detect_infer_and_parse_survive_hostile_records(name, tally):
    records = SETS[name]()
    assert records
    groups = detect_groups(records)
    tally.inputs("record", len(records), entry="detect")
    for g in groups:
        json.dumps(g.to_json(), default=str)
    try:
        result = infer_schema(records, name="Custom.Hostile")
    except WorkbenchError as e:
        assert_plain_sentence(e, "inference error")
        return
    finally:
        tally.inputs("record", len(records), entry="infer")
    result.to_json()
    text = dump_schema(result.schema)
    again = load_schema(text)  # what the Schema screen saves must load back unchanged
    assert dump_schema(again) == text
    _parse_all(again, records, tally)


def test_inference_from_events_with_every_hostile_key(tally):
    events = [json.loads(t) for t in corpus.structure_documents().values()
              if t.startswith("{") and _loads_ok(t) and isinstance(json.loads(t), dict)]
    events += corpus.hostile_events()
    tally.inputs("structure", len(events), entry="infer")
    result = infer_events(events, name="Custom.Keys")
    text = dump_schema(result.schema)
    assert dump_schema(load_schema(text)) == text


def _loads_ok(t: str) -> bool:
    try:
        json.loads(t)
    except (ValueError, RecursionError):
        return False
    return True


@pytest.mark.parametrize("log_type", sorted(SHIPPED))
def test_shipped_schemas_parse_every_hostile_line(log_type, tally):
    records = SETS["mixed"]() + [Record("b", "k", i, v) for i, v in enumerate(corpus.hostile_strings().values())]
    _parse_all(SHIPPED[log_type], records, tally)


def test_catastrophic_regex_from_a_schema_is_bounded():
    """A schema whose regex backtracks exponentially: loading must not hang, and parsing is bounded by the test's
    own timeout marker (pytest-timeout) — the finding is recorded if the parser has no guard of its own."""
    schema = load_schema(corpus.regex_schema(corpus.CATASTROPHIC_PATTERN))
    parser = compile_parser(schema)
    got = parser.parse(Record("b", "k", 1, "a" * 12 + "!"))  # small enough to finish, large enough to backtrack
    assert got is None or isinstance(got, ParseError)
    assert isinstance(parser.parse(Record("b", "k", 2, corpus.CATASTROPHIC_INPUT)), ParseError)
    alternation = compile_parser(load_schema(corpus.regex_schema(corpus.CATASTROPHIC_ALTERNATION)))
    stuck = alternation.parse(Record("b", "k", 3, corpus.CATASTROPHIC_INPUT))  # exponential: stopped by the bound
    assert isinstance(stuck, ParseError) and "catastrophic backtracking" in stuck.reason


# ---------------------------------------------------------------------------------------------------------
# fuzzing the compiled parsers

hostile_text = st.one_of(st.text(max_size=200), st.sampled_from(list(corpus.hostile_strings().values())))
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                        st.floats(allow_nan=False), hostile_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)), max_leaves=12)
FIELD_NAMES = sorted({name for s in SHIPPED.values() for name in (f.name for f in s.fields)})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SHIPPED)),
       st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), hostile_text), json_value, max_size=8))
def test_fuzzed_objects_parse_to_events_or_errors(tally, log_type, obj):
    tally.inputs("fuzzed", entry="parse")
    parser = compile_parser(SHIPPED[log_type])
    got = parser.parse_text(json.dumps(obj), "b", "k", 1)
    assert got is None or isinstance(got, dict | ParseError)
    if isinstance(got, dict):
        event_to_json(got)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SHIPPED)), st.one_of(hostile_text, st.binary(max_size=300).map(
    lambda b: b.decode("utf-8", "replace"))))
def test_fuzzed_lines_parse_to_events_or_errors(tally, log_type, line):
    tally.inputs("fuzzed", entry="parse")
    got = compile_parser(SHIPPED[log_type]).parse_text(line, "b", "k", 1)
    assert got is None or isinstance(got, dict | ParseError)
    if isinstance(got, dict):
        event_to_json(got)


def test_live_drift_patch_from_hostile_events_is_a_valid_schema(tally):
    """Live mode suggests a schema patch from undeclared fields: hostile keys must not make it unusable."""
    from workbench.live.drift import DriftTracker
    from workbench.schema import dump_schema_dict, validate_schema_text

    tracker = DriftTracker({"Custom.Hostile": load_schema(corpus.BASE_SCHEMA)})
    events = [{k: v for k, v in e.items() if not k.startswith("p_")} for e in corpus.hostile_events()]
    events += [json.loads(t) for t in corpus.structure_documents().values() if t.startswith("{") and _loads_ok(t)]
    for e in events:
        if isinstance(e, dict):
            tracker.observe("Custom.Hostile", e)
    tally.inputs("structure", len(events), entry="live.drift")
    text = dump_schema_dict(tracker.suggested_patch("Custom.Hostile"))
    assert validate_schema_text(text) == []
