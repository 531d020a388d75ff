"""Messy JSON as real exports have it: times in two formats or with a stray value, a near-duplicate time
field, IP fields with service names in them, e-mail ids, payload objects whose keys mostly recur, p_ fields,
case-only duplicate names. Each decision is checked, its reason too, and the schema parses the events.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from workbench.infer import describe, infer_schema
from workbench.model import Record
from workbench.parse import ParseError, compile_parser
from workbench.schema import dump_schema, load_schema, walk_fields
from workbench.schema.advice import NO_EVENT_TIME, schema_warnings

T0 = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)


def _events(n: int = 413, seed: int = 7) -> list[dict]:
    """CloudTrail-like audit events exported by a SIEM connector, with the oddities real exports have."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        t = T0 + timedelta(seconds=37 * i + rng.randint(0, 30))
        # two formats in one field (a connector upgrade half-way), and one redacted value
        when = (t.strftime("%Y-%m-%dT%H:%M:%SZ") if i < n // 2 else t.strftime("%Y-%m-%d %H:%M:%S"))
        if i == 100:
            when = "redacted"
        ip = rng.choice(["203.0.113.9", "198.51.100.23", "10.2.3.4", "2001:db8::7"])
        if i % 9 == 0:
            ip = rng.choice(["AWS Internal", "ec2.amazonaws.com"])
        e = {
            "eventTime": when,
            "sourceIPAddress": ip,
            "actor": {"alternateId": f"{rng.choice(['ana', 'bo', 'cy'])}@example.com" if i % 50 else "system",
                      "id": f"00u{rng.randrange(16**10):010x}"},
            "requestId": str(rng.randint(10**9, 10**10)),
            "zipCode": f"0{rng.randint(1000, 9999)}",
            "payload": {"methodName": rng.choice(["GetObject", "PutObject", "ListBuckets"]),
                        **({"resource": f"arn:aws:s3:::bucket-{rng.randint(1, 5)}"} if rng.random() < 0.7 else {}),
                        **({"extra": rng.randint(1, 9)} if rng.random() < 0.2 else {})},
            "p_event_time": "2020-01-01 00:00:00",  # a copied Panther field in the input
            "severity": rng.choice(["low", "high"]),
        }
        if i % 50 == 3:
            del e["payload"]["methodName"]
        if i % 40 == 0:
            e["eventtime"] = t.strftime("%Y-%m-%d %H:%M:%S")  # a lower-case near-duplicate in ~2 % of events
        if i % 60 == 1:
            e["Severity"] = "HIGH"  # a case-only duplicate name in a few events
        out.append(e)
    return out


@pytest.fixture(scope="module")
def result():
    events = _events()
    recs = [Record("b", "export.json", i, orjson.dumps(e).decode()) for i, e in enumerate(events, 1)]
    return infer_schema(recs, name="Custom.Export"), recs


def _fields(res):
    return dict(walk_fields(res.schema.fields))


def test_time_with_two_formats_and_a_stray_value_stays_a_timestamp(result):
    res, _ = result
    f = _fields(res)["eventTime"]
    assert f.type == "timestamp" and f.is_event_time
    assert f.time_formats == ("%Y-%m-%d %H:%M:%S", "rfc3339") or f.time_formats == ("rfc3339", "%Y-%m-%d %H:%M:%S")
    why = res.explanations["eventTime"]
    assert "412/413 values are times" in why and "1/413 values are not times: 'redacted'" in why
    assert "timeFormats" in why
    # the lower-case near-duplicate in 2 % of events is not the event time: it collides with eventTime in the
    # data lake (case-insensitive columns), so it is left out, and said so
    assert "eventtime" not in _fields(res) and "only by case" in res.explanations["eventtime"]
    assert [f.name for f in res.schema.fields if f.is_event_time] == ["eventTime"]


def test_indicators_by_majority_with_counts(result):
    res, _ = result
    f = _fields(res)
    assert f["sourceIPAddress"].indicators == ("ip", "hostname")
    why = res.explanations["sourceIPAddress"]
    assert ("values are IP addresses" in why and "'AWS Internal'" in why) or "'ec2.amazonaws.com'" in why
    assert f["actor.alternateId"].indicators == ("email",)
    assert "values are e-mail addresses" in res.explanations["actor.alternateId"]


def test_objects_with_recurring_keys_stay_objects(result):
    res, _ = result
    f = _fields(res)
    assert f["payload"].type == "object"
    assert {x.name for x in f["payload"].fields} >= {"methodName", "resource"}
    assert "keys recur ('methodName' in" in res.explanations["payload"]


def test_p_fields_and_case_duplicates(result):
    res, recs = result
    names = {f.name for f in res.schema.fields}
    assert "p_event_time" not in names and "not declared" in res.explanations["p_event_time"]
    assert "severity" in names and "Severity" not in names
    assert "only by case" in res.explanations["Severity"]
    # the parser's own p_event_time comes from eventTime, never from the input's p_event_time
    out = compile_parser(res.schema).parse(recs[5])
    assert out["p_event_time"].startswith("2025-03-02")


def test_no_explanations(result):
    res, _ = result
    assert "kept as string (leading zeros would be lost)" in res.explanations["zipCode"]
    assert "kept as string (the name says it is an identifier" in res.explanations["requestId"]
    assert "optional: missing in" in res.explanations["payload.resource"]
    assert "Severity" in describe(res)
    res2 = infer_schema([orjson.dumps({"when": w, "n": i}).decode() for i, w in
                         enumerate(["2024-01-01T00:00:00Z", "soon", "later", "never", "2024-01-02T00:00:00Z"] * 5)])
    assert "not a timestamp: only 10/25 values are times" in res2.explanations["when"]
    res3 = infer_schema([orjson.dumps({"client_ip": v}).decode() for v in ["10.0.0.1", "n/a", "unknown", "none"] * 5])
    assert "not an indicator: only 5/20 values are IP addresses" in res3.explanations["client_ip"]


def test_parse_with_the_inferred_schema(result):
    res, recs = result
    parser = compile_parser(res.schema)
    out = [parser.parse(r) for r in recs]
    bad = [o for o in out if isinstance(o, ParseError)]
    assert len(bad) == 1 and bad[0].value == "redacted"  # Panther fails the one event whose time is not a time
    ok = [o for o in out if isinstance(o, dict)]
    assert len(ok) == 412 and all(o["p_event_time"] == o["eventTime"] for o in ok)


def test_warnings_no_event_time_and_custom_prefix():
    res = infer_schema([orjson.dumps({"a": i, "b": "x"}).decode() for i in range(5)], name="Acme.Thing")
    assert NO_EVENT_TIME in res.warnings
    assert any("does not start with 'Custom.'" in w for w in res.warnings)
    schema = load_schema(dump_schema(res.schema))
    assert NO_EVENT_TIME in schema_warnings(schema)


def test_validate_knows_managed_names_and_go_layouts():
    from pathlib import Path

    from workbench.schema.advice import schema_warnings
    from workbench.source.signatures import shipped_log_types

    s3 = load_schema(Path(__file__).parents[3] / "schemas" / "AWS.S3ServerAccess.yml")
    assert schema_warnings(s3, shipped_log_types()) == []  # a managed name; a Go layout with a year
    assert any("does not start with 'Custom.'" in w for w in schema_warnings(s3))
