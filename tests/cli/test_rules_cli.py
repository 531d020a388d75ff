"""`workbench rules test` and `workbench rules run`, driven as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.cli import main

REPO = Path(__file__).resolve().parents[2]


def write_rule(root: Path, rule_id: str, py: str, tests: str) -> None:
    name = rule_id.lower().replace(".", "_")
    (root / f"{name}.py").write_text(textwrap.dedent(py))
    (root / f"{name}.yml").write_text(f"AnalysisType: rule\nRuleID: {rule_id}\nEnabled: true\nFilename: {name}.py\n"
                                      f"LogTypes: [Custom.T]\nSeverity: High\nTests:\n"
                                      + textwrap.indent(textwrap.dedent(tests), "  "))


@pytest.fixture
def content(tmp_path):
    write_rule(tmp_path, "C.Good", """
        def rule(event):
            return event.get("user") == "root"

        def title(event):
            return "root was here"
        """, """
        - Name: root
          ExpectedResult: true
          Log: {"user": "root", "p_log_type": "Custom.T"}
        - Name: not root
          ExpectedResult: false
          Log: {"user": "bob", "p_log_type": "Custom.T"}
        """)
    write_rule(tmp_path, "C.Bad", """
        def rule(event):
            return True
        """, """
        - Name: wrong expectation
          ExpectedResult: false
          Log: {}
        """)
    return tmp_path


def test_rules_test_json_shape_and_exit_code(content, capsys):
    rc = main(["rules", "test", "--path", str(content), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert set(out) == {"passed", "failed", "invalid", "skipped", "tests"}
    assert (out["passed"], out["failed"], out["invalid"], out["skipped"]) == (1, 1, 0, 0)
    assert all(set(t) == {"rule_id", "test", "passed", "expected", "actual", "error"} for t in out["tests"])
    bad = next(t for t in out["tests"] if t["rule_id"] == "C.Bad")
    assert bad == {"rule_id": "C.Bad", "test": "wrong expectation", "passed": False, "expected": False,
                   "actual": True, "error": "expected rule() to return False, got true"}


def test_rules_test_human_report(content, capsys):
    rc = main(["rules", "test", "--path", str(content)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "C.Good\n\t[PASS] root\n\t\t[PASS] [rule] true\n\t\t[PASS] [title] root was here\n" in out
    assert "\t[FAIL] wrong expectation\n\t\t[PASS] [rule] true\n\t\texpected rule() to return False, got true" in out
    assert "Passed: 1, Failed: 1, Invalid: 0, Skipped: 0" in out


def test_rules_test_selection(content, capsys):
    assert main(["rules", "test", "--path", str(content), "--rule-id", "C.Good", "--json"]) == 0
    assert {t["rule_id"] for t in json.loads(capsys.readouterr().out)["tests"]} == {"C.Good"}
    assert main(["rules", "test", "--path", str(content), "--filter", "RuleID=C.Good", "--json"]) == 0
    capsys.readouterr()
    assert main(["rules", "test", "--path", str(content), "--filter", "nonsense"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert main(["rules", "test", "--path", str(content), "--filter", "RuleID!=C.Bad", "--json"]) == 0
    assert {t["rule_id"] for t in json.loads(capsys.readouterr().out)["tests"]} == {"C.Good"}
    assert main(["rules", "test", "--path", str(content), "--filter", "RuleID=C.Good,C.Bad", "--json"]) == 1
    assert {t["rule_id"] for t in json.loads(capsys.readouterr().out)["tests"]} == {"C.Good", "C.Bad"}
    assert main(["rules", "test", "--path", str(content), "--filter", "Severity=Low"]) == 1
    assert "no rules to test" in capsys.readouterr().err


def test_global_helpers_found_in_the_parent_folder(tmp_path, capsys):
    helpers = tmp_path / "global_helpers"
    helpers.mkdir()
    (helpers / "up_helpers.py").write_text("ANSWER = 42\n")
    (helpers / "up_helpers.yml").write_text("AnalysisType: global\nGlobalID: up_helpers\nFilename: up_helpers.py\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    write_rule(rules, "C.Up", """
        from up_helpers import ANSWER

        def rule(event):
            return ANSWER == 42
        """, """
        - Name: helper from ../global_helpers
          ExpectedResult: true
          Log: {}
        """)
    assert main(["rules", "test", "--path", str(rules), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] == 1


def test_invalid_spec_fails_the_run(content, capsys):
    (content / "broken.yml").write_text("AnalysisType: rule\nRuleID: C.Broken\nEnabled: maybe\n")
    rc = main(["rules", "test", "--path", str(content), "--rule-id", "C.Good", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["invalid"] == 1 and out["passed"] == 1


def test_rules_run_over_an_events_file(content, tmp_path, capsys):
    events = tmp_path / "events.ndjson"
    lines = [json.dumps({"p_log_type": "Custom.T", "user": u, "p_event_time": f"2026-11-01 00:{m:02d}:00.000000000"})
             for m, u in enumerate(["root", "bob", "root", "root"])]
    events.write_text("\n".join(lines[:2]) + "\n{broken\n" + "\n".join(lines[2:]) + "\n")
    rc = main(["rules", "run", "--path", str(content), "--events", str(events), "--json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert rc == 0
    assert out["events"] == 4 and out["unreadable"] == 1
    assert out["rules"]["C.Good"] == {"events": 4, "matches": 3, "errors": 0, "dedup_groups": 1, "alerts": 1}
    good = next(a for a in out["alerts"] if a["rule_id"] == "C.Good")
    assert good["title"] == "root was here" and good["count"] == 3
    bad = next(a for a in out["alerts"] if a["rule_id"] == "C.Bad")
    assert bad["title"] == "C.Bad" and bad["dedup"] == "defaultDedupString:C.Bad"  # production fallbacks
    assert "events.ndjson:3: not JSON" in captured.err

    rc = main(["rules", "run", "--path", str(content), "--events", str(events), "--ndjson", "--rule-id", "C.Good"])
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["title"] for a in alerts] == ["root was here"] * 3 and alerts[0]["severity"] == "HIGH"

    rc = main(["rules", "run", "--path", str(content), "--events", str(events)])
    table = capsys.readouterr().out
    assert "RULE" in table and "C.Good" in table and "4 events, 7 matches" in table


def test_rules_run_bad_input_is_one_line(content, tmp_path, capsys):
    assert main(["rules", "run", "--path", str(content), "--events", str(tmp_path / "nope.ndjson")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot read events file") and err.count("\n") == 1
    assert main(["rules", "run", "--path", str(tmp_path / "missing"), "--events", str(tmp_path / "x")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_demo_rules_pass_through_the_real_command():
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "rules", "test", "--path", "rules", "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["failed"] == 0 and out["invalid"] == 0 and out["passed"] >= 8
    assert all(t["passed"] for t in out["tests"])
