"""`workbench rules run` with a rule that loops on some events: the healthy rule's counts are those of a run
without it, the looping rule is suspended and reported with the events it was not run on; Ctrl+C ends a
run with the results so far, marked partial (exit 130)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from workbench.cli import main

REPO = Path(__file__).resolve().parents[2]
N = 2909


def write_rule(root: Path, rule_id: str, py: str) -> None:
    name = rule_id.lower().replace(".", "_")
    (root / f"{name}.py").write_text(textwrap.dedent(py))
    (root / f"{name}.yml").write_text(f"AnalysisType: rule\nRuleID: {rule_id}\nEnabled: true\nFilename: {name}.py\n"
                                      f"LogTypes: [Custom.T]\nSeverity: High\n")


def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps({"p_log_type": "Custom.T", "n": i, "p_row_id": f"r{i}"}) + "\n"
                            for i in range(N)))
    return path


def run_json(capsys, *args: str) -> tuple[int, dict]:
    rc = main(["rules", "run", *args, "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_a_looping_rule_is_suspended_and_the_healthy_counts_do_not_change(tmp_path, capsys):
    good = tmp_path / "good"
    good.mkdir()
    write_rule(good, "A.Healthy", "def rule(event):\n    return event.get('n') % 31 == 0\n")
    events = events_file(tmp_path)
    rc, clean = run_json(capsys, "--path", str(good), "--events", str(events))
    assert rc == 0 and clean["rules"]["A.Healthy"]["matches"] == len(range(0, N, 31)) == 94
    write_rule(good, "B.Loop", "def rule(event):\n    while event.get('n') % 400 == 7:\n        pass\n    return False\n")
    rc, out = run_json(capsys, "--path", str(good), "--events", str(events), "--timeout", "0.5")
    assert rc == 1  # the loop's calls are errors
    assert out["rules"]["A.Healthy"] == clean["rules"]["A.Healthy"]
    assert out["partial"] is False and out["events"] == N
    loop = out["rules"]["B.Loop"]
    assert loop["errors"] == 3 and loop["events"] == N and loop["matches"] == 0
    assert out["suspended"]["B.Loop"]["strikes"] == 3
    assert out["suspended"]["B.Loop"]["not_run"] == loop["not_run"] == N - 808  # suspended after event 807
    err = capsys.readouterr().err
    # --max-strikes 1: the first strike suspends it
    rc, out = run_json(capsys, "--path", str(good), "--events", str(events), "--timeout", "0.5", "--max-strikes", "1")
    assert out["rules"]["B.Loop"]["errors"] == 1 and out["suspended"]["B.Loop"]["not_run"] == N - 8
    assert out["rules"]["A.Healthy"] == clean["rules"]["A.Healthy"]
    del err


def test_the_table_names_the_suspended_rule(tmp_path, capsys):
    write_rule(tmp_path, "B.Loop", "def rule(event):\n    while event.get('n') % 400 == 7:\n        pass\n    return False\n")
    rc = main(["rules", "run", "--path", str(tmp_path), "--events", str(events_file(tmp_path)), "--timeout", "0.3"])
    captured = capsys.readouterr()
    assert rc == 1
    assert "NOT RUN (SUSPENDED)" in captured.out and f"{N - 808:,}" in captured.out
    assert "suspended: B.Loop after 3 strikes" in captured.err and f"not run on {N - 808:,} events" in captured.err


def test_ctrl_c_ends_the_run_with_partial_results(tmp_path):
    write_rule(tmp_path, "A.Healthy", "def rule(event):\n    return event.get('n') % 31 == 0\n")
    write_rule(tmp_path, "C.Slow", "import time\n\ndef rule(event):\n    time.sleep(0.01)\n    return False\n")
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "rules", "run", "--path", str(tmp_path),
                             "--events", str(events_file(tmp_path)), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        time.sleep(3)  # started, rules loaded, some events done
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err.decode()
    result = json.loads(out)
    assert result["partial"] is True and 0 <= result["events"] < N
    done = result["events"]
    assert result["rules"]["A.Healthy"]["events"] == result["rules"]["C.Slow"]["events"] == done
    assert result["rules"]["A.Healthy"]["matches"] == len(range(0, done, 31))
    assert "cancelled: partial results" in err.decode()
