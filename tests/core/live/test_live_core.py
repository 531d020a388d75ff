"""Pure parts of live mode: mode choice, leftover detection, the ring buffer and rates, drift and its patch."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from workbench.config import PrefixMapping, Source, parse_config
from workbench.errors import WorkbenchError
from workbench.live.buffer import ALERT, EVENT, PARSE_ERROR, LiveBuffer, LiveItem, RateMeter
from workbench.live.drift import DriftTracker, compatible
from workbench.live.own_queue import _host, is_stale, queue_arn
from workbench.live.source_base import TAG_CREATED, TAG_HOST, TAG_PID
from workbench.live.sources import choose_mode
from workbench.live.tail import live_settings
from workbench.schema import load_schema, schema_from_dict

SOURCE = Source(name="s", bucket="b", topic_arn="arn:aws:sns:us-east-1:1:t", queue_url="https://q/1/q",
                prefixes=(PrefixMapping("a/", ("A",)),))


def test_mode_defaults_to_own_queue_with_a_topic_and_poll_without_and_never_peeks_by_itself():
    assert choose_mode(SOURCE)[0] == "own-queue"
    mode, reason = choose_mode(replace(SOURCE, topic_arn=None))
    assert mode == "poll" and "--mode peek" in reason
    assert choose_mode(replace(SOURCE, topic_arn=None, queue_url=None))[0] == "poll"
    assert choose_mode(SOURCE, "peek") == ("peek", choose_mode(SOURCE, "peek")[1])
    with pytest.raises(WorkbenchError, match="no `topic_arn`"):
        choose_mode(replace(SOURCE, topic_arn=None), "own-queue")
    with pytest.raises(WorkbenchError, match="no `queue_url`"):
        choose_mode(replace(SOURCE, queue_url=None), "peek")


def test_leftovers_are_queues_of_dead_processes_here_or_old_ones_elsewhere():
    now = datetime.now(UTC)
    dead = 2**22 + 12345  # above the default pid_max: never a live process
    assert is_stale({TAG_HOST: _host(), TAG_PID: str(dead)}, None)
    assert not is_stale({TAG_HOST: _host(), TAG_PID: str(os.getpid())}, None)  # ourselves
    assert not is_stale({TAG_HOST: _host(), TAG_PID: str(os.getppid())}, None)  # alive
    other = {TAG_HOST: "elsewhere", TAG_PID: "1", TAG_CREATED: (now - timedelta(hours=1)).isoformat()}
    assert not is_stale(other, None)
    assert is_stale({**other, TAG_CREATED: (now - timedelta(days=2)).isoformat()}, None)
    assert is_stale({}, now - timedelta(days=2)) and not is_stale({}, now)


def test_queue_arn_from_url():
    assert queue_arn("http://127.0.0.1:5000/123456789012/q1", "eu-west-1") == "arn:aws:sqs:eu-west-1:123456789012:q1"


def test_live_settings_from_the_config():
    cfg = parse_config("live:\n  buffer_size: 500\n  poll_interval: 0.5\nsources: {}\n")
    s = live_settings(cfg)
    assert s["buffer_size"] == 500 and s["poll_interval"] == 0.5 and s["workers"] == 8
    with pytest.raises(WorkbenchError, match=r"live\.nope"):
        live_settings(parse_config("live: {nope: 1}\n"))
    with pytest.raises(WorkbenchError, match="must be a number"):
        live_settings(parse_config("live: {buffer_size: lots}\n"))


def _item(buf: LiveBuffer, kind: str = EVENT, log_type: str = "A", rule: str = "") -> LiveItem:
    return LiveItem(buf.next_seq(), kind, log_type, "b", "k", event={"x": 1}, rule_id=rule)


def test_ring_buffer_is_bounded_and_readers_learn_what_they_missed():
    buf = LiveBuffer(size=10)
    buf.extend([_item(buf) for _ in range(25)])
    assert len(buf) == 10 and buf.stats.events == 25
    items, cursor, dropped = buf.after(0)
    assert [i.seq for i in items] == list(range(16, 26)) and cursor == 25 and dropped == 15
    assert buf.after(cursor) == ([], 25, 0)
    buf.extend([_item(buf), _item(buf, ALERT, rule="R"), _item(buf, PARSE_ERROR)])
    items, cursor, dropped = buf.after(25, limit=2)
    assert [i.seq for i in items] == [26, 27] and cursor == 27 and dropped == 0
    assert buf.stats.alerts == 1 and buf.stats.parse_errors == 1 and len(buf.parse_errors) == 1
    assert buf.wait(27, 0.01) and not buf.wait(28, 0.01)


def test_rates_are_per_second_over_a_window_and_the_series_feeds_a_sparkline():
    m = RateMeter()
    t = 1_000_000.0
    for s in range(10):
        m.add("A", 5, now=t + s)
    m.add("B", 3, now=t + 9)
    assert m.rate("A", now=t + 9) == 5.0 and m.rate("B", now=t + 9) == 0.3
    assert m.rate("A", now=t + 100) == 0.0
    assert m.series("A", seconds=5, now=t + 10) == [5, 5, 5, 5, 0]
    assert m.totals == {"A": 50, "B": 3}


def test_rate_meter_caps_distinct_names():
    m = RateMeter(max_keys=3)
    for i in range(10):
        m.add(f"n{i}", now=0)
    assert len(m.rates(now=0)) == 4 and m.totals["(other)"] == 7  # three names, then "(other)"


SCHEMA = load_schema("""\
schema: Custom.T
fields:
  - name: a
    type: bigint
  - name: o
    type: object
    fields:
      - name: s
        type: string
  - name: emb
    type: object
    isEmbeddedJSON: true
    fields:
      - name: n
        type: bigint
  - name: arr
    type: array
    element:
      type: object
      fields:
        - name: x
          type: boolean
""")


def test_compatibility_follows_panther_coercions():
    assert compatible("bigint", "12") and compatible("bigint", 3) and not compatible("bigint", "x")
    assert not compatible("bigint", True) and compatible("float", "1.5e3") and compatible("string", 5)
    assert not compatible("string", {"a": 1}) and compatible("boolean", "TRUE") and compatible("json", [1])
    assert compatible("timestamp", 1700000000) and not compatible("object", [1]) and compatible("bigint", None)


def test_drift_counts_new_fields_and_conflicts_at_every_depth():
    d = DriftTracker({"Custom.T": SCHEMA})
    d.observe("Custom.T", {"a": "x", "o": {"s": "ok", "new": 1.5}, "arr": [{"x": "no", "y": 1}], "top": True,
                           "when": "2024-01-01T00:00:00Z", "nul": None})
    d.observe("Custom.T", {"a": 2, "o": {"new": 2}, "top": False, "emb": '{"n": 1, "m": 2}'})
    d.observe("Other", {"ignored": 1})
    (r,) = d.report()
    assert r.records == 2 and set(r.conflicts) == {"a", "arr[].x"}
    assert r.conflicts["a"].seen == {"string": 1} and r.conflicts["a"].schema_type == "bigint"
    assert set(r.new_fields) == {"o.new", "arr[].y", "top", "when", "emb.m"}  # embedded JSON is looked into
    assert r.new_fields["o.new"].suggested_type == "float"  # float then bigint widens to float
    assert r.new_fields["top"].suggested_type == "boolean"
    assert r.new_fields["when"].suggested_type == "timestamp"
    patch = d.suggested_patch("Custom.T")
    schema = schema_from_dict(patch)
    assert [f.name for f in schema.fields] == ["a", "o", "emb", "arr", "top", "when"]
    assert schema.fields[0].type == "bigint"  # conflicts are never "fixed" by retyping
    assert [f.name for f in schema.fields[1].fields] == ["s", "new"]
    assert [f.name for f in schema.fields[3].element.fields] == ["x", "y"]
    assert schema.fields[5].time_formats == ("rfc3339",)
    assert "Panther does not allow" in DriftTracker.advice(r.conflicts["a"])
    assert d.suggested_patch("Other") is None


def test_drift_memory_is_bounded():
    d = DriftTracker({"Custom.T": SCHEMA})
    for i in range(2000):
        d.observe("Custom.T", {f"f{i}": i})
    assert len(d.report()[0].new_fields) == 500


def test_text_parser_schemas_are_not_checked_for_drift():
    csv = schema_from_dict({"schema": "Custom.C", "parser": {"csv": {"delimiter": ",", "hasHeader": True}},
                            "fields": [{"name": "a", "type": "string"}]})
    d = DriftTracker({"Custom.C": csv})
    d.observe("Custom.C", {"b": 1})
    assert not d.knows("Custom.C") and d.report() == []


def test_backoff_doubles_to_a_cap_and_resets_and_throttling_is_recognised():
    from botocore.exceptions import ClientError

    from workbench.live.source_base import BACKOFF_MAX, _Backoff, _is_throttle

    b = _Backoff()
    delays = [b.failed() for _ in range(8)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0] and max(delays) == BACKOFF_MAX
    b.ok()
    assert b.failed() == 1.0
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "ReceiveMessage")
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ReceiveMessage")
    assert _is_throttle(throttled) and not _is_throttle(denied)


class _Scripted:
    """A notification source replaying fixed message bodies once (the `LiveSource` interface, no AWS)."""

    mode = "scripted"

    def __init__(self, bodies):
        self.bodies = list(bodies)
        self.closed = False

    def open(self):
        pass

    def receive(self, cancel):
        import time as _time

        from workbench.live.envelopes import unwrap
        from workbench.live.source_base import Received

        if not self.bodies:
            cancel.wait(0.05)
            return []
        out = [Received(unwrap(b), f"m{i}", _time.time(), str(b)[:50]) for i, b in enumerate(self.bodies)]
        self.bodies = []
        return out

    def close(self):
        self.closed = True


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")), max_size=8))
def test_fuzzed_messages_through_the_pipeline_are_counted_never_fatal(bodies):
    import time as _time

    from workbench.live.tail import LiveTail

    cfg = parse_config("sources:\n  s:\n    bucket: wb-fuzz-bucket-never\n    prefixes: {a/: A}\n")
    source = cfg.source("s")
    scripted = _Scripted(bodies)
    tail = LiveTail(cfg, source, mode="poll", use_rules=False, notifications=scripted)
    tail.start()
    try:
        deadline = _time.monotonic() + 30
        while tail.buffer.stats.messages < len(bodies) and _time.monotonic() < deadline:
            _time.sleep(0.01)
        s = tail.buffer.stats
        assert s.messages == len(bodies) and tail.running
        from workbench.live.envelopes import MALFORMED, unwrap

        assert s.malformed == sum(unwrap(b).kind == MALFORMED for b in bodies)  # each one counted…
        assert s.malformed == sum(1 for p in tail.buffer.problems if p.kind == "malformed")  # …and listed
        assert s.objects == 0  # nothing here names the source's bucket
    finally:
        tail.stop()
    assert scripted.closed
