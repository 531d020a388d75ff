"""Live mode under faults and hostile messages, on the demo's real SQS/SNS: the queue deleted while tailing
(own-queue and peek), hostile message bodies, and proof — from the proxy's record of every call — that the tool
never deletes or purges a message of a queue it did not create."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace

import pytest
import yaml

from workbench.aws import AwsSession
from workbench.live.source_base import QUEUE_PREFIX
from workbench.live.tail import LiveTail

from . import corpus
from .checks import assert_cli_survived, assert_no_control, assert_plain_sentence, run_cli
from .faultproxy import FaultProxy

pytestmark = pytest.mark.demo
WAIT = 60  # a hang guard, not a speed check
DESTRUCTIVE = ("DeleteMessage", "DeleteMessageBatch", "PurgeQueue", "DeleteQueue")


def _until(check, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _ours(demo) -> list[str]:
    return demo.clients()["sqs"].list_queues(QueueNamePrefix=QUEUE_PREFIX).get("QueueUrls") or []


@pytest.fixture
def foreign_queue(demo):
    """A queue the tool did not create (as the production queue is), holding hostile and odd messages."""
    sqs = demo.clients()["sqs"]
    url = sqs.create_queue(QueueName=f"hostile-foreign-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    bodies = [b for b in corpus.notification_bodies().values() if isinstance(b, str) and 0 < len(b) < 4096][:12]
    bodies.append(json.dumps({"Records": [corpus._s3_record("never/put/\x1b]0;t\x07.json.gz", bucket=demo.info.bucket)]}))
    for b in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=b)
    try:
        yield url, len(bodies)
    finally:
        try:
            sqs.delete_queue(QueueUrl=url)
        except Exception:
            pass  # a test deleted it already


def _held(demo, url: str) -> int:
    attrs = demo.clients()["sqs"].get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_own_queue_deleted_while_tailing(demo, tally):
    statuses: list[tuple[str, str]] = []
    tail = LiveTail(demo.config, demo.source, mode="own-queue", use_rules=False,
                    on_status=lambda level, line: statuses.append((level, line)))
    tail.start()
    try:
        url = tail.created["queue_url"]
        assert url
        demo.clients()["sqs"].delete_queue(QueueUrl=url)
        tally.faults("queue-deleted")
        _until(lambda: any(level == "error" and "does not exist" in line for level, line in statuses),
               "the tail to say its queue is gone")
        assert tail.running  # it keeps trying (with backoff) instead of dying
    finally:
        tail.stop()
    for _level, line in statuses:
        assert_plain_sentence(line, "status line")
    assert not [q for q in _ours(demo) if q == url]


def test_peek_never_deletes_and_survives_the_queue_vanishing(demo, foreign_queue, tally):
    url, n = foreign_queue
    statuses: list[tuple[str, str]] = []
    with FaultProxy(demo.endpoint) as proxy:
        source = replace(demo.source, endpoint=proxy.endpoint, queue_url=url, topic_arn=None)
        tail = LiveTail(demo.config, source, mode="peek", use_rules=False, aws=AwsSession(source),
                        on_status=lambda level, line: statuses.append((level, line)))
        tail.start()
        try:
            _until(lambda: tail.buffer.stats.messages >= n, "every message to be peeked")
            tally.inputs("notification", n, entry="live.peek")
            tail.buffer.wait(0, 1.0)
            assert _held(demo, url) == n  # nothing consumed
            demo.clients()["sqs"].delete_queue(QueueUrl=url)
            tally.faults("queue-deleted")
            _until(lambda: any(level == "error" for level, _ in statuses), "the tail to report the queue gone")
            assert tail.running
        finally:
            tail.stop()
        destructive = [s for s in proxy.seen if s.op in DESTRUCTIVE]
        assert proxy.ops("ReceiveMessage") and not destructive, destructive
    for _level, line in statuses:
        assert_plain_sentence(line, "status line")
    for p in tail.buffer.problems:
        assert isinstance(p.reason, str)  # raw data, shown through the safe render helpers (see the TUI tests)


def test_cli_tail_peek_prints_hostile_messages_safely(demo, foreign_queue, tmp_path, tally):
    url, n = foreign_queue
    cfg = yaml.safe_load(demo.config_path.read_text())
    src = cfg["sources"]["demo"]
    src.update(queue_url=url, credentials_file=str(demo.config_path.parent / src["credentials_file"]))
    src.pop("topic_arn", None)
    path = tmp_path / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg))
    for fmt in ((),):  # human output: the one a terminal shows (the JSON form is covered by the live tests)
        proc = run_cli("tail", "--config", str(path), "--mode", "peek", "--no-rules", "--timeout", "6", *fmt)
        tally.inputs("notification", n, entry="cli.tail")
        assert_cli_survived(proc, codes=(0,), machine=bool(fmt))
        assert_no_control(proc.stderr, "tail stderr")
    assert _held(demo, url) == n
