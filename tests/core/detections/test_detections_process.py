"""The rule worker's handle (process.py): a worker that died after taking requests is never replaced behind
its caller's back. A fresh worker would lack the rules loaded into the dead one (silently matching
nothing) and would never answer the requests the dead one left unanswered (a caller waiting forever): the
death is reported as a crash of those requests instead. The workers here are real processes, killed for
real."""

from __future__ import annotations

import os
import signal

import pytest
from rulekit import write_rule

from workbench.detections import RuleEngine
from workbench.detections.process import WorkerCrash, WorkerProcess

EVENT = {"p_log_type": "Custom.T", "a": 1}
EMPTY_LOAD = {"op": "load", "globals": {}, "data_models": [], "rules": [], "skip": []}


def kill(worker: WorkerProcess) -> None:
    """SIGKILL the worker as the OOM killer or a user would, unseen by its handle until it next uses it."""
    assert worker.proc is not None
    try:
        os.killpg(worker.proc.pid, signal.SIGKILL)  # the whole session, as the handle's own stop() does
    except ProcessLookupError:
        worker.proc.kill()  # a worker not yet in a session of its own
    worker.proc.wait(timeout=30)


@pytest.fixture
def engine(tmp_path):
    write_rule(tmp_path, "Proc.Always", "def rule(event):\n    return True\n", [("t", True, EVENT)])
    with RuleEngine(tmp_path, auto_reload=False) as engine:
        yield engine


@pytest.mark.timeout(60)
def test_a_request_to_a_worker_that_died_after_its_load_reports_the_death_instead_of_a_fresh_worker(engine):
    assert engine.run_event(EVENT)[0].matched  # the worker holds the rules now
    worker = engine.worker
    kill(worker)
    starts = worker.starts
    rid = worker.send({"op": "tests", "cases": []})
    assert worker.starts == starts  # not handed to a new worker that never got the rules
    with pytest.raises(WorkerCrash, match="killed by signal SIGKILL"):
        worker.receive(rid)
    assert worker.request(EMPTY_LOAD)  # the death reported, the next request gets a fresh worker
    assert worker.starts == starts + 1


@pytest.mark.timeout(60)
def test_a_request_the_dead_worker_left_unanswered_raises_even_after_a_fresh_worker_started(tmp_path):
    # the load hangs importing the rule: neither request is answered before the kill
    write_rule(tmp_path, "Proc.Slow", "import time\ntime.sleep(600)\n\ndef rule(event):\n    return True\n", [])
    with RuleEngine(tmp_path, auto_reload=False, timeout=30) as engine:
        worker = engine.worker
        spec = engine._content.rules[0]
        load_id = worker.send({**EMPTY_LOAD, "rules": [spec.worker_spec(0)]})
        tests_id = worker.send({"op": "tests", "cases": []})
        kill(worker)
        with pytest.raises(WorkerCrash, match="SIGKILL"):
            worker.receive(load_id)
        assert worker.request(EMPTY_LOAD)  # a fresh worker, which never saw `tests_id`
        with pytest.raises(WorkerCrash, match="SIGKILL"):
            worker.receive(tests_id)  # reported, not waited for
        assert worker.alive  # and the fresh worker is left alone


def test_rules_over_events_reload_a_worker_that_died_between_its_load_and_the_batch(engine):
    """`rules run`'s batch goes right after the check that the worker holds the rules: a worker that dies
    in between is reported, reloaded and the batch run again, never run on a fresh worker without rules."""
    assert engine.run_event(EVENT)[0].matched
    ensure_worker, deaths = engine._ensure_worker, []

    def then_dies(state) -> None:  # the worker killed right after the check, once
        ensure_worker(state)
        if not deaths:
            deaths.append(engine.worker.starts)
            kill(engine.worker)

    engine._ensure_worker = then_dies
    [result] = engine.run_event(EVENT)
    assert deaths and engine.worker.starts == deaths[0] + 1
    assert result.matched and not result.error


_PARENT = """
import sys, time
from pathlib import Path
from workbench.detections import RuleEngine
with RuleEngine(Path(sys.argv[1]), auto_reload=False, timeout=600) as engine:
    worker = engine.worker
    worker.request({"op": "load", "globals": {}, "data_models": [], "skip": [],
                    "rules": [engine._content.rules[0].worker_spec(0)]})
    print(worker.proc.pid, flush=True)
    engine.run_event({"p_log_type": "Custom.T", "a": 1})  # never returns: the rule loops
"""


@pytest.mark.timeout(60)
def test_a_worker_whose_parent_was_killed_mid_rule_exits_instead_of_spinning(tmp_path):
    import subprocess
    import sys
    import time

    write_rule(tmp_path, "Proc.Loop", "def rule(event):\n    while True:\n        pass\n", [])
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    time.sleep(0.5)  # the worker is inside the rule's loop now
    parent.kill()  # SIGKILL: no cleanup runs in the parent
    parent.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return  # gone (reaped by init once it exited)
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return  # exited, not yet reaped
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)
    pytest.fail("the orphaned worker was still running its rule 20 s after its parent died")
