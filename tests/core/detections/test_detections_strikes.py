"""Isolation per rule: a call that hangs, exits, exhausts memory or floods output is charged to that rule and
that event; every other rule's result on every event is the one a run without the bad rule gives. A rule
that keeps bringing the worker down is suspended after `max_strikes`, and its unrun events are counted."""

from __future__ import annotations

import threading

from rulekit import write_rule

from workbench.detections import AlertGrouper, RuleEngine
from workbench.detections.runs import RunStats

N_EVENTS = 3000
HEALTHY = {
    "Ok.Even": ("def rule(event):\n    return event.get('n') % 2 == 0\n\n"
                "def title(event):\n    return f\"even {event.get('n')}\"\n"),
    "Ok.Sevens": "def rule(event):\n    return event.get('n') % 7 == 0\n",
}
# each misbehaves on some events only (n % 500 == 13: six of the 3,000), and is healthy elsewhere
BAD = {
    "Bad.Loop": "def rule(event):\n    while event.get('n') % 500 == 13:\n        pass\n    return False\n",
    "Bad.Exit": "import os\n\ndef rule(event):\n    if event.get('n') % 500 == 13:\n        os._exit(9)\n    return False\n",
    "Bad.Hoard": ("def rule(event):\n    hoard = []\n    while event.get('n') % 500 == 13:\n"
                  "        hoard.append(bytearray(50 * 1024 * 1024))\n    return False\n"),
    "Bad.Print": ("import sys\n\ndef rule(event):\n    if event.get('n') % 500 == 13:\n"
                  "        chunk = 'x' * 1_000_000\n        for _ in range(100):\n            sys.stdout.write(chunk)\n"
                  "    return False\n"),
    "Bad.Title": ("def rule(event):\n    return event.get('n') % 500 == 13\n\n"
                  "def title(event):\n    raise ValueError('title broke')\n"),
}


RULE_TESTS = [("even", True, {"p_log_type": "Custom.T", "n": 14})]


def write(root, rule_id: str, py: str) -> None:
    write_rule(root, rule_id, py, RULE_TESTS)


def events(n: int = N_EVENTS) -> list[dict]:
    return [{"p_log_type": "Custom.T", "n": i, "p_row_id": str(i)} for i in range(n)]


def healthy_matches(results) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in results:
        if r.rule_id.startswith("Ok.") and r.matched:
            out.setdefault(r.rule_id, []).append(r.event["n"])
    return out


def baseline(tmp_path_factory) -> dict[str, list[int]]:
    root = tmp_path_factory.mktemp("healthy")
    for rid, py in HEALTHY.items():
        write(root, rid, py)
    with RuleEngine(root, timeout=0.5) as engine:
        return healthy_matches(engine.run_events(events()))


def test_bad_rules_mixed_with_healthy_ones_change_nothing_for_the_healthy(tmp_path, tmp_path_factory):
    expected = baseline(tmp_path_factory)
    assert len(expected["Ok.Even"]) == N_EVENTS // 2
    for rid, py in {**HEALTHY, **BAD}.items():
        write(tmp_path, rid, py)
    stats = RunStats()
    with RuleEngine(tmp_path, timeout=0.5, memory_mb=512, max_strikes=3) as engine:
        results = list(engine.run_events(events(), stats=stats))
        # one result per rule per event, in event order, whatever happened
        assert len(results) == N_EVENTS * (len(HEALTHY) + len(BAD))
        assert [r.event["n"] for r in results[:: len(HEALTHY) + len(BAD)]] == list(range(N_EVENTS))
        assert healthy_matches(results) == expected
        assert not any(r.error or r.not_run for r in results if r.rule_id.startswith("Ok."))
        by_rule: dict[str, list] = {}
        for r in results:
            by_rule.setdefault(r.rule_id, []).append(r)
        bad_events = [n for n in range(N_EVENTS) if n % 500 == 13]
        # the three that kill the worker: charged three times, then suspended for the rest of the run
        # (filling 50 MB blocks can use up the CPU budget before the 512 MB cap: the same strike either way)
        for rid, needles in (("Bad.Loop", ("timed out",)), ("Bad.Exit", ("exited with status 9",)),
                             ("Bad.Hoard", ("MemoryError", "timed out"))):
            errors = [r for r in by_rule[rid] if r.error]
            assert [r.event["n"] for r in errors] == bad_events[:3], rid
            assert all(any(n in r.error for n in needles) for r in errors), (rid, errors[0].error)
            assert not any(r.matched for r in by_rule[rid])
            suspended = stats.suspended[rid]
            assert suspended.strikes == 3
            not_run = [r for r in by_rule[rid] if r.not_run]
            assert suspended.not_run == len(not_run) > 0
            assert min(r.event["n"] for r in not_run) > bad_events[2] - 500
        # output is cut, not fatal, and never a strike
        printed = [r for r in by_rule["Bad.Print"] if r.stdout]
        assert [r.event["n"] for r in printed] == bad_events
        assert all(len(r.stdout) < 100_000 and "more characters of output dropped" in r.stdout for r in printed)
        assert "Bad.Print" not in stats.suspended and "Bad.Title" not in stats.suspended
        # a failing title() is that event's error, and the alert still fires with the rule id as title
        titled = [r for r in by_rule["Bad.Title"] if r.matched]
        assert [r.event["n"] for r in titled] == bad_events
        assert all("title broke" in r.error and r.title == "Bad.Title" for r in titled)
        grouper = AlertGrouper.for_rules(engine.rules)
        grouper.add_all(results)
        summary = grouper.summary()
        assert summary["Bad.Loop"]["not_run"] == stats.suspended["Bad.Loop"].not_run
        assert summary["Bad.Loop"]["events"] == N_EVENTS and summary["Bad.Loop"]["errors"] == 3
        # the engine is healthy afterwards, and a new run starts with no strikes
        again = list(engine.run_events(events(600)))
        assert engine.last_run.strikes.get("Bad.Loop") == 2  # events 13 and 513 again
        assert healthy_matches(again)["Ok.Sevens"] == [n for n in expected["Ok.Sevens"] if n < 600]


def test_cancel_ends_a_run_at_an_event_boundary_with_partial_results(tmp_path):
    write(tmp_path, "Ok.Even", HEALTHY["Ok.Even"])
    write(tmp_path, "Bad.Slow", "def rule(event):\n    import time\n    time.sleep(0.01)\n    return False\n")
    stop = threading.Event()
    with RuleEngine(tmp_path, timeout=2) as engine:
        engine.run_events(events(1))  # started and loaded
        timer = threading.Timer(1.0, stop.set)
        timer.start()
        results = list(engine.run_events(events(2000), cancelled=stop.is_set))
        timer.join()
        stats = engine.last_run
        assert stats.partial and stats.cancelled
        assert 0 < stats.events < 2000
        assert len(results) == 2 * stats.events  # every event given out has both rules' results
        assert [r.event["n"] for r in results[::2]] == list(range(stats.events))
        assert healthy_matches(results)["Ok.Even"] == list(range(0, stats.events, 2))
        # and the engine goes on
        assert len(list(engine.run_events(events(10)))) == 20
