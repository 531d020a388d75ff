"""Rules screen: Enter on a match or error opens it in full, pages through the rule's other results, and
jumps to the event on the Events screen or to the rule's file; rule files added, edited or removed on disk
are noticed, reloaded and re-run, and the status line says which."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest
from tuikit import highlight_rule, open_rules, settle

from screens.app import WorkbenchApp
from screens.flow.events import EventsScreen
from screens.modals.detail_pages import PagedDetailScreen

SIZE = (160, 48)
pytestmark = [pytest.mark.demo, pytest.mark.asyncio]


async def open_result(pilot, screen, rule_id: str) -> None:
    """Highlight the rule, move to its results (]) and open the first in full (Enter)."""
    await highlight_rule(pilot, screen, rule_id)
    await pilot.press("right_square_bracket", "enter")
    await pilot.pause()


def body(screen) -> str:
    return str(screen.query_one("#detail-body").render())


async def wait_for(app, pilot, condition, tries: int = 30) -> None:
    for _ in range(tries):
        await pilot.pause(0.3)
        await settle(app, pilot)
        if condition():
            return


async def test_enter_on_a_match_pages_through_the_rules_results_and_jumps_to_the_event(demo, auth_events, rules_copy):
    app = WorkbenchApp(replace(demo.config, rules_dir=rules_copy), start="sources")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(app, pilot, auth_events)
        run = screen.run_result
        firing = max(run.specs, key=lambda s: run.count(s.rule_id, "matches"))
        assert run.count(firing.rule_id, "matches") >= 2, "the demo sample has several matches of one rule"
        await open_result(pilot, screen, firing.rule_id)
        modal = app.screen
        assert isinstance(modal, PagedDetailScreen)
        total = len(screen.results)
        title = str(modal.query_one("#detail-title").render())
        assert firing.rule_id in title and f"1 of {total:,}" in title
        assert "✓ match" in body(modal) and screen.results[0].title in body(modal)
        assert screen.results[0].event["p_row_id"] in body(modal)  # the event the rule saw, in full
        keys = str(modal.query_one("#detail-keys").render())
        assert "n/p" in keys and "Events screen" in keys and firing.py_path.name in keys
        await pilot.press("n")
        assert modal.index == 1 and f"2 of {total:,}" in str(modal.query_one("#detail-title").render())
        assert screen.results[1].event["p_row_id"] in body(modal)
        await pilot.press("p", "p")  # not before the first
        assert modal.index == 0
        await pilot.press("n", "escape")
        await pilot.pause()
        assert app.screen is screen
        assert screen.query_one("#rules-results").cursor_row == 1  # the list followed the paging
        # Enter again, then Enter: the event on the Events screen, found by its row id
        await pilot.press("enter")
        await pilot.pause()
        wanted = screen.results[1].event["p_row_id"]
        await pilot.press("enter")
        await pilot.pause(0.6)
        await settle(app, pilot)
        events = app.screen
        assert isinstance(events, EventsScreen)
        assert events.query_one("#filter").value == f'p_row_id = "{wanted}"'
        await wait_for(app, pilot, lambda: "1 / " in str(events.query_one("#events-count").render()))
        assert str(events.query_one("#events-count").render()).startswith("● filtered 1 / ")
        assert events.query_one("EventTable").current_event()["p_row_id"] == wanted


async def test_o_in_the_result_detail_opens_the_rule_file(demo, auth_events, rules_copy, monkeypatch):
    app = WorkbenchApp(replace(demo.config, rules_dir=rules_copy), start="sources")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_rules(app, pilot, auth_events)
        run = screen.run_result
        firing = next(s for s in run.specs if run.count(s.rule_id, "matches"))
        await open_result(pilot, screen, firing.rule_id)
        assert isinstance(app.screen, PagedDetailScreen)
        await pilot.press("o")
        await pilot.pause()
        assert app.screen is screen
        # a headless test terminal cannot be handed to an editor: the screen names the file instead
        assert any(str(firing.py_path) in n.message for n in app._notifications)


def status(screen) -> str:
    return str(screen.query_one("#rules-status").render())


async def test_rule_files_added_and_removed_on_disk_are_reloaded_and_rerun(demo, auth_events, rules_copy):
    app = WorkbenchApp(replace(demo.config, rules_dir=rules_copy), start="sources")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(app, pilot, auth_events)
        ids = {s.rule_id for s in screen.run_result.specs}
        assert "Panoptica.Auth.SuspiciousLogin" in ids and "Tui.Added" not in ids
        gone = next(rules_copy.rglob("panoptica_auth_suspicious_login.yml"))
        gone.unlink()
        gone.with_suffix(".py").unlink()
        (rules_copy / "tui_added.py").write_text("def rule(event):\n    return True\n")
        (rules_copy / "tui_added.yml").write_text(
            "AnalysisType: rule\nRuleID: Tui.Added\nEnabled: true\nFilename: tui_added.py\n"
            "LogTypes: [Custom.Panoptica.Auth]\nSeverity: Low\n")
        await wait_for(app, pilot, lambda: "Tui.Added" in {s.rule_id for s in screen.run_result.specs})
        ids = {s.rule_id for s in screen.run_result.specs}
        assert "Tui.Added" in ids and "Panoptica.Auth.SuspiciousLogin" not in ids
        assert screen.run_result.count("Tui.Added", "matches") == len(auth_events)
        line = status(screen)
        assert "rule files reloaded and re-run" in line
        assert "added tui_added.yml" in line and "removed " in line and "panoptica_auth_suspicious_login" in line
        assert screen.query_one("#rules-table").get_row("Tui.Added")  # listed


async def test_a_rule_edited_while_another_screen_shows_is_rerun_on_return_and_said_so(demo, auth_events, rules_copy):
    app = WorkbenchApp(replace(demo.config, rules_dir=rules_copy), start="sources")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(app, pilot, auth_events)
        spec = next(s for s in screen.run_result.specs if s.rule_id == "Panoptica.Auth.RepeatedFailures")
        await pilot.press("1")
        await settle(app, pilot)
        time.sleep(0.01)
        spec.py_path.write_text("def rule(event):\n    return True\n")
        st = spec.py_path.stat()  # coarse file-system clocks: make the edit visible
        os.utime(spec.py_path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
        await wait_for(app, pilot, lambda: screen._changed_note is not None, tries=15)
        assert screen._changed_note and "edited" in screen._changed_note  # noticed while away, not yet re-run
        await pilot.press("5")
        await wait_for(app, pilot, lambda: screen.run_result.count(spec.rule_id, "matches") == len(auth_events))
        assert screen.run_result.count(spec.rule_id, "matches") == len(auth_events)
        assert "rule files reloaded and re-run (edited " in status(screen)
