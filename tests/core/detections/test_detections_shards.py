"""Unit tests on several rule workers at once (shards.py) report exactly what one worker reports.

Sharding is forced on small content with WORKBENCH_TEST_SHARDS (it otherwise starts at shards.MIN_CASES).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from rulekit import write_rule

from workbench.detections import RuleEngine, shards
from workbench.detections.process import WorkerProcess
from workbench.detections.report import test_report_lines as report_lines

EVENT = {"p_log_type": "Custom.T"}


def _mocked_rule(root) -> None:
    (root / "sh_mock.py").write_text("def lookup():\n    return 'real'\n\ndef rule(event):\n"
                                     "    return lookup() == event['want']\n")
    (root / "sh_mock.yml").write_text(textwrap.dedent("""\
        AnalysisType: rule
        RuleID: Sh.Mock
        Enabled: true
        Filename: sh_mock.py
        LogTypes: [Custom.T]
        Severity: Low
        Tests:
          - Name: mocked
            ExpectedResult: true
            Mocks:
              - objectName: lookup
                returnValue: fake
            Log: {"p_log_type": "Custom.T", "want": "fake"}
          - Name: real again
            ExpectedResult: true
            Log: {"p_log_type": "Custom.T", "want": "real"}
          - Name: mock of a missing name
            ExpectedResult: true
            Mocks:
              - objectName: no_such_name
                returnValue: x
            Log: {"p_log_type": "Custom.T", "want": "real"}
        """))


@pytest.fixture
def content(tmp_path):
    """Every kind of case: passing, failing, printing, mocked, crashing the worker mid-rule, hanging,
    a module that fails to import, one that kills the worker at import, and a spec that is not valid."""
    write_content(tmp_path)
    write_rule(tmp_path, "Sh.ImportExit", "import os\nos._exit(5)\n", [("never", True, EVENT)])
    return tmp_path


def write_content(tmp_path) -> None:
    for i in range(8):
        write_rule(tmp_path, f"Sh.Ok{i}", "def rule(event):\n    return event.get('n', 0) % 2 == 0\n",
                   [(f"case {n}", n % 2 == 0, {**EVENT, "n": n}) for n in range(i % 4 + 1)])
    write_rule(tmp_path, "Sh.Print", "def rule(event):\n    print('hello', event['n'])\n    return False\n",
               [("prints", True, {**EVENT, "n": 1}), ("prints again", False, {**EVENT, "n": 2})])
    write_rule(tmp_path, "Sh.Exit", "import os\n\ndef rule(event):\n    if event['n'] == 2:\n"
               "        os._exit(3)\n    return True\n",
               [("before", True, {**EVENT, "n": 1}), ("kills", True, {**EVENT, "n": 2}),
                ("after", True, {**EVENT, "n": 3})])
    write_rule(tmp_path, "Sh.Loop", "def rule(event):\n    while True:\n        pass\n", [("hangs", True, EVENT)])
    write_rule(tmp_path, "Sh.ImportError", "raise ValueError('broken module')\n", [("never", True, EVENT)])
    write_rule(tmp_path, "Sh.ImportError2", "undefined_name\n", [("never", True, EVENT)])
    _mocked_rule(tmp_path)
    (tmp_path / "sh_bad.yml").write_text("AnalysisType: rule\nRuleID: Sh.Bad\nFilename: missing.py\n"
                                         "Tests: [oops\n")


def _run(path, monkeypatch, n_shards: int, **kw):
    monkeypatch.setenv(shards.FORCE_ENV, str(n_shards))
    with RuleEngine(path, timeout=0.5, auto_reload=False, for_tests=True) as engine:
        report = engine.run_tests(**kw)
    return report, list(report_lines(report))


@pytest.mark.parametrize("n_shards", [2, 3])
def test_sharded_report_is_the_single_worker_report(content, monkeypatch, n_shards):
    seen: list[list[int]] = []
    real = shards.run_sharded

    def spy(parts, *args, **kwargs):
        seen.extend(p.ordinals for p in parts)
        return real(parts, *args, **kwargs)

    one, one_lines = _run(content, monkeypatch, 1)
    monkeypatch.setattr("workbench.detections.engine_load.run_sharded", spy)
    many, many_lines = _run(content, monkeypatch, n_shards)
    assert len(seen) == n_shards and all(seen)  # it did run on that many workers, each with rules
    assert many_lines == one_lines
    assert many.to_json() == one.to_json()
    assert [c.stdout for c in many.cases] == [c.stdout for c in one.cases]
    by_name = {(c.rule_id, c.name): c for c in many.cases}
    # the crash is that case's error; the cases around it, and every other shard's, still ran
    assert "exited with status 3" in by_name[("Sh.Exit", "kills")].error
    assert by_name[("Sh.Exit", "before")].passed and by_name[("Sh.Exit", "after")].passed
    assert "timed out" in by_name[("Sh.Loop", "hangs")].error
    assert all(c.passed for c in many.cases if c.rule_id.startswith("Sh.Ok"))
    assert "hello 1" in by_name[("Sh.Print", "prints")].stdout
    assert by_name[("Sh.Mock", "mocked")].passed and by_name[("Sh.Mock", "real again")].passed
    assert "AttributeError" in by_name[("Sh.Mock", "mock of a missing name")].error
    assert [i.message for i in many.invalid] == [i.message for i in one.invalid]
    invalid = "\n".join(i.message for i in many.invalid)
    assert "broken module" in invalid and "exited with status 5" in invalid and "sh_bad.yml" in invalid
    assert "NameError" in invalid


def test_sharded_selection_and_skip_disabled_match_one_worker(content, monkeypatch):
    (content / "sh_ok1.yml").write_text((content / "sh_ok1.yml").read_text().replace("Enabled: true",
                                                                                   "Enabled: false"))
    for kw in ({"rule_ids": ["Sh.Ok1", "Sh.Exit", "Sh.Mock"]}, {"skip_disabled": True},
               {"filters": {"Severity": ["Low"]}}):
        one, one_lines = _run(content, monkeypatch, 1, **kw)
        many, many_lines = _run(content, monkeypatch, 2, **kw)
        assert many_lines == one_lines and many.to_json() == one.to_json(), kw


def test_a_crash_in_one_shard_keeps_the_other_shards_results(tmp_path, monkeypatch):
    write_rule(tmp_path, "A.Exit", "import os\n\ndef rule(event):\n    os._exit(9)\n", [("dies", True, EVENT)])
    write_rule(tmp_path, "B.Ok", "def rule(event):\n    return True\n", [(f"c{i}", True, EVENT) for i in range(3)])
    report, _ = _run(tmp_path, monkeypatch, 2)
    by_rule = {r.rule_id: r for r in report.rules}
    assert "exited with status 9" in by_rule["A.Exit"].cases[0].error
    assert [c.passed for c in by_rule["B.Ok"].cases] == [True, True, True]


def test_the_engine_reloads_all_rules_into_its_worker_after_a_sharded_run(content, monkeypatch):
    monkeypatch.setenv(shards.FORCE_ENV, "2")
    with RuleEngine(content, timeout=0.5, auto_reload=False) as engine:
        first = engine.run_tests()
        again = engine.run_tests()  # one worker now: it must hold every rule, not the first shard's
        assert again.to_json() == first.to_json()


def test_split_keeps_rules_whole_and_balances_cases():
    cases_of = {0: 30, 1: 1, 2: 1, 3: 10, 4: 10, 5: 10}
    parts = shards.split(7, cases_of, 2)
    assert sorted(o for p in parts for o in p) == list(range(7)) and all(p == sorted(p) for p in parts)
    weights = [sum(shards.IMPORT_WEIGHT + cases_of.get(o, 0) for o in p) for p in parts]
    assert abs(weights[0] - weights[1]) <= 30 + shards.IMPORT_WEIGHT  # within the heaviest rule
    assert shards.split(2, {}, 3)[2] == []  # more workers than rules: some hold none


def test_split_puts_mocked_rules_on_the_first_worker_within_its_share():
    cases_of = {o: 4 for o in range(10)}
    parts = shards.split(10, cases_of, 2, mocked={1, 3, 8})
    assert {1, 3, 8} <= set(parts[0]) and len(parts[0]) == len(parts[1]) == 5
    # more mocked work than one share: the rest is balanced as usual
    parts = shards.split(10, cases_of, 2, mocked=set(range(10)))
    assert len(parts[0]) == len(parts[1]) == 5


def test_shard_count(monkeypatch):
    monkeypatch.delenv(shards.FORCE_ENV, raising=False)
    assert shards.shard_count(2, shards.MIN_CASES - 1) == 1
    assert shards.shard_count(2, shards.MIN_CASES) == 2
    assert shards.shard_count(1, 10_000) == 1
    monkeypatch.setenv(shards.FORCE_ENV, "3")
    assert shards.shard_count(1, 1) == 3


def test_spare_workers_are_stopped_whether_used_or_not(tmp_path, monkeypatch):
    write_rule(tmp_path, "S.Ok", "def rule(event):\n    return True\n", [("c", True, EVENT)])
    for forced in ("1", "2"):
        monkeypatch.setenv(shards.FORCE_ENV, forced)
        spare = WorkerProcess(timeout=1.0)
        spare.start()
        pid = spare.proc.pid
        with RuleEngine(tmp_path, auto_reload=False, test_workers=2, spare_workers=[spare]) as engine:
            assert engine.run_tests().ok
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_cli_output_is_identical_on_one_worker_and_on_shards(tmp_path, json_flag):
    # (without the module that kills the worker at import: the single-worker CLI path sometimes hangs on
    # it together with Sh.Exit, a fault older than sharding, left for its own fix)
    write_content(tmp_path)
    content = tmp_path

    def cli(n: str) -> tuple[int, str, str]:
        env = {**os.environ, shards.FORCE_ENV: n}
        proc = subprocess.run([sys.executable, "-m", "workbench.cli", "rules", "test", "--path", str(content),
                               "--timeout", "0.5", *json_flag], capture_output=True, text=True, env=env, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    one = cli("1")
    assert one[0] == 1 and "Sh.Exit" in one[1]
    assert cli("2") == one
