"""One engine, many callers: rules runs, unit-test runs, hot reloads and cancels, from several threads or in
any order, never read each other's replies and never leave the engine giving wrong counts."""

from __future__ import annotations

import threading
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rulekit import write_rule

from workbench.detections import RuleEngine

HEALTHY = "def rule(event):\n    return event.get('n') % 3 == 0\n"
LOOP = "def rule(event):\n    while event.get('n') % 500 == 13:\n        pass\n    return event.get('n') % 5 == 0\n"
FIVES = "def rule(event):\n    return event.get('n') % 5 == 0\n"
SEVENS = "def rule(event):\n    return event.get('n') % 7 == 0\n"
EXITS = "import os\n\ndef rule(event):\n    if event.get('n') == 5:\n        os._exit(4)\n    return event.get('n') % 7 == 0\n"


RULE_TESTS = [("zero", True, {"p_log_type": "Custom.T", "n": 0}), ("one", False, {"p_log_type": "Custom.T", "n": 1})]


def write(root, rule_id: str, py: str) -> None:
    write_rule(root, rule_id, py, RULE_TESTS)


def events(n: int) -> list[dict]:
    return [{"p_log_type": "Custom.T", "n": i} for i in range(n)]


def matched(results, rule_id: str) -> int:
    return sum(1 for r in results if r.rule_id == rule_id and r.matched)


def test_loop_hot_reload_unit_tests_restore_rerun_gives_true_counts(tmp_path):
    """The sequence that once crossed a rules run's replies with a test run's (wrong counts until restart)."""
    n = 2909
    write(tmp_path, "A.Healthy", HEALTHY)
    write(tmp_path, "B.Flaky", LOOP)
    with RuleEngine(tmp_path, timeout=0.5) as engine:
        stop = threading.Event()
        threading.Timer(0.7, stop.set).start()
        first = list(engine.run_events(events(n), cancelled=stop.is_set))  # the user gives up on the loop
        assert engine.last_run.partial
        assert matched(first, "A.Healthy") == len(range(0, engine.last_run.events, 3))
        abandoned = engine.run_events(events(n))
        next(abandoned)  # and another run is dropped mid-way
        write(tmp_path, "B.Flaky", FIVES)  # hot reload: the rule is fixed
        assert engine.reload()
        report = engine.run_tests()
        assert report.ok and len(report.cases) == 4
        write(tmp_path, "B.Flaky", LOOP)  # restored
        engine.reload()
        results = list(engine.run_events(events(n)))
        assert matched(results, "A.Healthy") == len(range(0, n, 3))
        assert sum(1 for r in results if r.rule_id == "A.Healthy" and r.error) == 0
        flaky = [r for r in results if r.rule_id == "B.Flaky"]
        assert len(flaky) == n
        assert [r.event["n"] for r in flaky if r.error] == [13, 513, 1013]
        assert "B.Flaky" in engine.last_run.suspended
        report = engine.run_tests()
        assert [c.passed for c in report.cases] == [True, True, True, True]
        abandoned.close()


def test_concurrent_runs_tests_and_reloads_on_one_engine(tmp_path):
    n = 1500
    write(tmp_path, "A.Healthy", HEALTHY)
    write(tmp_path, "C.Toggle", FIVES)
    counts = {FIVES: len(range(0, n, 5)), SEVENS: len(range(0, n, 7))}
    failures: list[str] = []
    stop = threading.Event()

    def runner() -> None:
        while not stop.is_set():
            results = list(engine.run_events(events(n)))
            if len(results) != 2 * n:
                failures.append(f"{len(results)} results")
            if matched(results, "A.Healthy") != len(range(0, n, 3)):
                failures.append(f"healthy matched {matched(results, 'A.Healthy')}")
            if matched(results, "C.Toggle") not in counts.values():
                failures.append(f"toggle matched {matched(results, 'C.Toggle')}")

    def tester() -> None:
        while not stop.is_set():
            report = engine.run_tests(rule_ids=["A.Healthy"])
            if [c.passed for c in report.cases] != [True, True]:
                failures.append(f"tests {[(c.name, c.error) for c in report.cases]}")

    with RuleEngine(tmp_path, timeout=2, auto_reload=False) as engine:
        threads = [threading.Thread(target=f) for f in (runner, runner, tester)]
        for t in threads:
            t.start()
        for version in [SEVENS, FIVES, SEVENS, FIVES, SEVENS]:
            time.sleep(0.3)
            write(tmp_path, "C.Toggle", version)
            engine.reload()
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(60)
        assert not failures, failures[:5]
        assert engine.worker.stale_frames == 0
        final = list(engine.run_events(events(n)))
        assert matched(final, "C.Toggle") == counts[SEVENS]


OPS = st.lists(st.sampled_from(["run", "cancel", "abandon", "tests", "edit", "reload"]), min_size=1, max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_interleaving_leaves_the_engine_consistent(tmp_path_factory, ops):
    root = tmp_path_factory.mktemp("content")
    n = 300
    write(root, "A.Healthy", HEALTHY)
    write(root, "C.Toggle", SEVENS)
    versions = [SEVENS, EXITS]  # the second kills the worker on event 5 (one strike per run)
    current = 0
    with RuleEngine(root, timeout=1, auto_reload=True, max_strikes=2) as engine:
        pending = []
        for op in ops:
            if op == "run":
                results = list(engine.run_events(events(n)))
                assert matched(results, "A.Healthy") == len(range(0, n, 3))
                assert matched(results, "C.Toggle") == len(range(0, n, 7))
            elif op == "cancel":
                results = list(engine.run_events(events(n), cancelled=lambda: True))
                assert results == [] and engine.last_run.partial
            elif op == "abandon":
                it = engine.run_events(events(n))
                next(it)
                pending.append(it)
            elif op == "tests":
                report = engine.run_tests(rule_ids=["A.Healthy"])
                assert [c.passed for c in report.cases] == [True, True]
            elif op == "edit":
                current = 1 - current
                write(root, "C.Toggle", versions[current])
                engine._last_check = 0  # the next call checks the files at once (auto_reload)
            elif op == "reload":
                engine.reload()
        # whatever happened, a full run now gives exact counts for the content on disk
        engine.reload()
        results = list(engine.run_events(events(n)))
        assert matched(results, "A.Healthy") == len(range(0, n, 3))
        toggle = [r for r in results if r.rule_id == "C.Toggle"]
        assert len(toggle) == n
        assert sum(r.matched for r in toggle) == len(range(0, n, 7))
        assert [r.event["n"] for r in toggle if r.error] == ([5] if current else [])
        assert engine.run_tests(rule_ids=["A.Healthy"]).ok
        for it in pending:
            it.close()
