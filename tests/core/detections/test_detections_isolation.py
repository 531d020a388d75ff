"""A misbehaving rule becomes that rule's error; the worker is replaced and the next rule still runs."""

from __future__ import annotations

import os
import textwrap

import pytest
from rulekit import write_rule

from workbench.detections import RuleEngine

BAD_RULES = {
    "Iso.Loop": "def rule(event):\n    while True:\n        pass\n",
    "Iso.Exit": "import os\n\ndef rule(event):\n    os._exit(3)\n",
    "Iso.Print": "def rule(event):\n    print('x' * 50_000_000)\n    return True\n",
    # a 2 GiB allocation: over the worker's 512 MiB address-space cap, refused at once
    "Iso.Memory": "def rule(event):\n    hoard = [bytearray(2 * 1024 ** 3)]\n    return bool(hoard)\n",
    "Iso.Title": "def rule(event):\n    return True\n\ndef title(event):\n    raise ValueError('title broke')\n",
    "Iso.SysExit": "import sys\n\ndef rule(event):\n    sys.exit(0)\n",
    "Iso.Fork": "import os\n\ndef rule(event):\n    return os.fork() > 0\n",
}
OK_RULE = "def rule(event):\n    return True\n"


RULE_TESTS = [("t", True, {"p_log_type": "Custom.T"})]


def write(root, rule_id, py):
    write_rule(root, rule_id, py, RULE_TESTS)


@pytest.fixture
def content(tmp_path):
    for rid, py in BAD_RULES.items():
        write(tmp_path, rid, py)
    write(tmp_path, "Iso.ZOk", OK_RULE)  # sorts last: runs after every bad rule
    return tmp_path


def expected_errors():
    return {
        "Iso.Loop": "timed out after 0.5 s",
        "Iso.Exit": "exited with status 3",
        "Iso.Memory": "MemoryError",
        "Iso.Title": "ValueError: title broke",
        "Iso.SysExit": "SystemExit",
        "Iso.Fork": "PermissionError",
    }


def test_unit_tests_survive_every_kind_of_bad_rule(content):
    with RuleEngine(content, timeout=0.5, memory_mb=512) as engine:
        report = engine.run_tests()
        by_rule = {c.rule_id: c for c in report.cases}
        for rid, needle in expected_errors().items():
            assert not by_rule[rid].passed
            assert needle in by_rule[rid].error, (rid, by_rule[rid].error)
        assert by_rule["Iso.ZOk"].passed
        printed = by_rule["Iso.Print"]
        assert printed.passed  # megabytes of output are cut, not fatal
        assert len(printed.stdout) < 100_000 and "more characters of output dropped" in printed.stdout
        # the engine still works afterwards
        assert engine.run_tests(rule_ids=["Iso.ZOk"]).ok


def test_rules_over_events_survive_every_kind_of_bad_rule(content):
    events = [{"p_log_type": "Custom.T", "n": i} for i in range(2)]
    with RuleEngine(content, timeout=0.5, memory_mb=512) as engine:
        results = list(engine.run_events(events))
        assert len(results) == len(events) * (len(BAD_RULES) + 1)
        for r in results:
            if r.rule_id in expected_errors() and r.rule_id != "Iso.Title":
                assert not r.matched and expected_errors()[r.rule_id] in r.error, (r.rule_id, r.error)
        ok = [r for r in results if r.rule_id == "Iso.ZOk"]
        assert [r.event["n"] for r in ok] == [0, 1] and all(r.matched and not r.error for r in ok)
        titled = [r for r in results if r.rule_id == "Iso.Title"]
        # production fallbacks: the alert still fires, titled with the rule id, and the error is reported
        assert all(r.matched and r.title == "Iso.Title" and "title broke" in r.error for r in titled)


def test_a_module_that_kills_the_worker_at_import_is_invalid(tmp_path):
    write(tmp_path, "Imp.Exit", "import os\nos._exit(5)\n")
    write(tmp_path, "Imp.Ok", OK_RULE)
    with RuleEngine(tmp_path) as engine:
        assert [r.rule_id for r in engine.rules] == ["Imp.Ok"]
        assert any("exited with status 5" in i.message for i in engine.invalid)
        assert engine.run_tests(rule_ids=["Imp.Ok"]).cases[0].passed


def test_no_worker_is_left_behind(content):
    engine = RuleEngine(content, timeout=0.5)
    engine.run_tests(rule_ids=["Iso.ZOk"])
    pid = engine.worker.proc.pid
    engine.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_huge_and_hostile_exceptions_are_cut(tmp_path):
    write(tmp_path, "Iso.BigError", "def rule(event):\n    raise ValueError('x' * 5_000_000)\n")
    write(tmp_path, "Iso.BadStr", textwrap.dedent("""\
        class Nasty(Exception):
            def __str__(self):
                raise RuntimeError("no")

        def rule(event):
            raise Nasty()
        """))
    write(tmp_path, "Iso.Deep", "def rule(event):\n    return rule(event)\n")
    with RuleEngine(tmp_path) as engine:
        by_rule = {c.rule_id: c for c in engine.run_tests().cases}
    assert len(by_rule["Iso.BigError"].error) < 20000 and by_rule["Iso.BigError"].error.startswith("ValueError: xxx")
    assert by_rule["Iso.BadStr"].error == "Nasty: <unprintable exception>"
    assert by_rule["Iso.Deep"].error.startswith("RecursionError")


@pytest.mark.timeout(60)
def test_a_request_pipelined_behind_one_that_killed_the_worker_never_goes_to_a_fresh_worker(tmp_path):
    """`rules test` sends the load and the unit tests back to back. When the worker died importing a rule before
    the second write, that write used to start a fresh worker, which never got the load: the parent then
    waited forever for the load's reply (seen as a rare hang with a rule calling os._exit at import)."""
    from workbench.detections.process import WorkerCrash

    write_rule(tmp_path, "Exit.AtImport", "import os\nos._exit(5)\n\ndef rule(event):\n    return True\n",
               [("t", True, {"a": 1})])
    engine = RuleEngine(tmp_path, auto_reload=False)
    try:
        worker = engine.worker
        spec = engine._content.rules[0]
        load_id = worker.send({"op": "load", "globals": {}, "data_models": [], "rules": [spec.worker_spec(0)],
                               "skip": []})
        assert worker.proc is not None
        worker.proc.wait(timeout=30)  # it dies importing the rule
        starts = worker.starts
        worker.send({"op": "tests", "cases": []})
        assert worker.starts == starts  # no fresh worker for the pipelined request
        with pytest.raises(WorkerCrash):
            worker.receive(load_id)
    finally:
        engine.close()
