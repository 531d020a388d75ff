"""The onboarding checklist against the real demo account (moto server): all green on the demo's wiring,
and each broken piece reported as ✗ with a one-sentence fix, without writing to the account."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from workbench.aws import AwsSession
from workbench.cli import main
from workbench.config import PrefixMapping
from workbench.source.checks import CHECKS, CheckResult, _notification_targets, bucket_overview, iter_checks

pytestmark = pytest.mark.demo


def results(source) -> dict[str, CheckResult]:
    return {r.name: r for r in iter_checks(AwsSession(source), source)}


def test_demo_source_passes_every_check(demo):
    got = results(demo.source)
    assert list(got) == [name for name, _f, _x in CHECKS]
    assert all(r.ok is True for r in got.values()), {n: r.detail for n, r in got.items() if r.ok is not True}
    assert "aws:kms" not in got["KMS-encrypted object readable"].detail  # names the key, not the header
    assert "AWSLogs/" in got["KMS-encrypted object readable"].detail
    assert "raw message delivery off" in got["SNS → SQS subscription"].detail


def test_missing_bucket_fails_with_a_fix(demo):
    got = results(replace(demo.source, bucket="no-such-bucket-wb"))
    bad = got["Bucket listable"]
    assert bad.ok is False and "bucket" in bad.detail.lower()
    assert bad.fix.endswith(".") and "s3:ListBucket" in bad.fix
    assert got["Caller identity (STS)"].ok is True


def test_empty_prefix_is_reported(demo):
    source = replace(demo.source, prefixes=(PrefixMapping("NoSuchPrefix/", ("X",)),))
    got = results(source)
    assert got["Bucket listable"].ok is False and "NoSuchPrefix/" in got["Bucket listable"].detail
    assert got["Bucket notification"].ok is True  # the demo notifies for every key


def test_raw_delivery_and_missing_subscription(demo):
    c = demo.clients()
    topic = c["sns"].create_topic(Name="wb-check-raw")["TopicArn"]
    queue_url = c["sqs"].create_queue(QueueName="wb-check-raw")["QueueUrl"]
    source = replace(demo.source, topic_arn=topic, queue_url=queue_url)
    missing = results(source)["SNS → SQS subscription"]
    assert missing.ok is False and "aws sns subscribe" in missing.fix
    arn = c["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    c["sns"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    got = results(source)
    assert got["SNS → SQS subscription"].ok is False and "RawMessageDelivery" in got["SNS → SQS subscription"].fix
    assert got["Bucket notification"].ok is False and "s3:ObjectCreated" in got["Bucket notification"].fix


def test_unconfigured_queue_and_role_are_not_applicable(demo):
    got = results(replace(demo.source, queue_url=None, topic_arn=None, role_arn=None, external_id=None))
    assert got["Queue readable"].ok is None and got["Role assumable"].ok is None
    assert got["SNS → SQS subscription"].ok is None


def test_bucket_overview_counts_top_level_prefixes(demo):
    rows = {r.prefix: r for r in bucket_overview(demo.aws, demo.source)}
    assert {"Panoptica/", "AWSLogs/", "s3-access/", "app/"} <= set(rows)
    assert all(r.objects > 0 and r.bytes > 0 for r in rows.values())
    capped = {r.prefix: r for r in bucket_overview(demo.aws, demo.source, cap=5)}
    assert capped["Panoptica/"].capped and capped["Panoptica/"].objects >= 5


def test_notification_targets_reads_prefix_filters():
    config = {"TopicConfigurations": [{"TopicArn": "t", "Events": ["s3:ObjectCreated:*"],
                                       "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "AWSLogs/"}]}}}],
              "QueueConfigurations": [{"QueueArn": "q", "Events": ["s3:ObjectRemoved:*"]}]}
    assert _notification_targets(config) == [("t", "AWSLogs/", ["s3:ObjectCreated:*"]),
                                             ("q", "", ["s3:ObjectRemoved:*"])]


def test_cli_sources_check_and_list(demo, capsys):
    assert main(["sources", "check", "--config", str(demo.config_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    checks = report["sources"][0]["checks"]
    # the connection checklist, then the prefix mapping (the demo's maps every prefix to a shipped schema)
    assert report["ok"] is True and len(checks) == len(CHECKS) + 1
    assert checks[-1]["name"] == "prefix mapping" and checks[-1]["ok"] is True
    assert main(["sources", "check", "--config", str(demo.config_path), "--source", "demo"]) == 0
    assert "✓ Bucket notification" in capsys.readouterr().out
    assert main(["sources", "list", "--config", str(demo.config_path)]) == 0
    assert "Panoptica/" in capsys.readouterr().out
