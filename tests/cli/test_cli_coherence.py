"""The CLI commands fit together: `sample`'s output feeds `parse` and `infer`; `rules test` finds the configured
rules and never reads schema test files as rules; `infer` on a configured prefix names the schema after its
log type. Runs on the demo's real embedded AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from workbench.cli import main
from workbench.model import Record
from workbench.source.local import unwrap_envelopes

REPO = Path(__file__).resolve().parents[2]


def _sample(demo, prefix: str, out: Path, capsys) -> list[dict]:
    rc = main(["sample", "--config", str(demo.config_path), "--source", "demo", "--prefix", prefix,
               "--limit", "4", "--out", "-"])
    assert rc == 0
    text = capsys.readouterr().out
    out.write_text(text)
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines and {"bucket", "key", "line", "text"} <= lines[0].keys()
    return lines


def test_sample_output_feeds_infer_and_parse(demo, tmp_path, capsys):
    sampled = _sample(demo, "Panoptica/auth/", tmp_path / "sample.ndjson", capsys)
    schema = tmp_path / "auth.yml"
    assert main(["infer", str(tmp_path / "sample.ndjson"), "--name", "Custom.Auth", "--out", str(schema)]) == 0
    err = capsys.readouterr().err
    # inferred from the sampled events themselves, not from the envelope: no `bucket`/`text` fields
    text = schema.read_text()
    assert "name: text" not in text and "name: bucket" not in text
    assert f"parses {len(sampled)}/{len(sampled)}" in err
    assert main(["parse", "--schema", str(schema), str(tmp_path / "sample.ndjson")]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(events) == len(sampled)
    # the event keeps where it came from: the sampled object's key, not the local file's name
    assert {e["p_source_file"]["aws_s3_key"] for e in events} == {s["key"] for s in sampled}


def test_plain_json_with_a_text_field_is_not_unwrapped():
    records = [Record("", "f.json", 1, '{"key": "a", "text": "hello", "user": "bob"}')]
    assert unwrap_envelopes(records) == records  # `user` is not an envelope key: an ordinary log line


def test_infer_names_the_schema_after_the_prefix_log_type(demo, tmp_path, capsys):
    out = tmp_path / "s.yml"
    assert main(["infer", "--config", str(demo.config_path), "--source", "demo", "--prefix", "Panoptica/auth/",
                 "--limit", "3", "--out", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "schema: Custom.Panoptica.Auth"


def test_infer_on_a_prefix_of_a_managed_type_names_a_custom_schema_that_parses_its_sample(demo, tmp_path, capsys):
    """Named AWS.CloudTrail, an inferred schema would be parsed with CloudTrail's managed steps (which rename
    `resources[].ARN`), failing on its own records; it is Custom.AWS.CloudTrail."""
    sample = tmp_path / "ct.ndjson"
    _sample(demo, "AWSLogs/", sample, capsys)
    out = tmp_path / "s.yml"
    assert main(["infer", "--config", str(demo.config_path), "--source", "demo", "--prefix", "AWSLogs/",
                 "--limit", "4", "--out", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "schema: Custom.AWS.CloudTrail"
    capsys.readouterr()
    assert main(["parse", "--schema", str(out), str(sample), "--strict"]) == 0
    assert " 0 errors (100.00 % parsed)" in capsys.readouterr().err


def _rules_test(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", "rules", "test", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=120)


def test_rules_test_on_a_clean_checkout_reads_no_schema_tests_as_rules():
    done = _rules_test(cwd=REPO, env={"WORKBENCH_CONFIG": ""})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Invalid: 0" in done.stdout and "_tests.yml" not in done.stdout


def test_rules_test_defaults_to_the_configured_rules_dir(demo, tmp_path):
    done = _rules_test("--config", str(demo.config_path), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] > 0 and report["invalid"] == 0 and report["failed"] == 0


def test_parse_of_nothing_claims_no_percentage(tmp_path, capsys):
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert main(["parse", "--schema", str(REPO / "schemas" / "Custom.AppLog.yml"), str(empty)]) == 0
    err = capsys.readouterr().err
    assert "parsed 0 events, 0 errors (no records read)" in err
    assert "% parsed" not in err
