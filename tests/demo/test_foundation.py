"""The foundation: the demo seeds what a production Panther S3 source has, reachable through the real API."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from workbench.demo import seed as seedmod
from workbench.demo.seed import DemoSpec, history

pytestmark = pytest.mark.demo


def _all_keys(s3, bucket: str) -> dict[str, int]:
    keys = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys.update({o["Key"]: o["Size"] for o in page.get("Contents", [])})
    return keys


def test_seeded_listing_matches_what_was_generated(demo):
    expected = {p.key: len(p.body) for p in history(demo.spec)}
    assert _all_keys(demo.s3, demo.info.bucket) == expected
    tops = Counter(k.split("/", 1)[0] for k in expected)
    assert set(tops) == {"Panoptica", "AWSLogs", "s3-access", "app"}
    days = {k.split("/")[2] for k in expected if k.startswith("Panoptica/")}
    assert len(days) >= 14


def test_history_is_deterministic_for_a_seed():
    a, b = history(DemoSpec(seed=3)), history(DemoSpec(seed=3))
    assert [(p.key, p.body) for p in a] == [(p.key, p.body) for p in b]
    assert [p.key for p in history(DemoSpec(seed=4))] != [p.key for p in a]


def test_kms_object_is_readable_through_the_assumed_role(demo):
    sts = demo.aws.client("sts")
    assert ":assumed-role/" + seedmod.ROLE + "/" in sts.get_caller_identity()["Arn"]
    s3 = demo.aws.client("s3")
    key = s3.list_objects_v2(Bucket=demo.source.bucket, Prefix="AWSLogs/", MaxKeys=1)["Contents"][0]["Key"]
    obj = s3.get_object(Bucket=demo.source.bucket, Key=key)
    assert obj["ServerSideEncryption"] == "aws:kms"
    assert json.loads(gzip.decompress(obj["Body"].read()))["Records"]


def test_new_object_arrives_on_the_queue_as_an_sns_enveloped_s3_event(demo):
    c = demo.clients()
    sqs = c["sqs"]
    # a queue of our own on the topic, so the production queue is left as it is
    q = sqs.create_queue(QueueName="test-foundation-notify")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = c["sns"].subscribe(TopicArn=demo.info.topic_arn, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    try:
        key = "Panoptica/auth/2099-01-01/111122223333/test object+1.json.gz"
        c["s3"].put_object(Bucket=demo.info.bucket, Key=key, Body=b"{}\n")
        got = []
        for _ in range(5):
            got += sqs.receive_message(QueueUrl=q, WaitTimeSeconds=2, MaxNumberOfMessages=10).get("Messages", [])
            if got:
                break
        envelope = json.loads(got[0]["Body"])
        assert envelope["Type"] == "Notification" and envelope["TopicArn"] == demo.info.topic_arn
        event = json.loads(envelope["Message"])["Records"][0]
        assert event["eventName"].startswith("ObjectCreated:")
        assert urllib.parse.unquote_plus(event["s3"]["object"]["key"]) == key
    finally:
        c["s3"].delete_object(Bucket=demo.info.bucket, Key="Panoptica/auth/2099-01-01/111122223333/test object+1.json.gz")
        c["sns"].unsubscribe(SubscriptionArn=sub)
        sqs.delete_queue(QueueUrl=q)


def test_production_wiring_matches_a_panther_source(demo):
    c = demo.clients()
    subs = c["sns"].list_subscriptions_by_topic(TopicArn=demo.info.topic_arn)["Subscriptions"]
    prod = [s for s in subs if s["Endpoint"].endswith(":" + seedmod.QUEUE)]
    assert prod, "production queue subscribed to the topic"
    attrs = c["sns"].get_subscription_attributes(SubscriptionArn=prod[0]["SubscriptionArn"])["Attributes"]
    assert attrs.get("RawMessageDelivery", "false") == "false"
    notif = c["s3"].get_bucket_notification_configuration(Bucket=demo.info.bucket)
    assert notif["TopicConfigurations"][0]["Events"] == ["s3:ObjectCreated:*"]


def test_headless_demo_prints_endpoint_and_config_and_shuts_down_cleanly(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "demo", "--headless", "--days", "2", "--objects-per-day", "6",
         "--rate", "0.5", "--dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(lines) < 2:
            line = proc.stdout.readline()
            if not line:
                break
            k, _, v = line.partition(": ")
            if k in ("endpoint", "config"):
                lines[k] = v.strip()
        assert lines["endpoint"].startswith("http://127.0.0.1:")
        assert os.path.exists(lines["config"])
        time.sleep(1.5)  # let the generator write something
        server_pids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert server_pids, "moto server runs as a child process"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        time.sleep(0.5)
        for pid in server_pids:
            status = Path(f"/proc/{pid}/status")
            assert not status.exists() or "zombie" in status.read_text().lower()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_core_never_imports_textual():
    code = (
        "import importlib, pkgutil, sys, workbench\n"
        "for m in pkgutil.walk_packages(workbench.__path__, 'workbench.'):\n"
        "    if m.name == 'workbench.cli' or m.name.startswith('workbench.cli.'):\n"
        "        continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.'))\n"
        "print(len(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


def test_help_lists_subcommands_and_is_fast_to_import():
    out = subprocess.run([sys.executable, "-m", "workbench.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "demo" in out.stdout
    code = ("import sys, workbench.cli; workbench.cli.build_parser(); "
            "print(sorted(m for m in ('boto3','moto','genson','dask','textual') if m in sys.modules))")
    heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert heavy.stdout.strip() == "[]", heavy.stdout + heavy.stderr


@pytest.mark.slow
def test_the_wheel_carries_the_shipped_content_and_the_demo_finds_it(tmp_path):
    """`workbench demo` from an installed wheel (no checkout) still has schemas and rules to work with."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(tmp_path), str(Path(__file__).resolve().parents[2])], check=True, capture_output=True)
    wheel = next(tmp_path.glob("log_workbench-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "workbench/shipped/schemas/AWS.CloudTrail.yml" in names
    assert any(n.startswith("workbench/shipped/rules/") and n.endswith(".yml") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = "from workbench.demo.seed import find_repo_root; print(find_repo_root())"
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(site)}, check=True).stdout.strip()
    assert out == str(site / "workbench" / "shipped")
