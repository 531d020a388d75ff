"""Inference: golden decisions on the demo's formats, Panther's lattice, explanations, stats, and a property test."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.demo import data as D
from workbench.errors import WorkbenchError
from workbench.infer import infer_events, infer_schema
from workbench.infer.shapes import shape_of
from workbench.model import Record
from workbench.parse import ParseError, compile_parser
from workbench.schema import dump_schema, load_schema, validate_schema_text, walk_fields

T0 = datetime(2026, 5, 1, tzinfo=UTC)
ACCT = "111122223333"


def _records(key: str, data: bytes) -> list[Record]:
    text = gzip.decompress(data).decode() if data[:2] == b"\x1f\x8b" else data.decode()
    return [Record("b", key, i, line) for i, line in enumerate(text.splitlines(), 1)]


def _fields(result):
    return dict(walk_fields(result.schema.fields))


def _parses_all(schema, records):
    p = compile_parser(schema)
    out = [p.parse(r) for r in records]
    bad = [o for o in out if isinstance(o, ParseError)]
    assert not bad, bad[:3]
    return [o for o in out if o is not None]


@pytest.fixture(scope="module")
def panoptica():
    rng = random.Random(3)
    recs = []
    for et in D.PANOPTICA_TYPES:
        for i in range(2):
            recs += _records(f"Panoptica/{et}/{i}.json.gz", D.panoptica_object(rng, et, ACCT, T0, timedelta(hours=2), 150))
    return recs


def test_golden_panoptica_mixed_types(panoptica):
    res = infer_schema(panoptica, name="Custom.BarsPanoptica")
    f = _fields(res)
    assert res.format == "json" and res.schema.name == "Custom.BarsPanoptica" and res.managed_schema is None
    # three timestamp formats, each event type's own time field marked as event time
    assert (f["ts"].type, f["ts"].time_formats, f["ts"].is_event_time) == ("timestamp", ("rfc3339",), True)
    assert (f["timestamp"].time_formats, f["timestamp"].is_event_time) == (("unix_ms",), True)
    assert (f["event_time"].time_formats, f["event_time"].is_event_time) == (("%Y-%m-%d %H:%M:%S",), True)
    # only fields in every event are required; nested required is relative to the parent object
    assert f["event_type"].required and not f["ts"].required
    assert f["actor.user_id"].required and not f["failure_reason"].required
    # embedded JSON, booleans, numbers, arrays, indicators
    assert f["context"].type == "object" and f["context"].is_embedded_json
    assert {x.name for x in f["context"].fields} == {"risk_score", "device_id", "new_device"}
    assert f["actor.mfa"].type == "boolean" and f["file.size_bytes"].type == "bigint" and f["duration_sec"].type == "float"
    assert f["policy.statements"].type == "array" and f["policy.statements"].element.type == "object"
    assert f["client.ip"].indicators == ("ip",) and f["user.arn"].indicators == ("aws_arn",)
    assert f["file.sha256"].indicators == ("sha256",) and f["approved_by"].indicators == ("email",)
    assert f["account_id"].type == "string" and f["account_id"].indicators == ("aws_account_id",)
    # explanations and stats for every field path, JSON-serialisable
    assert "RFC 3339" in res.explanations["ts"] and "earliest" in res.explanations["ts"]
    assert "unix_ms" in res.explanations["timestamp"]
    st_ts = res.stats["ts"]
    assert st_ts.present == 300 and st_ts.total == 900 and st_ts.earliest <= st_ts.latest
    assert res.stats["file.size_bytes"].minimum is not None
    j = json.loads(orjson.dumps(res.to_json()))
    assert j["fields"]["ts"]["presence_pct"] == pytest.approx(33.33, abs=0.01)
    assert j["fields"]["event_type"]["top"][0][1] == 300
    assert validate_schema_text(dump_schema(res.schema)) == []
    _parses_all(res.schema, panoptica)


def test_golden_cloudtrail():
    rng = random.Random(5)
    body = json.loads(gzip.decompress(D.cloudtrail_object(rng, ACCT, "us-east-1", T0, timedelta(hours=3), 400)))
    recs = [Record("b", "ct.json.gz", i, json.dumps(r)) for i, r in enumerate(body["Records"], 1)]
    res = infer_schema(recs, name="Custom.CT")
    f = _fields(res)
    assert f["eventTime"].is_event_time and f["eventTime"].time_formats == ("rfc3339",)
    assert f["userIdentity.sessionContext.attributes.creationDate"].type == "timestamp"
    assert not f["userIdentity.sessionContext.attributes.creationDate"].is_event_time
    assert f["userIdentity.sessionContext.attributes.mfaAuthenticated"].type == "boolean"  # "true"/"false" text
    assert f["requestParameters"].type == "json"  # keys depend on the event type
    assert "vary" in res.explanations["requestParameters"]
    assert f["recipientAccountId"].indicators == ("aws_account_id",)
    assert res.managed_schema == "AWS.CloudTrail"  # detection knows these events: Panther's managed schema is named
    _parses_all(res.schema, recs)


def test_golden_s3_access_log_fastmatch():
    rng = random.Random(6)
    recs = _records("s3-access/x", D.s3_access_object(rng, "acme", ACCT, T0, timedelta(hours=1), 300))
    res = infer_schema(recs, name="Custom.S3")
    assert res.format == "fastmatch"
    # detection knows this layout: its parser is used as is, and the managed schema is named
    assert (res.layout, res.managed_schema) == ("detected:s3_access", "AWS.S3ServerAccess")
    opts = res.schema.parser["fastmatch"]
    assert opts["emptyValues"] == ["-"] and "[%{time}]" in opts["match"][0] and '"%{requesturi}"' in opts["match"][0]
    f = _fields(res)
    assert f["time"].time_formats == ("%d/%b/%Y:%H:%M:%S %z",) and f["time"].is_event_time
    assert f["remoteip"].indicators == ("ip",) and f["httpstatus"].type == "bigint"
    assert f["bucketowner"].indicators == ()  # one repeated 64-hex owner id is not a sha256
    _parses_all(res.schema, recs)


def test_golden_app_csv():
    rng = random.Random(8)
    recs = _records("app/x.csv.gz", D.app_log_object(rng, T0, timedelta(hours=1), 200))
    res = infer_schema(recs, name="Custom.AppLog")
    assert res.format == "csv"
    opts = res.schema.parser["csv"]
    assert opts["hasHeader"] and opts["columns"][0] == "timestamp" and opts["delimiter"] == ","
    f = _fields(res)
    assert f["timestamp"].time_formats == ("%d/%b/%Y:%H:%M:%S %z",) and f["timestamp"].is_event_time
    assert f["status"].type == "bigint" and f["amount_usd"].type == "float" and f["latency_ms"].type == "bigint"
    assert f["client_ip"].indicators == ("ip",) and not f["user_email"].required  # empty in ~10 %
    events = _parses_all(res.schema, recs)
    assert len(events) == 200  # the header line is skipped, not an event


def test_lattice_conflicts_nulls_and_wide_objects():
    events = [{"a": 1, "b": 1, "c": {"x": 1}, "d": None, "e": "x", "w": {f"k{i}": i for i in range(j * 30, j * 30 + 30)},
               "t": 1.5, "arr": [1, "x"]} for j in range(8)]
    events[0]["a"] = "one"
    events[1]["b"] = 2.5
    events[2]["c"] = "scalar"
    res = infer_events(events)
    f = _fields(res)
    assert f["a"].type == "string" and "conflict" in res.explanations["a"]
    assert f["b"].type == "float"
    assert f["c"].type == "json" and "mixed" in res.explanations["c"]
    assert "d" not in f and "null" in res.explanations["d"]
    assert f["w"].type == "json" and "> 200" in res.explanations["w"]
    assert f["arr"].type == "json"
    assert res.stats["a"].to_json()["conflicting_types"] == {"string": 1, "int": 7}


def test_numeric_strings_ids_and_unix_times():
    events = [{"zip": f"0{i}123", "count": str(i * 7), "created_at": str(1_700_000_000 + i), "size": 1_700_000_000 + i,
               "ok": "false" if i % 2 else "true"} for i in range(20)]
    f = _fields(infer_events(events))
    assert f["zip"].type == "string" and f["count"].type == "bigint"
    assert f["created_at"].type == "timestamp" and f["created_at"].time_formats == ("unix",)
    assert f["size"].type == "bigint"  # seconds-sized numbers need a time-like name
    assert f["ok"].type == "boolean"


def test_shape_dedup_and_empty_input():
    a, b = {"x": 1, "y": {"z": "s"}}, {"x": 2, "y": {"z": "t"}}
    assert shape_of(a) == shape_of(b) != shape_of({"x": 1, "y": {"z": ""}})
    res = infer_events([a, b] * 500)
    assert res.shapes == 1 and res.events == 1000
    with pytest.raises(WorkbenchError):
        infer_schema([])
    with pytest.raises(WorkbenchError):
        infer_events([{"x": None}])


def test_free_text_after_a_timestamp():
    lines = [f"2024-05-01T00:00:0{i}Z something {'very ' * i}bad happened" for i in range(5)]
    res = infer_schema(lines)
    # one space after the time and nothing else: fastmatch splits it exactly
    assert res.schema.parser == {"fastmatch": {"match": ["%{timestamp} %{message}"]}}
    assert _fields(res)["timestamp"].type == "timestamp"
    out = _parses_all(res.schema, [Record("", "", 1, t) for t in lines])
    assert [o["message"] for o in out] == [t.split(" ", 1)[1] for t in lines]
    # no structure at all: each line whole as message, said so
    res = infer_schema(["the quick brown fox", "jumps over", "the lazy dog"])
    assert res.schema.parser == {"regex": {"match": ["(?P<message>.*)"]}} and res.layout == "message"
    assert any("no event time" in w for w in res.warnings)


# --- property: for generated JSON records, infer → parse succeeds and keeps every declared value -------------

_key = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalar = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | _text
_value = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_key, inner, max_size=3), max_leaves=6)
_record = st.dictionaries(_key, _value, min_size=1, max_size=6)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(_record, min_size=1, max_size=12))
def test_infer_then_parse_keeps_every_declared_value(records):
    lines = [orjson.dumps(r).decode() for r in records]
    try:
        res = infer_schema(lines)
    except WorkbenchError:
        return  # every value null or empty: nothing to infer
    schema = load_schema(dump_schema(res.schema))
    declared = {f.name for f in schema.fields}
    p = compile_parser(schema)
    for r, line in zip(records, lines, strict=True):
        ev = p.parse(Record("", "", 1, line))
        assert isinstance(ev, dict), (ev, dump_schema(schema))
        for k, v in r.items():
            if k in declared and not _empty(v):
                assert k in ev, (k, v, ev)


def _empty(v) -> bool:
    # Panther omits nulls and empty values; a container holding only empties is empty too
    if isinstance(v, dict):
        return all(_empty(x) for x in v.values())
    if isinstance(v, list):
        return all(_empty(x) for x in v)
    return v is None or v == ""


def test_hostile_depth_and_sizes_do_not_break_inference():
    deep = '{"a": 1, "d": ' + "[" * 900 + "]" * 900 + "}"
    too_deep_for_json = '{"a": 3, "d": ' + "[" * 10000 + "]" * 10000 + "}"
    big = orjson.dumps({"a": 4, "d": [1], "s": "x" * 10_000_000}).decode()
    res = infer_schema([deep, too_deep_for_json, big, '{"a": 2, "d": [1], "n": NaN}', '{"a": 5, "a": 6, "d": [2]}'])
    f = _fields(res)
    assert f["a"].type == "bigint" and f["d"].type == "array"
    assert any("too deeply" in n for n in res.notes) and any("not JSON objects" in n for n in res.notes)
