"""Replay on the demo's history, on real Dask LocalClusters (2 single-threaded worker processes).

Every replay here must give exactly the per-rule counts of a plain in-process loop over the same objects
(fetch → decode → parse → rules), however it ran: straight through, interrupted and resumed, or with a
worker killed mid-run. The rules and schemas are written by the tests (not the repo's content, which other
work changes), so the expected counts only depend on the demo's seeded history.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from workbench.aws import AwsSession
from workbench.demo.server import free_port, stop_children
from workbench.detections import RuleEngine
from workbench.detections.grouping import AlertGrouper
from workbench.events.pipeline import events_from_object
from workbench.model import FetchFailure
from workbench.parse import ParseError, parsers_for_source
from workbench.replay import ReplayOptions, run_replay
from workbench.replay.plan import list_window
from workbench.source.s3 import fetch_objects

pytestmark = pytest.mark.demo

REPO = Path(__file__).resolve().parents[2]

SCHEMAS = {
    "auth.yml": """
schema: Custom.Panoptica.Auth
fields:
  - {name: ts, type: timestamp, timeFormats: [rfc3339], isEventTime: true, required: true}
  - {name: event_type, type: string}
  - {name: outcome, type: string}
  - {name: method, type: string}
  - name: actor
    type: object
    fields:
      - {name: email, type: string, indicators: [email]}
      - {name: mfa, type: boolean}
""",
    "cloudtrail.yml": """
schema: AWS.CloudTrail
fields:
  - {name: eventTime, type: timestamp, timeFormats: [rfc3339], isEventTime: true, required: true}
  - {name: eventName, type: string}
  - {name: eventSource, type: string}
  - {name: errorCode, type: string}
  - {name: userIdentity, type: json}
  - {name: additionalEventData, type: json}
  - {name: sourceIPAddress, type: string, indicators: [ip]}
""",
}

RULES = {
    "Test.Auth.RepeatedFailure": ("Custom.Panoptica.Auth", "Threshold: 3\nDedupPeriodMinutes: 60\n", '''
def rule(event):
    return event.get("outcome") == "failure"

def title(event):
    return f"Repeated login failures for {event.deep_get('actor', 'email')}"

def dedup(event):
    return event.deep_get("actor", "email") or "unknown"
'''),
    "Test.CloudTrail.ConsoleLoginNoMFA": ("AWS.CloudTrail", "", '''
def rule(event):
    return event.get("eventName") == "ConsoleLogin" and event.deep_get("additionalEventData", "MFAUsed") == "No"
'''),
    "Test.CloudTrail.AccessDenied": ("AWS.CloudTrail", "", '''
def rule(event):
    return event.get("errorCode") == "AccessDenied"

def title(event):
    return f"Access denied: {event.get('eventName')}"
'''),
    "Test.CloudTrail.Flaky": ("AWS.CloudTrail", "", '''
def rule(event):
    if event.get("eventName") == "Decrypt":
        raise ValueError("no KMS here")
    return event.get("eventName") == "StopLogging"
'''),
}

SMALL = {"workers": 2}  # the suite's clusters: 2 processes × 1 thread


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("replay-content")
    schemas, rules = root / "schemas", root / "rules"
    schemas.mkdir()
    rules.mkdir()
    for name, text in SCHEMAS.items():
        (schemas / name).write_text(text)
    for rid, (log_type, extra, code) in RULES.items():
        stem = rid.replace(".", "_").lower()
        (rules / f"{stem}.py").write_text(code)
        (rules / f"{stem}.yml").write_text(f"AnalysisType: rule\nRuleID: {rid}\nEnabled: true\nFilename: {stem}.py\n"
                                           f"LogTypes: [{log_type}]\nSeverity: Medium\n{extra}")
    return schemas, rules


@pytest.fixture(scope="module")
def setup(demo, content):
    """Config, source and the fixed window (the demo's whole history) every replay here uses."""
    schemas, rules = content
    config = replace(demo.config, schema_dirs=(schemas,), rules_dir=rules)
    until = demo.spec.end
    since = until - timedelta(days=demo.spec.days)
    return config, demo.source, since, until


@pytest.fixture(scope="module")
def reference(demo, setup):
    """The counts of a plain in-process loop over the same objects: no Dask, no replay code."""
    config, source, since, until = setup
    aws = AwsSession(source)
    refs = list_window(aws, source, since, until)
    parse = parsers_for_source(config, source)
    events = parse_errors = 0
    # prefixes mapped to a log type this content has no schema for are counted per prefix, never parsed into
    # one error per line (issue 20, item 4): the reference leaves them out the same way
    names = {text.split("schema: ", 1)[1].split()[0] for text in SCHEMAS.values()}
    unparsable = [r for r in refs if not set(source.log_types_for(r.key)) <= names]
    refs = [r for r in refs if r not in unparsable]
    with RuleEngine(config.rules_dir) as engine:
        grouper = AlertGrouper.for_rules(r for r in engine.rules if r.enabled)
        for ref, data in fetch_objects(aws, refs, workers=4, max_bytes=256 * 1024 * 1024):
            assert not isinstance(data, FetchFailure), data
            parsed = events_from_object(config, source, ref, data, parse=parse)
            good = [e for e in parsed if isinstance(e, dict)]
            events += len(good)
            parse_errors += sum(1 for e in parsed if isinstance(e, ParseError))
            grouper.add_all(engine.run_events(good))
    rules = {rid: {k: v[k] for k in ("matches", "errors", "dedup_groups", "alerts")}
             for rid, v in grouper.summary().items()}
    return {"objects": len(refs) + len(unparsable), "events": events, "parse_errors": parse_errors, "rules": rules,
            "not_parsed": len(unparsable)}


def counts(result) -> dict:
    d = result.to_json()
    return {"objects": d["objects"], "events": d["events"], "parse_errors": d["parse_errors"],
            "rules": {rid: {k: v[k] for k in ("matches", "errors", "dedup_groups", "alerts")}
                      for rid, v in d["rules"].items()},
            "not_parsed": sum(v["objects"] for v in d["object_problems"]["not_parsed"].values())}


def test_replay_gives_exactly_the_in_process_counts(setup, reference, tmp_path):
    config, source, since, until = setup
    seen = []
    trim: dict = {}

    def look_at_workers(client):
        trim.update(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")))

    result = run_replay(config, source, ReplayOptions(since=since, until=until, results_path=tmp_path / "r.jsonl",
                                                      **SMALL), on_progress=seen.append, on_cluster=look_at_workers)
    assert result.complete and not result.failed_tasks and result.workers == 2
    # the nannies did not start the workers with Dask's 64 KiB malloc trim (page faults all the time)
    assert len(trim) == 2 and set(trim.values()) == {os.environ.get("MALLOC_TRIM_THRESHOLD_")}
    assert counts(result) == reference
    assert reference["events"] > 0 and all(r["matches"] > 0 for rid, r in reference["rules"].items())
    assert reference["not_parsed"] > 0 and reference["parse_errors"] == 0  # counted per prefix, not per line
    assert result.totals.errors == 0
    # the rule that raises on some events reports errors, with a sample message
    flaky = result.to_json()["rules"]["Test.CloudTrail.Flaky"]
    assert flaky["errors"] > 0 and "no KMS here" in flaky["error_sample"][0]
    # partial results were visible before the end: progress grew task by task
    running = [p for p in seen if p.phase == "running"]
    assert len(running) == result.tasks_total > 1
    assert running[0].objects_done < result.objects_total
    assert [p.objects_done for p in running] == sorted(p.objects_done for p in running)
    # alert samples: bounded, earliest first, with where they came from
    sample = result.to_json()["rules"]["Test.Auth.RepeatedFailure"]["alerts_sample"]
    assert 0 < len(sample) <= 5
    assert sample == sorted(sample, key=lambda s: (s["time"], s["key"], s["index"]))
    assert sample[0]["key"].startswith("Panoptica/auth/") and sample[0]["event"]["outcome"] == "failure"


@pytest.mark.slow
def test_an_interrupted_replay_resumes_to_the_same_totals(setup, reference, tmp_path):
    config, source, since, until = setup
    results = tmp_path / "r.jsonl"
    cancel = threading.Event()

    def stop_after_a_few(p):
        if p.phase == "running" and p.objects_done >= 100:
            cancel.set()

    options = ReplayOptions(since=since, until=until, results_path=results, task_bytes=200_000, **SMALL)
    first = run_replay(config, source, options, on_progress=stop_after_a_few, cancel=cancel)
    assert first.cancelled and not first.complete
    assert 0 < first.totals.objects < reference["objects"]
    # resuming names the window from the results file, whatever "since" says now
    resumed = run_replay(config, source, replace(options, resume=True, since=since - timedelta(days=3)))
    assert resumed.complete and resumed.resumed_objects == first.totals.objects
    assert resumed.key.since == since.isoformat()
    assert counts(resumed) == reference
    # a results file of another rule selection is not resumed silently
    from workbench.errors import WorkbenchError

    with pytest.raises(WorkbenchError, match="another rule ids"):
        run_replay(config, source, replace(options, resume=True, rule_ids=("Test.CloudTrail.AccessDenied",)))


@pytest.mark.slow
def test_a_worker_killed_mid_run_still_gives_the_same_totals(setup, reference, tmp_path):
    config, source, since, until = setup
    state: dict = {}

    def kill_one_worker(p):
        if p.phase == "running" and "killed" not in state:
            client = state["client"]
            pids = client.run(os.getpid)  # {worker address: pid}
            busy = {addr: keys for addr, keys in client.processing().items() if keys}
            victim = sorted(busy)[0]  # a worker with tasks in flight: the cluster must run them again
            os.kill(pids[victim], signal.SIGKILL)
            state["killed"] = (busy[victim], p.objects_done)

    options = ReplayOptions(since=since, until=until, results_path=tmp_path / "r.jsonl", task_bytes=150_000, **SMALL)
    result = run_replay(config, source, options, on_progress=kill_one_worker,
                        on_cluster=lambda client: state.__setitem__("client", client))
    in_flight, done_before = state["killed"]
    assert in_flight and done_before < reference["objects"]
    assert result.complete and not result.failed_tasks
    assert counts(result) == reference


def test_a_bad_object_is_counted_as_an_error_not_fatal(demo, setup, tmp_path):
    """A separate bucket holding a few good objects and one that is not what its key says."""
    config, source, since, until = setup
    s3 = demo.s3
    bucket = "wb-replay-bad-object"
    s3.create_bucket(Bucket=bucket)
    good = [r for r in list_window(AwsSession(source), source, since, until) if r.key.startswith("AWSLogs/")][:3]
    bad_key = good[0].key.rsplit("/", 1)[0] + "/broken.json.gz"
    try:
        for r in good:
            s3.copy_object(Bucket=bucket, Key=r.key, CopySource={"Bucket": source.bucket, "Key": r.key})
        s3.put_object(Bucket=bucket, Key=bad_key, Body=b"\x1f\x8b\x08\x00" + os.urandom(2000))
        result = run_replay(config, replace(source, bucket=bucket),
                            ReplayOptions(since=since, until=until, results_path=tmp_path / "r.jsonl", workers=1))
        d = result.to_json()
        assert result.complete and d["objects"] == 4
        assert d["errors"] == 1 and d["error_sample"][0]["key"] == bad_key
        assert d["events"] > 0
    finally:
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)


@pytest.mark.slow
def test_cli_prints_json_with_the_contract_keys_and_progress_on_stderr(demo, content, tmp_path):
    schemas, rules = content
    cfg = yaml.safe_load(demo.config_path.read_text())
    cfg["schemas"] = [str(schemas)]
    path = tmp_path / "workbench.yaml"
    for s in cfg["sources"].values():  # keep the credentials file the demo wrote, by absolute path
        if s.get("credentials_file"):
            s["credentials_file"] = str((demo.config_path.parent / s["credentials_file"]).resolve())
    path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "workbench.cli", "replay", "--config", str(path), "--source", "demo",
           "--since", "14d", "--rules", str(rules), "--rule-id", "Test.CloudTrail.AccessDenied",
           "Test.Auth.RepeatedFailure", "--workers", "2", "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["events"] > 0 and set(r["rules"]) == {"Test.CloudTrail.AccessDenied", "Test.Auth.RepeatedFailure"}
    for v in r["rules"].values():
        assert {"matches", "errors", "dedup_groups", "alerts_sample"} <= set(v)
    assert sum(v["matches"] for v in r["rules"].values()) > 0
    assert {"objects", "bytes", "parse_errors", "errors", "elapsed_s", "workers"} <= set(r)
    assert "objects" in proc.stderr and "events/s" in proc.stderr
    # the table form
    proc = subprocess.run([*cmd[:-1], "--resume"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "Test.CloudTrail.AccessDenied" in proc.stdout and "MATCHES" in proc.stdout


@pytest.mark.slow
@pytest.mark.asyncio
async def test_replay_screen_cancel_resume_counts_and_samples(setup, reference, tmp_path):
    """The Replay screen: start, watch counts grow, cancel, resume to the same counts, drill into samples."""
    from textual.widgets import Checkbox, DataTable, Input, ProgressBar, SelectionList, Static

    from screens.app import WorkbenchApp
    from screens.modals.detail import DetailScreen

    config, _source, since, until = setup
    config = replace(config, extra={"replay": {"task_mb": 0.15, "results": str(tmp_path / "r.jsonl")}})
    app = WorkbenchApp(config, "demo", start="replay")
    async with app.run_test(size=(150, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "ReplayScreen"
        assert len(screen.query_one("#replay-rules", SelectionList).options) == len(RULES)
        screen.query_one("#since", Input).value = since.isoformat()
        screen.query_one("#until", Input).value = until.isoformat()
        screen.query_one("#workers", Input).value = "2"
        await pilot.press("ctrl+r")
        table = screen.query_one("#replay-table", DataTable)
        bar = screen.query_one("#replay-progress", ProgressBar)
        for _ in range(1200):  # until the first tasks have finished and their counts show
            await pilot.pause(0.1)
            if bar.progress:
                break
        assert bar.progress and table.row_count == len(RULES) and screen.running
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(screen.query_one("#replay-status", Static).render())
        assert status.startswith("Cancelled"), status
        screen.query_one("#resume", Checkbox).value = True
        await pilot.press("ctrl+r")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(screen.query_one("#replay-status", Static).render())
        assert status.startswith("Done"), status
        shown = {str(table.get_row(rid)[0]): int(str(table.get_row(rid)[1]).replace(",", ""))
                 for rid in (k.value for k in table.rows)}
        assert shown == {rid: r["matches"] for rid, r in reference["rules"].items()}
        table.focus()
        table.move_cursor(row=table.get_row_index("Test.Auth.RepeatedFailure"))
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        body = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert "Repeated login failures for" in body and "Panoptica/auth/" in body
        assert "Matches per day (UTC)" in body


@pytest.mark.slow
def test_replay_on_an_existing_cluster_with_scheduler_address(setup, reference, tmp_path):
    """`--scheduler tcp://HOST:PORT`: a `dask scheduler` and `dask worker`s started apart from the replay,
    left running after it (the replay only connects)."""
    config, source, since, until = setup
    port = free_port()
    bin_dir = Path(sys.executable).parent
    procs = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        address = f"tcp://127.0.0.1:{port}"
        procs.append(subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        result = run_replay(config, source, ReplayOptions(since=since, until=until, scheduler=address,
                                                          results_path=tmp_path / "r.jsonl"))
        assert result.scheduler == address and result.workers == 2
        assert counts(result) == reference
        with Client(address, timeout="10s") as client:  # the cluster is still there
            assert len(client.scheduler_info()["workers"]) == 2
    finally:
        stop_children(reversed(procs), timeout=30)


def test_an_unreachable_scheduler_is_one_sentence(setup, tmp_path):
    from workbench.errors import WorkbenchError

    config, source, since, until = setup
    with pytest.raises(WorkbenchError, match="Cannot reach the Dask scheduler at tcp://127"):
        run_replay(config, source, ReplayOptions(since=since, until=until, scheduler="tcp://127.0.0.1:9",
                                                 results_path=tmp_path / "r.jsonl"))


def _cli_config(demo, schemas: Path, path: Path) -> Path:
    """The demo's workbench.yaml with the test schemas, its credentials file by absolute path."""
    cfg = yaml.safe_load(demo.config_path.read_text())
    cfg["schemas"] = [str(schemas)]
    for s in cfg["sources"].values():
        if s.get("credentials_file"):
            s["credentials_file"] = str((demo.config_path.parent / s["credentials_file"]).resolve())
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.slow
def test_cli_replay_on_a_command_line_cluster_gives_the_local_cluster_counts(demo, content, setup, reference, tmp_path):
    """`dask scheduler` and two `dask worker` processes started from the command line, as a user or a cluster
    manager starts them, and `workbench replay --scheduler tcp://…` run against them: exactly the counts of
    a LocalCluster replay (and of the plain loop)."""
    from cli_cluster import CliCluster

    schemas, rules = content
    config, source, since, until = setup
    local = run_replay(config, source, ReplayOptions(since=since, until=until, workers=2,
                                                     results_path=tmp_path / "local.jsonl"))
    assert counts(local) == reference
    path = _cli_config(demo, schemas, tmp_path / "workbench.yaml")
    with CliCluster(2, log_dir=tmp_path, worker_args=("--no-nanny",)) as cluster:  # as docs/replay.md says
        proc = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "replay", "--config", str(path), "--source", "demo",
             "--since", since.isoformat(), "--until", until.isoformat(), "--rules", str(rules),
             "--scheduler", cluster.address, "--results", str(tmp_path / "cli.jsonl"), "--json"],
            capture_output=True, text=True, timeout=300, cwd=REPO)
        # the content holds a rule that raises: a rule error fails the replay (README "Exit codes")
        rule_errors = sum(c.errors for c in local.totals.grouper.counts.values())
        assert rule_errors and proc.returncode == 1, proc.stderr
        r = json.loads(proc.stdout)
        assert r["scheduler"] == cluster.address and r["workers"] == 2 and r["complete"]
        assert len(set(r["worker_processes"])) == 2  # both command-line workers ran tasks
        assert counts(_Json(r)) == counts(local)
        assert all(p.poll() is None for p in cluster.procs)  # the replay only connected: the cluster runs on


class _Json:
    """A `--json` result where `counts` expects a ReplayResult."""

    def __init__(self, d: dict):
        self.d = d

    def to_json(self) -> dict:
        return self.d
