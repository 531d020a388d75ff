"""The Rules screen over thousands of events with a rule that loops on some of them and one that is slow:
the status shows progress, a looping rule is suspended (shown as such) while the healthy rule's counts
stay exact, and Escape stops a run, keeping its results for the events done, marked partial."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tuikit import HostileApp, settle

from screens.flow.rules import RulesScreen
from workbench.config import parse_config

LOG_TYPE = "Custom.Local"
N = 2909


def rule(rule_id: str, py: str, root) -> None:
    name = rule_id.lower().replace(".", "_")
    (root / f"{name}.py").write_text(py)
    (root / f"{name}.yml").write_text(f"AnalysisType: rule\nRuleID: {rule_id}\nEnabled: true\nFilename: {name}.py\n"
                                      f"LogTypes: [{LOG_TYPE}]\nSeverity: High\n")


def events() -> list[dict]:
    return [{"n": i, "p_log_type": LOG_TYPE, "p_row_id": f"r{i}",
             "p_event_time": f"2026-01-02 03:{i % 60:02d}:05.000000000"} for i in range(N)]


@pytest.fixture
def rules_dir(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    rule("A.Healthy", "def rule(event):\n    return event.get('n') % 31 == 0\n", d)
    rule("B.Loops", "def rule(event):\n    while event.get('n') % 400 == 7:\n        pass\n    return False\n", d)
    return d


async def open_rules(app, pilot, *, wait: bool = True) -> RulesScreen:
    app.update_session(events=events(), log_type=LOG_TYPE)
    await pilot.press("5")
    if wait:
        await settle(app, pilot)  # waits for the screen's workers: the run is over
    else:
        await pilot.pause(0.2)
    assert isinstance(app.screen, RulesScreen)
    return app.screen


async def wait_for(app, pilot, predicate, tries: int = 240) -> None:
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(0.25)
    raise AssertionError("the screen never got there")


def status(screen) -> str:
    return str(screen.query_one("#rules-status").render())


@pytest.mark.asyncio
async def test_a_looping_rule_is_suspended_and_the_healthy_counts_stay_exact(rules_dir):
    app = HostileApp(replace(parse_config("sources: {}\n"), rules_dir=rules_dir), start="sources")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_rules(app, pilot)
        await wait_for(app, pilot, lambda: screen.run_result is not None and not screen._running)
        run = screen.run_result
        assert not run.cancelled
        assert run.count("A.Healthy", "matches") == len(range(0, N, 31))
        assert run.count("A.Healthy", "errors") == 0
        assert run.count("B.Loops", "errors") == 3 and "B.Loops" in run.suspended
        assert run.suspended["B.Loops"].not_run == run.count("B.Loops", "not_run") > 0
        assert "suspended" in status(screen)
        screen.query_one("#rules-table").move_cursor(row=1)
        await settle(app, pilot)
        assert "suspended after 3 strikes" in str(screen.query_one("#rules-info").render())


@pytest.mark.asyncio
async def test_escape_cancels_a_run_and_keeps_partial_results(rules_dir):
    rule("C.Slow", "import time\n\ndef rule(event):\n    time.sleep(0.01)\n    return event.get('n') % 2 == 0\n",
         rules_dir)
    (rules_dir / "b_loops.yml").unlink()
    app = HostileApp(replace(parse_config("sources: {}\n"), rules_dir=rules_dir), start="sources")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_rules(app, pilot, wait=False)
        await wait_for(app, pilot, lambda: "of 2,909 events" in status(screen))  # progress is shown
        await pilot.press("escape")
        await wait_for(app, pilot, lambda: screen.run_result is not None and not screen._running)
        run = screen.run_result
        assert run.cancelled and 0 < run.done < N
        assert "cancelled: partial results" in status(screen)
        # true for the events done: every one of them has both rules' results, and no more
        assert run.count("A.Healthy", "events") == run.count("C.Slow", "events") == run.done
        assert run.count("A.Healthy", "matches") == len(range(0, run.done, 31))
        assert run.count("C.Slow", "matches") == len(range(0, run.done, 2))
