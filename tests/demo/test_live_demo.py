"""Live mode end to end on the embedded demo (real moto server): objects put during a test arrive as parsed
events with the right p_log_type and rule hits, in every mode, and the production queue is left exactly as
it was (own-queue and peek), with nothing of ours left behind — even after a killed run.
"""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from livekit import LOG_TYPE, RULE_ID, SCHEMA, WAIT, Puts, _check_items, _ours, _production, _wait_for_key

from workbench.demo.generator import live_object
from workbench.demo.seed import put_object
from workbench.live.own_queue import OwnQueueSource
from workbench.live.source_base import QUEUE_PREFIX
from workbench.live.tail import LiveTail

pytestmark = pytest.mark.demo



def test_own_queue_streams_new_objects_and_leaves_production_untouched(demo, live_config):
    before = _production(demo)
    puts = Puts(demo, 11)
    try:
        with LiveTail(live_config, demo.source, mode="own-queue") as tail:
            assert tail.mode == "own-queue" and "topic" in tail.reason
            queue_url = tail.created["queue_url"]
            assert queue_url and QUEUE_PREFIX in queue_url
            key, n = puts.auth()
            _check_items(_wait_for_key(tail, key, n), n)
            assert tail.buffer.log_types.totals[LOG_TYPE] >= n and tail.buffer.rules.totals[RULE_ID] >= n
        assert _ours(demo) == ([], [])
        after = _production(demo)
        # the production queue: every old message still there, unchanged and visible; plus the new notice
        assert after[1] == 0 and before[1] == 0
        assert {k: after[2][k] for k in before[2]} == before[2]
        assert after[0] == before[0] + 1 and len(after[2]) == len(before[2]) + 1
    finally:
        puts.cleanup()
    assert _production(demo)[2] == before[2]


def test_peek_reads_production_without_consuming_anything(demo, live_config):
    before = _production(demo)
    puts = Puts(demo, 12)
    try:
        with LiveTail(live_config, demo.source, mode="peek") as tail:
            assert tail.created["queue_url"] is None
            assert any("never deleted" in p.reason for p in tail.buffer.problems)  # the warning is shown
            key, n = puts.auth()
            _check_items(_wait_for_key(tail, key, n), n)
        after = _production(demo)
        assert after[1] == 0
        assert {k: after[2][k] for k in before[2]} == before[2]
        assert after[0] == before[0] + 1 and len(after[2]) == len(before[2]) + 1
        assert _ours(demo) == ([], [])
    finally:
        puts.cleanup()


def test_poll_lists_new_keys_without_any_queue(demo, live_config):
    puts = Puts(demo, 13)
    source = replace(demo.source, topic_arn=None, queue_url=None)
    try:
        with LiveTail(live_config, source) as tail:
            assert tail.mode == "poll" and "no SNS topic" in tail.reason
            key, n = puts.auth()
            items = _wait_for_key(tail, key, n)
            _check_items(items, n)
            # the keys that existed before the tail started are never reported
            assert {i.key for i in tail.buffer.snapshot()} == {key}
    finally:
        puts.cleanup()


def test_drift_reports_undeclared_fields_conflicts_and_a_patch_that_loads(demo, live_config, tmp_path):
    from workbench.schema import schema_from_dict

    (tmp_path / "auth.yml").write_text(SCHEMA + "  - name: method\n    type: bigint\n")  # a wrong type on purpose
    config = replace(live_config, schema_dirs=(tmp_path,))
    puts = Puts(demo, 14)
    try:
        with LiveTail(config, demo.source, use_rules=False) as tail:
            key, n = puts.auth()
            deadline = time.monotonic() + WAIT
            while tail.buffer.stats.parse_errors < n and time.monotonic() < deadline:
                time.sleep(0.1)
            errors = [i for i in tail.buffer.snapshot() if i.kind == "parse_error" and i.key == key]
            assert len(errors) == n and all("method" in e.reason for e in errors)
            drift = {d.log_type: d for d in tail.drift.report()}[LOG_TYPE]
            assert drift.conflicts["method"].schema_type == "bigint"
            assert drift.conflicts["method"].seen == {"string": n}
            assert "account_id" not in drift.conflicts  # a numeric string is a valid bigint
            assert {"client", "session_id", "context", "actor.user_id", "actor.mfa"} <= set(drift.new_fields)
            assert drift.new_fields["actor.mfa"].suggested_type == "boolean"
            schema = schema_from_dict(tail.drift.suggested_patch(LOG_TYPE))
            names = [f.name for f in schema.fields]
            assert names[:7] == ["ts", "event_type", "event_id", "account_id", "outcome", "actor", "method"]
            assert {"client", "session_id", "context"} <= set(names)
            assert next(f for f in schema.fields if f.name == "method").type == "bigint"  # never retyped
            actor = next(f for f in schema.fields if f.name == "actor")
            assert {"email", "user_id", "mfa", "roles"} <= {f.name for f in actor.fields}
    finally:
        puts.cleanup()


def test_malformed_and_odd_messages_are_counted_not_fatal(demo, live_config):
    """A throwaway topic (not the demo's) so hostile publishes never reach the production queue."""
    c = demo.clients()
    topic = c["sns"].create_topic(Name="workbench-live-test-topic")["TopicArn"]
    source = replace(demo.source, topic_arn=topic)
    puts = Puts(demo, 15)
    try:
        with LiveTail(live_config, source, use_rules=False) as tail:
            bodies = ["not json", "[1, 2]", '{"Type": "Weird", "Message": "x"}', "\x1b]0;pwned\x07[/]",
                      json.dumps({"Records": [{"s3": {}}]}), "CloudTrail validation message.",
                      json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "wb-demo-logs"}),
                      json.dumps({"s3Bucket": "wb-demo-logs", "s3ObjectKey": ["Panoptica/auth/missing+key.json.gz"]})]
            for b in bodies:
                c["sns"].publish(TopicArn=topic, Message=b)
            # and a real object announced the CloudTrail way (key not URL-encoded) still flows
            key, n = puts.auth()
            c["sns"].publish(TopicArn=topic, Message=json.dumps({"s3Bucket": "wb-demo-logs", "s3ObjectKey": [key]}))
            _wait_for_key(tail, key, n)
            deadline = time.monotonic() + WAIT
            while (tail.buffer.stats.messages < len(bodies) + 1 or not tail.buffer.stats.fetch_failures) \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
            s = tail.buffer.stats
            assert s.malformed == 5 and s.ignored == 2 and s.fetch_failures == 1
            kinds = [p.kind for p in tail.buffer.problems]
            assert kinds.count("malformed") == 5
    finally:
        puts.cleanup()
        c["sns"].delete_topic(TopicArn=topic)


def _start_cli(config_file: Path, *extra: str) -> tuple[subprocess.Popen, list[str], threading.Event]:
    # SIGINT at its default in the child whatever this process inherited: a shell starts background jobs (`make
    # test &`, nohup) with SIGINT ignored, the child would inherit that and Ctrl+C tests would hang
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "tail", "--config", str(config_file),
                             "--source", "demo", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[str] = []
    ready = threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            if "waiting for new objects" in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc.stderr_reader = reader  # join it before reading the last lines; never `communicate` (it reads stderr too)
    assert ready.wait(WAIT), "tail did not start"
    return proc, lines, ready


def test_cli_streams_ndjson_until_max_events_and_cleans_up(demo, config_file):
    puts = Puts(demo, 16)
    try:
        proc, err, _ = _start_cli(config_file, "--json", "--max-events", "3", "--timeout", str(WAIT))
        assert proc.poll() is None, "".join(err)
        _key, lines = puts.auth()
        # stdout only: the reader thread owns stderr (two readers of one pipe split its lines between them)
        out = proc.stdout.read()
        proc.wait(timeout=WAIT)
        proc.stderr_reader.join(WAIT)
        assert proc.returncode == 0, "".join(err)
        rows = [json.loads(line) for line in out.splitlines()]
        events = [r for r in rows if r["kind"] == "event"]
        assert len(events) == 3 and all(r["p_log_type"] == LOG_TYPE and r["event"]["p_log_type"] == LOG_TYPE
                                        for r in events)
        assert all(r["rules"] == [RULE_ID] for r in events)
        alerts = [r for r in rows if r["kind"] == "alert"]
        assert any(r["rule_id"] == RULE_ID for r in alerts)
        assert any("own-queue" in line for line in err) and any("--max-events 3 reached" in line for line in err)
        # the object holds more events than --max-events lets through: the summary says what was printed
        summary = next(line for line in reversed(err) if " fetch failures in " in line)
        assert lines > 3 and summary.startswith(f"tail: 3 events, {len(alerts)} alerts, "), summary
        assert f"({lines - 3:,} events" in summary and "not printed)" in summary, summary
        assert _ours(demo) == ([], [])
    finally:
        puts.cleanup()


def test_cli_interrupt_cleans_up(demo, config_file):
    proc, err, _ = _start_cli(config_file, "--json")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=WAIT)
    assert proc.returncode == 130, "".join(err)
    assert _ours(demo) == ([], [])


def test_killed_run_is_cleaned_up_by_the_next_start(demo, config_file):
    proc, _err, _ = _start_cli(config_file, "--json")
    proc.kill()  # SIGKILL: no cleanup runs
    proc.communicate(timeout=WAIT)
    queues, subs = _ours(demo)
    assert len(queues) == 1 and len(subs) == 1  # what the killed run left
    src = OwnQueueSource(demo.aws, demo.source)
    src.open()
    try:
        assert len(src.cleaned) == 1 and src.cleaned[0] in queues[0]
        queues, subs = _ours(demo)
        assert queues == [src.queue_url] and subs == [src.queue_arn]
    finally:
        src.close()
    assert _ours(demo) == ([], [])


def test_an_unreachable_queue_gives_a_clear_status_and_the_tail_survives(demo, live_config):
    with LiveTail(live_config, demo.source, use_rules=False) as tail:
        demo.clients()["sqs"].delete_queue(QueueUrl=tail.created["queue_url"])  # pulled from under us
        deadline = time.monotonic() + WAIT
        while tail.status[0] != "error" and time.monotonic() < deadline:
            time.sleep(0.1)
        level, line = tail.status
        assert level == "error" and "queue does not exist" in line and "Retrying in" in line
        assert tail.running
    assert _ours(demo) == ([], [])  # the subscription is still removed


def test_peek_at_a_missing_queue_fails_with_one_sentence(demo, live_config):
    from workbench.errors import WorkbenchError

    source = replace(demo.source, queue_url=demo.info.queue_url.rsplit("/", 1)[0] + "/no-such-queue")
    tail = LiveTail(live_config, source, mode="peek", use_rules=False)
    with pytest.raises(WorkbenchError, match="queue does not exist"):
        tail.start()
    tail.stop()


def test_keys_with_spaces_plus_and_brackets_arrive_exactly(demo, live_config):
    """moto URL-encodes the key in the S3 event (even '/'); unquote_plus must give back the exact key."""
    puts = Puts(demo, 17)
    spec = live_object(puts.rng, "auth", datetime.now(UTC))
    key = spec.key.replace(".json.gz", " a+b [/]=%2F.json.gz")
    try:
        with LiveTail(live_config, demo.source, use_rules=False) as tail:
            put_object(demo.s3, demo.info.bucket, type(spec)(key, spec.body), None)
            puts.keys.append(key)
            items = _wait_for_key(tail, key, len(gzip.decompress(spec.body).splitlines()))
            assert {i.event["p_source_file"]["aws_s3_key"] for i in items} == {key}
    finally:
        puts.cleanup()


def test_a_missing_topic_fails_with_one_sentence_and_leaves_no_queue(demo, live_config):
    from workbench.errors import WorkbenchError

    source = replace(demo.source, topic_arn=demo.info.topic_arn.rsplit(":", 1)[0] + ":no-such-topic")
    tail = LiveTail(live_config, source, use_rules=False)
    with pytest.raises(WorkbenchError, match="no-such-topic: it does not exist"):
        tail.start()
    tail.stop()
    assert _ours(demo) == ([], [])
