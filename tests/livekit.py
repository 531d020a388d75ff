"""Shared pieces of the live-mode tests on the demo: the partial schema and rule they load, the fixtures that
write them, and helpers that put objects and read queues. Used by tests/demo and tests/tui."""

from __future__ import annotations

import gzip
import random
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import yaml

from workbench.demo.generator import live_object
from workbench.demo.seed import put_object
from workbench.live.source_base import QUEUE_PREFIX
from workbench.live.tail import LiveTail

LOG_TYPE = "Custom.Panoptica.Auth"
RULE_ID = "Test.Live.AnyAuth"
WAIT = 60  # seconds before a test gives up waiting for an object it put (a hang guard, not a speed check)

SCHEMA = """\
schema: Custom.Panoptica.Auth
description: A deliberately partial schema, so live drift has something to report
fields:
  - name: ts
    required: true
    type: timestamp
    timeFormats: [rfc3339]
    isEventTime: true
  - name: event_type
    type: string
  - name: event_id
    type: string
  - name: account_id
    type: bigint
  - name: outcome
    type: string
  - name: actor
    type: object
    fields:
      - name: email
        type: string
        indicators: [email]
"""

RULE_YML = f"""\
AnalysisType: rule
RuleID: {RULE_ID}
Filename: any_auth.py
Enabled: true
LogTypes: [{LOG_TYPE}]
Severity: Low
"""

RULE_PY = """\
def rule(event):
    return True


def title(event):
    return f"auth by {event.deep_get('actor', 'email', default='?')}"
"""


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    root = tmp_path_factory.mktemp("live-content")
    (root / "schemas").mkdir()
    (root / "schemas" / "auth.yml").write_text(SCHEMA)
    (root / "rules").mkdir()
    (root / "rules" / "any_auth.yml").write_text(RULE_YML)
    (root / "rules" / "any_auth.py").write_text(RULE_PY)
    return root


@pytest.fixture(scope="module")
def live_config(demo, content):
    return replace(demo.config, schema_dirs=(content / "schemas",), rules_dir=content / "rules",
                   extra={"live": {"poll_interval": 0.5}})


@pytest.fixture(scope="module")
def config_file(demo, content, tmp_path_factory):
    """The demo's workbench.yaml pointing at the test schemas and rules, for the CLI."""
    raw = yaml.safe_load(demo.config_path.read_text())
    raw["schemas"] = [str(content / "schemas")]
    raw["rules"] = str(content / "rules")
    creds = raw["sources"]["demo"]["credentials_file"]
    raw["sources"]["demo"]["credentials_file"] = str(demo.config_path.parent / creds)
    path = tmp_path_factory.mktemp("live-cli") / "workbench.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


class Puts:
    """Objects a test puts; removed afterwards (with their production-queue notices) so other tests see the
    seeded bucket and queue unchanged."""

    def __init__(self, demo, seed: int):
        self.demo = demo
        self.rng = random.Random(seed)
        self.keys: list[str] = []

    def auth(self) -> tuple[str, int]:
        spec = live_object(self.rng, "auth", datetime.now(UTC))
        put_object(self.demo.s3, self.demo.info.bucket, spec, None)
        self.keys.append(spec.key)
        return spec.key, len(gzip.decompress(spec.body).splitlines())

    def cleanup(self) -> None:
        for k in self.keys:
            self.demo.s3.delete_object(Bucket=self.demo.info.bucket, Key=k)
        sqs = self.demo.clients()["sqs"]
        _drain_notices(sqs, self.demo.info.queue_url, self.keys)


def _sweep(sqs, url: str) -> list[dict]:
    """Every message of a queue (received with a visibility timeout, then handed back at once)."""
    got: list[dict] = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30,
                                   AttributeNames=["All"]).get("Messages") or []
        if not msgs:
            break
        got += msgs
    for i in range(0, len(got), 10):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": str(j), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for j, m in enumerate(got[i:i + 10])])
    return got


def _drain_notices(sqs, url: str, keys: list[str]) -> None:
    """Delete the production notices of the test's own objects (the test plays the production consumer)."""
    from workbench.live.envelopes import unwrap

    wanted = set(keys)
    for m in _sweep(sqs, url):
        if {n.key for n in unwrap(m["Body"]).notifications} & wanted:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def _production(demo) -> tuple[int, int, dict[str, str]]:
    sqs = demo.clients()["sqs"]
    attrs = sqs.get_queue_attributes(QueueUrl=demo.info.queue_url, AttributeNames=["All"])["Attributes"]
    bodies = {m["MessageId"]: m["Body"] for m in _sweep(sqs, demo.info.queue_url)}
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"]), bodies


def _ours(demo) -> tuple[list[str], list[str]]:
    c = demo.clients()
    queues = c["sqs"].list_queues(QueueNamePrefix=QUEUE_PREFIX).get("QueueUrls") or []
    subs = [s["Endpoint"] for s in c["sns"].list_subscriptions_by_topic(TopicArn=demo.info.topic_arn)["Subscriptions"]
            if QUEUE_PREFIX in s["Endpoint"]]
    return queues, subs


def _wait_for_key(tail: LiveTail, key: str, n_events: int) -> list:
    """Items of `key` once all its events (and their alerts) are in the buffer."""
    deadline = time.monotonic() + WAIT
    cursor, mine = 0, []
    while time.monotonic() < deadline:
        tail.buffer.wait(cursor, 0.5)
        items, cursor, _ = tail.buffer.after(cursor)
        mine += [i for i in items if i.key == key]
        if sum(1 for i in mine if i.kind == "event") >= n_events:
            return mine
    raise AssertionError(f"{key} did not arrive; status {tail.status}, stats {tail.buffer.stats}")


def _check_items(items: list, n_events: int) -> None:
    events = [i for i in items if i.kind == "event"]
    alerts = [i for i in items if i.kind == "alert"]
    assert len(events) == n_events
    assert all(e.log_type == LOG_TYPE and e.event["p_log_type"] == LOG_TYPE for e in events)
    assert all(e.rules == (RULE_ID,) for e in events)
    assert len(alerts) == n_events and {a.rule_id for a in alerts} == {RULE_ID}
    assert all(a.title.startswith("auth by ") for a in alerts)
