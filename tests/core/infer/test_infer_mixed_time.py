"""A JSON field holding numbers in some events and text in others: a timestamp reading both when both are
times (Cloudflare Logpush writes EdgeStartTimestamp as unix nanoseconds with `timestamp_format=unixnano` and as
RFC 3339 with `timestamp_format=rfc3339`; a bucket fed by two jobs holds both), else a string with the reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from workbench.infer import infer_schema
from workbench.model import Record
from workbench.parse import compile_parser
from workbench.schema import dump_schema, load_schema

START = datetime(2024, 5, 2, 10, 0, 0, tzinfo=UTC)


def _stored(dt: datetime, nanos: int = 0) -> str:
    """Panther's stored timestamp text, computed here with datetime (not with the code under test)."""
    dt = dt.astimezone(UTC)
    return f"{dt:%Y-%m-%d %H:%M:%S}.{dt.microsecond * 1000 + nanos:09d}"


def cloudflare_events(n: int = 300) -> list[tuple[dict, str]]:
    """(event, expected stored time): two Logpush jobs, one writing unix nanoseconds, one RFC 3339 with offsets."""
    out = []
    for i in range(n):
        at = START + timedelta(seconds=37 * i, microseconds=(i * 7919) % 1_000_000)
        extra_ns = (i * 13) % 1000
        if i % 3:
            seconds = int(at.timestamp())
            stamp: int | str = seconds * 1_000_000_000 + at.microsecond * 1000 + extra_ns
            expected = _stored(at, extra_ns)
        else:
            local = at.astimezone(timezone(timedelta(hours=-7)) if i % 2 else UTC)  # offsets as well as Z
            stamp = local.isoformat().replace("+00:00", "Z")
            expected = _stored(at)
        event = {"ClientIP": f"198.51.100.{i % 200}", "ClientRequestHost": "www.example.com",
                 "EdgeStartTimestamp": stamp, "EdgeResponseStatus": 200 if i % 7 else 404, "RayID": f"7c{i:014x}"}
        out.append((event, expected))
    return out


def _records(events: list[dict]) -> list[Record]:
    return [Record("b", "cloudflare/http_requests/20240502/part-0.log", i, json.dumps(e))
            for i, e in enumerate(events, start=1)]


def test_numbers_and_text_that_are_all_times_become_one_timestamp_with_both_formats():
    pairs = cloudflare_events()
    result = infer_schema(_records([e for e, _ in pairs]), name="Custom.Cloudflare.Http")
    field = next(f for f in result.schema.fields if f.name == "EdgeStartTimestamp")
    assert (field.type, field.time_formats, field.is_event_time) == ("timestamp", ("rfc3339", "unix_ns"), True)
    why = result.explanations["EdgeStartTimestamp"]
    assert "mixed types (200 int, 100 string)" in why
    assert "300/300 values are times: 200 JSON numbers read as unix_ns and 100 text values in RFC 3339" in why
    assert "timeFormats ['rfc3339', 'unix_ns']" in why
    # the schema Panther gets reads every event's time exactly, whichever way it was written
    parser = compile_parser(load_schema(dump_schema(result.schema)))
    for (event, expected), record in zip(pairs, _records([e for e, _ in pairs]), strict=True):
        out = parser.parse(record)
        assert isinstance(out, dict), out
        assert out["p_event_time"] == expected, (event["EdgeStartTimestamp"], out["p_event_time"], expected)


def test_a_stray_value_is_counted_and_the_field_stays_a_timestamp():
    events = [e for e, _ in cloudflare_events(200)]
    events[5]["EdgeStartTimestamp"] = "redacted"
    result = infer_schema(_records(events), name="Custom.Cloudflare.Http")
    field = next(f for f in result.schema.fields if f.name == "EdgeStartTimestamp")
    assert field.type == "timestamp"
    assert "199/200 values are times" in result.explanations["EdgeStartTimestamp"]
    assert "1/200 values are not times: 'redacted'" in result.explanations["EdgeStartTimestamp"]


def test_numbers_mixed_with_text_that_is_not_time_stay_a_string_with_the_reason():
    events = [{"ts": "2024-05-02T10:00:00Z", "code": 1714644000123456789 + i if i % 2 else f"E{i:03d}"} for i in range(60)]
    result = infer_schema(_records(events), name="Custom.Codes")
    field = next(f for f in result.schema.fields if f.name == "code")
    assert field.type == "string"
    why = result.explanations["code"]
    assert "type conflict (30 string, 30 int" in why or "type conflict (30 int, 30 string" in why
    assert "its 30 numbers read as unix_ns but its 30 text values are not times (e.g. 'E000'" in why


def test_small_numbers_mixed_with_times_are_not_a_timestamp():
    events = [{"when": "2024-05-02T10:00:00Z" if i % 2 else i} for i in range(40)]
    result = infer_schema(_records(events), name="Custom.When")
    assert result.schema.fields[0].type == "string"
    assert "its 20 numbers (0 … 38) are not unix times of one unit" in result.explanations["when"]
