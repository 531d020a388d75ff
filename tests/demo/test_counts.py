"""Every count true end to end: truncated, empty and binary objects under mapped prefixes, a schema name typo,
overlapping prefixes and unmapped folders, through every command (issue 20, items 3–6 and 9).

One moto server (the demo's real server process) with its own bucket, so the demo fixture's bucket stays
as other tests expect it.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from workbench.demo.server import MotoServer

REPO = Path(__file__).resolve().parents[2]
BUCKET = "wb-counts"
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
SCHEMA = """schema: Custom.Counts
fields:
  - {name: ts, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
  - {name: user, type: string}
  - {name: n, type: bigint}
"""
NO_TIME_SCHEMA = """schema: Custom.NoTime
fields:
  - {name: user, type: string}
"""
RULE_PY = "def rule(event):\n    return event.get('user') == 'mallory'\n"
RULE_YML = """AnalysisType: rule
RuleID: Counts.Mallory
Filename: mallory.py
Enabled: true
LogTypes: [Custom.Counts]
Severity: Low
"""


def _lines(n: int, start: datetime, user: str = "alice") -> bytes:
    return b"".join(json.dumps({"ts": (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "user": "mallory" if i % 10 == 0 else user, "n": i}).encode() + b"\n"
                    for i in range(n))


def wb(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.pop("WORKBENCH_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=REPO, capture_output=True,
                          timeout=timeout, env=env, text=True)


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    """A bucket with 3 good objects, a gzip cut short, an empty object and a binary one under a mapped prefix,
    two objects under no mapped prefix, and one prefix mapped to a misspelled log type."""
    tmp = tmp_path_factory.mktemp("counts")
    server = MotoServer(log_path=tmp / "moto.log").start()
    try:
        s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket=BUCKET)
        day = f"{DAY:%Y-%m-%d}"
        full = gzip.compress(_lines(55, DAY + timedelta(hours=3)))
        objects = {
            f"app/{day}/good-1.json.gz": gzip.compress(_lines(20, DAY + timedelta(hours=1))),
            f"app/{day}/good-2.json.gz": gzip.compress(_lines(20, DAY + timedelta(hours=2))),
            f"app/{day}/good-3.json": _lines(20, DAY + timedelta(hours=4)),
            f"app/{day}/cut.json.gz": full[: len(full) * 2 // 5],  # a gzip stream that ends early
            f"app/{day}/empty.json.gz": b"",
            f"app/{day}/blob.json.gz": gzip.compress(random.Random(7).randbytes(4000)),
            f"misc/{day}/stray-1.log": b"not a log line we know\n" * 50,
            f"misc/{day}/stray-2.log": b"another\n" * 50,
            f"typo/{day}/t.json": _lines(5, DAY),
            f"notime/{day}/x.json": b'{"user": "bob"}\n{"user": "eve"}\n',
        }
        for key, body in objects.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        schemas = tmp / "schemas"
        schemas.mkdir()
        (schemas / "counts.yml").write_text(SCHEMA)
        (schemas / "notime.yml").write_text(NO_TIME_SCHEMA)
        rules = tmp / "rules"
        rules.mkdir()
        (rules / "mallory.py").write_text(RULE_PY)
        (rules / "mallory.yml").write_text(RULE_YML)
        cfg = tmp / "workbench.yaml"
        cfg.write_text(f"""schemas: [{schemas}]
rules: {rules}
sources:
  counts:
    bucket: {BUCKET}
    region: us-east-1
    endpoint: {server.endpoint}
    prefixes:
      app/: Custom.Counts
      app/{day}/good-3: Custom.Counts
      typo/: Custom.Countz
      notime/: Custom.NoTime
""")
        yield {"config": str(cfg), "endpoint": server.endpoint, "s3": s3, "tmp": tmp, "day": day}
    finally:
        server.stop()


def _src(bucket) -> list[str]:
    return ["--config", bucket["config"], "--source", "counts"]


def test_parse_summary_names_incomplete_empty_binary_and_strict_fails(bucket):
    r = wb("parse", *_src(bucket), "--prefix", "app/")
    assert r.returncode == 0, r.stderr
    events = r.stdout.splitlines()
    kept = len(events) - 60  # the cut object keeps only its first records
    assert 0 < kept < 55
    summary = r.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"parsed {len(events)} events, 0 errors"), summary
    assert "from 6 objects" in summary
    assert "1 object incomplete (gzip stream ends early)" in summary
    assert "1 empty" in summary and "1 binary (not read)" in summary
    assert f"incomplete: app/{bucket['day']}/cut.json.gz: gzip stream ends early: {kept} records kept, the rest lost" in r.stderr
    r = wb("parse", *_src(bucket), "--prefix", "app/", "--strict")
    assert r.returncode == 1
    assert len(r.stdout.splitlines()) == len(events)


def test_parse_reports_config_problems_once_per_prefix_not_per_line(bucket):
    r = wb("parse", *_src(bucket))
    assert r.returncode == 0, r.stderr
    err = r.stderr
    # the typo: once, with the close match; its objects are not fetched line by line
    assert err.count("Custom.Countz") == 1
    assert "prefix 'typo/' is mapped to Custom.Countz, which has no schema; did you mean Custom.Counts?" in err
    # overlapping prefixes and the unmapped folder, once each
    assert err.count("lies inside prefix 'app/'") == 1
    assert err.count("2 objects under 'misc/' match no mapped prefix") == 1
    summary = err.strip().splitlines()[-1]
    assert "3 objects not parsed (source config: misc/, typo/)" in summary
    assert "0 errors" in summary  # no per-line errors for objects the config cannot parse
    assert wb("parse", *_src(bucket), "--strict").returncode == 1


def test_no_event_time_and_future_times_are_flagged(bucket):
    s3, day = bucket["s3"], bucket["day"]
    r = wb("parse", *_src(bucket), "--prefix", "notime/")
    assert f"event time: notime/{day}/x.json: every event time is the parse time" in r.stderr
    future = datetime.now(UTC) + timedelta(days=400)
    s3.put_object(Bucket=BUCKET, Key=f"app/{day}/future.json", Body=_lines(3, future))
    try:
        r = wb("parse", *_src(bucket), "--prefix", f"app/{day}/future")
        assert f"event time: app/{day}/future.json: 3 events of 3 in the future" in r.stderr
        assert "1 object with doubtful event times" in r.stderr
    finally:
        s3.delete_object(Bucket=BUCKET, Key=f"app/{day}/future.json")


def test_sources_check_reports_the_mapping(bucket):
    r = wb("sources", "check", *_src(bucket), "--json")
    doc = json.loads(r.stdout)
    checks = doc["sources"][0]["checks"]
    mapping = [c for c in checks if c["name"] == "prefix mapping"]
    assert any(c["ok"] is False and "Custom.Countz" in c["detail"] and "did you mean Custom.Counts?" in c["fix"]
               for c in mapping)
    assert any(c["ok"] is None and "lies inside" in c["detail"] for c in mapping)
    unmapped = [c for c in checks if c["name"] == "unmapped objects"]
    assert [c["detail"] for c in unmapped] == ["objects under 'misc/' match no mapped prefix and are not parsed"]
    assert r.returncode == 1  # a log type without a schema fails the check


def test_rules_run_counts_say_what_was_not_read(bucket):
    r = wb("rules", "run", *_src(bucket), "--prefix", "app/", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["objects"]["problems"] == 3
    assert doc["objects"]["empty"] == [f"app/{bucket['day']}/empty.json.gz"]
    assert list(doc["objects"]["incomplete"]) == [f"app/{bucket['day']}/cut.json.gz"]
    assert doc["rules"]["Counts.Mallory"]["matches"] >= 6
    r = wb("rules", "run", *_src(bucket), "--prefix", "app/", "--strict")
    assert r.returncode == 1
    assert "1 object incomplete (gzip stream ends early)" in r.stdout + r.stderr


def test_rules_run_says_when_no_rule_targets_a_log_type(bucket):
    r = wb("rules", "run", *_src(bucket), "--prefix", "notime/")
    assert "no rule targets Custom.NoTime" in r.stderr


def test_infer_and_sample_say_the_sample_is_not_whole(bucket):
    r = wb("infer", *_src(bucket), "--prefix", "app/", "--name", "Custom.I")
    assert r.returncode == 0, r.stderr
    assert "1 object incomplete (gzip stream ends early)" in r.stderr and "1 binary (not read)" in r.stderr
    r = wb("sample", *_src(bucket), "--prefix", "app/")
    assert r.returncode == 0, r.stderr
    keys = {json.loads(x)["key"] for x in r.stdout.splitlines()}
    assert f"app/{bucket['day']}/blob.json.gz" not in keys  # binary is never sampled as text lines
    assert "1 binary (not read)" in r.stderr and "1 object incomplete" in r.stderr
    assert wb("sample", *_src(bucket), "--prefix", "app/", "--strict").returncode == 1
    r = wb("sample", *_src(bucket), "--prefix", "notime/")
    assert "every event time is the parse time" in r.stderr
    r = wb("detect", *_src(bucket), "--prefix", "app/", "--json")
    doc = json.loads(r.stdout)
    assert any(g["flags"].get("binary") == 1 for g in doc["groups"])


def test_local_parse_of_a_truncated_file(tmp_path):
    data = gzip.compress(_lines(55, DAY))
    (tmp_path / "cut.json.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "s.yml").write_text(SCHEMA)
    r = wb("parse", "--schema", str(tmp_path / "s.yml"), str(tmp_path / "cut.json.gz"))
    assert r.returncode == 0 and "1 object incomplete (gzip stream ends early)" in r.stderr
    assert wb("parse", "--schema", str(tmp_path / "s.yml"), str(tmp_path / "cut.json.gz"), "--strict").returncode == 1


def test_detect_calls_a_binary_prefix_binary(bucket):
    s3 = bucket["s3"]
    for i in range(3):
        s3.put_object(Bucket=BUCKET, Key=f"blobs/{bucket['day']}/b{i}.dat", Body=random.Random(i).randbytes(3000))
    try:
        r = wb("detect", *_src(bucket), "--prefix", "blobs/", "--json")
        groups = json.loads(r.stdout)["groups"]
        assert [(g["format_id"], g["counts"]["records"]) for g in groups] == [("binary", 0)], groups
        r = wb("sample", *_src(bucket), "--prefix", "blobs/")
        assert r.stdout == "" and "3 binary (not read)" in r.stderr
    finally:
        for i in range(3):
            s3.delete_object(Bucket=BUCKET, Key=f"blobs/{bucket['day']}/b{i}.dat")


def test_replay_reports_objects_and_strict_fails(bucket):
    results = bucket["tmp"] / "replay.jsonl"
    args = ["replay", *_src(bucket), "--since", "5d", "--workers", "1", "--results", str(results)]
    r = wb(*args, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    day = bucket["day"]
    problems = doc["object_problems"]
    assert list(problems["incomplete"]) == [f"app/{day}/cut.json.gz"]
    assert problems["empty"] == [f"app/{day}/empty.json.gz"] and problems["binary"] == [f"app/{day}/blob.json.gz"]
    assert doc["rules"]["Counts.Mallory"]["matches"] >= 6
    # the prefix mapped to a misspelled log type: one finding for its objects, not an error per line
    assert problems["not_parsed"] == {"typo/": {"objects": 1, "reason": "no schema named Custom.Countz"}}
    assert doc["parse_errors"] == 0
    assert "did you mean Custom.Counts?" in r.stderr
    r = wb(*args, "--strict")
    assert r.returncode == 1
    assert "1 object incomplete (gzip stream ends early)" in r.stdout
    assert f"results file: {results}" in r.stdout


def test_replay_with_the_same_until_reads_the_same_while_objects_arrive(bucket):
    """Two replays with one --until, with objects written into the current day's partition in between (what the
    demo's live generator does), read the same objects and count the same events and matches."""
    from workbench.config import load_config
    from workbench.replay import ReplayOptions, run_replay

    s3 = bucket["s3"]
    now = datetime.now(UTC)
    today = f"{now:%Y-%m-%d}"
    s3.put_object(Bucket=BUCKET, Key=f"app/{today}/before.json", Body=_lines(10, now - timedelta(minutes=5)))
    until = datetime.now(UTC) + timedelta(seconds=1)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    cfg = load_config(bucket["config"])
    src = cfg.source("counts")
    since = now - timedelta(days=5)

    def run(name: str) -> dict:
        res = run_replay(cfg, src, ReplayOptions(since=since, until=until, workers=1,
                                                 results_path=bucket["tmp"] / f"{name}.jsonl"))
        d = res.to_json()
        return {"objects": d["objects"], "events": d["events"], "matches": d["matches"]}

    import time as _time

    first = run("first")
    _time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.1)
    added = [f"app/{today}/after-{i}.json" for i in range(3)]
    for key in added:  # written after --until, into the partition --until lies in
        s3.put_object(Bucket=BUCKET, Key=key, Body=_lines(10, datetime.now(UTC)))
    try:
        second = run("second")
        assert second == first and first["events"] > 0
        # and a later --until does read them
        later = run_replay(cfg, src, ReplayOptions(since=since, until=datetime.now(UTC) + timedelta(minutes=1),
                                                   workers=1, results_path=bucket["tmp"] / "third.jsonl")).to_json()
        assert later["objects"] == first["objects"] + 3
    finally:
        for key in [*added, f"app/{today}/before.json"]:
            s3.delete_object(Bucket=BUCKET, Key=key)


def test_tail_counts_what_it_printed_and_names_bad_objects(bucket):
    """`tail --mode poll` over new objects: a cut gzip, an empty and a binary one among good ones. The summary
    counts the events printed (not those that arrived after --max-events) and names the bad objects."""
    import time as _time

    cfg = bucket["tmp"] / "tail.yaml"
    cfg.write_text(Path(bucket["config"]).read_text() + "live: {poll_interval: 1}\n")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    cmd = [sys.executable, "-m", "workbench.cli", "tail", "--config", str(cfg), "--source", "counts", "--mode", "poll",
           "--json", "--no-rules"]
    s3, today = bucket["s3"], f"{datetime.now(UTC):%Y-%m-%d}"
    full = gzip.compress(_lines(55, datetime.now(UTC)))
    new = {f"app/{today}/t-good.json": _lines(20, datetime.now(UTC)),
           f"app/{today}/t-cut.json.gz": full[: len(full) * 2 // 5],
           f"app/{today}/t-empty.json.gz": b"",
           f"app/{today}/t-blob.json.gz": gzip.compress(random.Random(3).randbytes(3000))}

    def run(*extra: str) -> subprocess.CompletedProcess:
        proc = subprocess.Popen([*cmd, *extra], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        _time.sleep(6)  # started and listed the current partitions
        for key, body in new.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        out, err = proc.communicate(timeout=120)
        for key in new:
            s3.delete_object(Bucket=BUCKET, Key=key)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)

    r = run("--timeout", "14", "--strict")
    events = [json.loads(x) for x in r.stdout.splitlines() if json.loads(x)["kind"] == "event"]
    assert 20 < len(events) < 75, r.stderr
    assert f"tail: {len(events)} events," in r.stderr
    assert "1 object incomplete (gzip stream ends early)" in r.stderr and "1 empty" in r.stderr
    assert "1 binary (not read)" in r.stderr
    assert r.returncode == 1  # --strict: objects were not read whole
    r = run("--max-events", "5", "--timeout", "14")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 5
    assert "tail: 5 events," in r.stderr and "received after the last one printed, not printed" in r.stderr
