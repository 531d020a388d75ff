"""The Rules screen on the demo: the shipped Panoptica rules run over events parsed from a real sample, show
which rules fire with title/dedup/severity/alert context, run their unit tests, and re-run when a rule file
changes; rule errors show their traceback and what the rule printed."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from tuikit import highlight_rule, open_rules, settle

from screens.app import WorkbenchApp

SIZE = (160, 48)
pytestmark = [pytest.mark.demo, pytest.mark.asyncio]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_rules_fire_with_title_dedup_severity_and_context(demo, auth_events, rules_copy):
    app = WorkbenchApp(replace(demo.config, rules_dir=rules_copy), start="sources")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(app, pilot, auth_events)
        run = screen.run_result
        assert run is not None and run.log_types == ("Custom.Panoptica.Auth",)
        ids = {s.rule_id for s in run.specs}
        assert {"Panoptica.Auth.SuspiciousLogin", "Panoptica.Auth.RepeatedFailures"} <= ids
        table = screen.query_one("#rules-table")
        assert table.row_count == len(run.specs)
        firing = [s.rule_id for s in run.specs if run.count(s.rule_id, "matches")]
        assert firing, "the demo history has suspicious logins"
        assert "fire" in text_of(screen, "#rules-status")
        # highlight a firing rule: its matches are listed with title and dedup, the detail has the alert context
        await highlight_rule(pilot, screen, firing[0])
        results = screen.query_one("#rules-results")
        assert results.row_count == min(run.count(firing[0], "matches"), 1000)
        first = screen.results[0]
        assert first.matched and first.title
        detail = text_of(screen, "#rules-detail")
        assert "✓ match" in detail and first.title in detail and "Event" in detail
        if first.alert_context:
            assert "Alert context" in detail
        # unit tests of that rule
        await pilot.press("u")
        await settle(app, pilot)
        report = text_of(screen, "#rules-detail")
        assert "unit tests:" in report and firing[0] in report
        assert "✗" not in report.split("\n")[0]


async def test_rule_error_shows_traceback_and_output_and_reruns_on_change(demo, auth_events, rules_copy):
    app = WorkbenchApp(replace(demo.config, rules_dir=rules_copy), start="sources")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(app, pilot, auth_events)
        spec = next(s for s in screen.run_result.specs if s.rule_id == "Panoptica.Auth.RepeatedFailures")
        assert screen.run_result.count(spec.rule_id, "errors") == 0
        # the user breaks the rule in their editor: printed output and a hostile exception message
        time.sleep(0.01)
        spec.py_path.write_text(
            "def rule(event):\n"
            "    print('checking [bold]' + str(event.get('outcome')) + '[/] \\x1b]0;pwned\\x07')\n"
            "    raise ValueError('boom [@click=app.quit] \\u202e')\n"
        )
        for _ in range(20):  # the watcher notices within a second or two
            await pilot.pause(0.5)
            await settle(app, pilot)
            if screen.run_result.count(spec.rule_id, "errors"):
                break
        assert screen.run_result.count(spec.rule_id, "errors") == len(auth_events)
        await highlight_rule(pilot, screen, spec.rule_id)
        detail = text_of(screen, "#rules-detail")
        assert "✗ error" in detail and "Traceback" in detail and "ValueError" in detail
        assert "boom [@click=app.quit]" in detail  # literal, not an action
        assert "checking [bold]" in detail and "[/]" in detail  # captured output, literal
        assert "\x1b" not in detail and "\u202e" not in detail
        assert app.is_running
