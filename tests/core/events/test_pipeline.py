"""decode → parse over real objects: the pipeline API and the infer / parse commands, locally and on the demo."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workbench.demo import data as D
from workbench.events.pipeline import events_from_object, iter_events
from workbench.model import ObjectRef
from workbench.parse import ParseError
from workbench.schema import load_schema

REPO = Path(__file__).resolve().parents[3]
P_FIELDS = {"p_log_type", "p_event_time", "p_parse_time", "p_row_id", "p_source_file"}


def wb(*args: str, cwd: Path = REPO, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], cwd=cwd, capture_output=True, timeout=timeout)


def test_infer_and_parse_local_files(tmp_path):
    rng = random.Random(1)
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    logs = tmp_path / "auth.json.gz"
    logs.write_bytes(D.panoptica_object(rng, "auth", "111122223333", t0, timedelta(hours=1), 120))
    r = wb("infer", str(logs), "--name", "Custom.Local", "--out", str(tmp_path / "s.yml"), "--stats",
           str(tmp_path / "stats.json"), "--explain")
    assert r.returncode == 0, r.stderr
    assert "parses 120/120" in r.stderr.decode() and "RFC 3339" in r.stderr.decode()
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["fields"]["ts"]["explanation"] and stats["events"] == 120
    assert load_schema(tmp_path / "s.yml").name == "Custom.Local"
    r = wb("parse", "--schema", str(tmp_path / "s.yml"), str(logs), "--errors", str(tmp_path / "err.ndjson"))
    assert r.returncode == 0, r.stderr
    events = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(events) == 120 and all(e["p_log_type"] == "Custom.Local" for e in events)
    assert "0 errors" in r.stderr.decode()


def test_parse_reports_bad_lines_to_errors_file(tmp_path):
    (tmp_path / "in.ndjson").write_text('{"ts": "2024-01-01T00:00:00Z"}\n{"ts": "later"}\nnot json\n')
    (tmp_path / "s.yml").write_text("schema: Custom.E\nfields:\n"
                                    "  - {name: ts, type: timestamp, timeFormats: [rfc3339], isEventTime: true}\n")
    r = wb("parse", "--schema", str(tmp_path / "s.yml"), str(tmp_path / "in.ndjson"),
           "--errors", str(tmp_path / "e.ndjson"), "--strict")
    assert r.returncode == 1
    errs = [json.loads(x) for x in (tmp_path / "e.ndjson").read_text().splitlines()]
    assert [e["line"] for e in errs] == [2, 3] and errs[0]["field"] == "ts" and errs[0]["value"] == "later"
    assert len(r.stdout.splitlines()) == 1


def test_events_from_object_unwraps_cloudtrail_and_routes_by_prefix():
    from workbench.config import parse_config

    cfg = parse_config(f"schemas: [{REPO / 'schemas'}]\nsources:\n  s:\n    bucket: b\n"
                       "    prefixes:\n      AWSLogs/: AWS.CloudTrail\n")
    src = cfg.source("s")
    rng = random.Random(2)
    data = D.cloudtrail_object(rng, "111122223333", "us-east-1", datetime(2026, 5, 1, tzinfo=UTC), timedelta(hours=1), 25)
    got = events_from_object(cfg, src, ObjectRef("b", "AWSLogs/x.json.gz", len(data)), data)
    assert len(got) == 25 and all(isinstance(e, dict) and e["p_log_type"] == "AWS.CloudTrail" for e in got)
    other = events_from_object(cfg, src, ObjectRef("b", "elsewhere/x.json", 2), b"{}\n")
    assert isinstance(other[0], ParseError) and "no log type" in other[0].reason
    assert events_from_object(cfg, src, ObjectRef("b", "AWSLogs/empty.json.gz", 0), b"") == []


@pytest.mark.demo
def test_every_demo_prefix_parses_with_the_shipped_schemas(demo):
    counts: dict = {}
    items = list(iter_events(demo.config, demo.source, counts=counts))
    events = [e for e in items if isinstance(e, dict)]
    errors = [e for e in items if isinstance(e, ParseError)]
    assert counts["objects"] > 0 and len(events) >= 0.99 * len(items), Counter(e.reason for e in errors).most_common(3)
    assert {e["p_log_type"] for e in events} == {"AWS.CloudTrail", "AWS.S3ServerAccess", "Custom.AppLog",
                                                 "Custom.Panoptica.Auth", "Custom.Panoptica.FileAccess",
                                                 "Custom.Panoptica.PolicyChange"}
    assert all(set(e) >= P_FIELDS for e in events)
    assert len({e["p_row_id"] for e in events}) == len(events)
    # the hostile objects parse: 1.5 MB line, repaired UTF-8, markup and ANSI kept as data
    hostile = [e for e in events if "hostile" in e["p_source_file"]["aws_s3_key"]]
    assert any(len(e["client"]["user_agent"]) >= 1_500_000 for e in hostile)
    assert any("\ufffd" in e.get("method", "") for e in hostile)
    assert any("[bold red]" in e.get("failure_reason", "") for e in hostile)


@pytest.mark.demo
def test_acceptance_flow_on_the_demo(demo, tmp_path):
    cfg = str(demo.config_path)
    r = wb("infer", "--config", cfg, "--source", "demo", "--prefix", "Panoptica/", "--name", "Custom.BarsPanoptica",
           "--out", str(tmp_path / "s.yml"), "--stats", str(tmp_path / "stats.json"))
    assert r.returncode == 0, r.stderr
    assert wb("schema", "validate", str(tmp_path / "s.yml")).returncode == 0
    r = wb("parse", "--schema", str(tmp_path / "s.yml"), "--config", cfg, "--source", "demo", "--prefix", "Panoptica/",
           "--errors", str(tmp_path / "err.ndjson"))
    assert r.returncode == 0, r.stderr
    events = [json.loads(x) for x in r.stdout.splitlines()]
    errors = (tmp_path / "err.ndjson").read_text().splitlines()
    assert events and len(events) / (len(events) + len(errors)) >= 0.99
    assert all(set(e) >= P_FIELDS and e["p_log_type"] == "Custom.BarsPanoptica" for e in events)
    kinds = Counter(e["event_type"] for e in events)
    assert set(kinds) == {"auth", "file_access", "policy_change"}
    # each event type's own time field became p_event_time
    assert all(e["p_event_time"] != e["p_parse_time"] for e in events)
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert {"ts", "timestamp", "event_time", "context.risk_score"} <= set(stats["fields"])


def test_a_mixed_sample_routes_each_record_by_its_prefix_with_the_edited_schema_standing_in():
    """What the Events screen's "parse sample" does: the shipped demo inputs of two log types plus an
    unmapped prefix, one core call; nothing is parsed with the wrong schema."""
    import yaml as _yaml

    from workbench.config import parse_config
    from workbench.events.pipeline import parse_record_list
    from workbench.model import Record
    from workbench.parse import parsers_for_source
    from workbench.schema import load_schema

    repo = REPO
    cfg = parse_config(f"""
schemas: {repo / 'schemas'}
sources:
  s:
    bucket: b
    prefixes:
      app/: Custom.AppLog
      Panoptica/auth/: Custom.Panoptica.Auth
""")

    def inputs(name: str) -> list[str]:
        docs = _yaml.safe_load_all((repo / "schemas" / f"{name}_tests.yml").read_text())
        return [d["input"].strip() for d in docs if d]

    app_lines, auth_lines = inputs("Custom.AppLog"), inputs("Custom.Panoptica.Auth")
    records = ([Record("b", "app/x.csv", i, t) for i, t in enumerate(app_lines, 1)]
               + [Record("b", "Panoptica/auth/y.json", i, t) for i, t in enumerate(auth_lines, 1)]
               + [Record("b", "new/z.json", i, t) for i, t in enumerate(auth_lines, 1)])
    edited = load_schema((repo / "schemas" / "Custom.Panoptica.Auth.yml").read_text())
    got = parse_record_list(parsers_for_source(cfg, cfg.source("s"), edited=edited), records)
    assert not got.errors, got.errors[:2]
    by_type: dict[str, int] = {}
    for e in got.events:
        by_type[e["p_log_type"]] = by_type.get(e["p_log_type"], 0) + 1
    assert by_type["Custom.Panoptica.Auth"] == 2 * len(auth_lines)  # its prefix's, and the unmapped prefix's
    assert by_type["Custom.AppLog"] + got.skipped == len(app_lines)  # a CSV header line is skipped, not failed
    assert set(by_type) == {"Custom.AppLog", "Custom.Panoptica.Auth"}
