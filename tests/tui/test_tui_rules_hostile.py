"""The Rules screen on fixed local events and a rules directory written by the test (no AWS): hostile titles,
dedup strings, alert context, exception messages and printed output render literally, no action runs, no
control sequence reaches the terminal; a failing unit test shows why; and an SVG snapshot in a stable state."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tuikit import HostileApp, screen_text, settle

from screens.flow.rules import RulesScreen
from workbench.config import parse_config

SIZE = (160, 48)
LOG_TYPE = "Custom.Local"
MARKUP = "[bold red]pwned[/] [@click=app.pwn]click me[/] [link=https://evil.example]x[/link] [/]"
ANSI = "\x1b[2J\x1b[31mred\x1b[0m \x1b]0;owned-title\x07 \x1b]52;c;ZXZpbA==\x07 \u202egnp.exe\u202c \x00nul"
HOSTILE = [MARKUP, ANSI, "[/]", "[@click=app.quit]", "a\u202eb", "nul\x00here", "\x9b31mC1"]
FORBIDDEN = ("\x1b", "\x9b", "\u202e", "\u202c", "\x00", "\x07")

RULE_YML = """\
AnalysisType: rule
RuleID: Local.Big.Things
DisplayName: Big things with hostile titles
Enabled: true
Filename: big_things.py
LogTypes: [Custom.Local]
Severity: High
DedupPeriodMinutes: 60
Description: Fires on size >= 100; raises on note "boom"; prints what it saw.
Tests:
  - Name: a big one matches
    ExpectedResult: true
    Log: {"size": 500, "note": "x", "tag": "t", "p_log_type": "Custom.Local"}
  - Name: a deliberately wrong expectation
    ExpectedResult: false
    Log: {"size": 500, "note": "x", "tag": "t", "p_log_type": "Custom.Local"}
"""
RULE_PY = """\
def rule(event):
    if event.get("note") == "boom":
        raise ValueError("exploded on " + event.get("tag"))
    print("saw", event.get("note"))
    return event.get("size", 0) >= 100


def title(event):
    return "Big " + event.get("note") + " from " + event.get("tag")


def dedup(event):
    return event.get("tag")


def alert_context(event):
    return {"note": event.get("note"), "tag": event.get("tag")}
"""
QUIET_YML = """\
AnalysisType: rule
RuleID: Local.Quiet
Enabled: true
Filename: quiet.py
LogTypes: [Custom.Local]
Severity: Info
"""
QUIET_PY = "def rule(event):\n    return False\n"



def events() -> list[dict]:
    out = []
    for i in range(14):
        note = "boom" if i % 5 == 4 else HOSTILE[i % len(HOSTILE)]
        out.append({"note": note, "tag": HOSTILE[(i + 2) % len(HOSTILE)], "size": 60 * i,
                    "p_log_type": LOG_TYPE, "p_row_id": f"row{i:02d}",
                    "p_event_time": f"2026-01-02 03:{i:02d}:05.000000000",
                    "p_parse_time": "2026-01-02 04:00:00.000000000"})
    return out


@pytest.fixture
def rules_dir(tmp_path):
    d = tmp_path / "rules" / "local_rules"
    d.mkdir(parents=True)
    (d / "big_things.yml").write_text(RULE_YML)
    (d / "big_things.py").write_text(RULE_PY)
    (d / "quiet.yml").write_text(QUIET_YML)
    (d / "quiet.py").write_text(QUIET_PY)
    return tmp_path / "rules"


def hostile_app(rules_dir) -> HostileApp:
    HostileApp.actions_run = []
    return HostileApp(replace(parse_config("sources: {}\n"), rules_dir=rules_dir), start="sources")



def assert_clean(app) -> str:
    text = screen_text(app)
    for bad in FORBIDDEN:
        assert bad not in text, f"{bad!r} reached the screen"
    assert app.is_running and HostileApp.actions_run == []
    return text



async def open_rules(app, pilot) -> RulesScreen:
    app.update_session(events=events(), log_type=LOG_TYPE)
    await pilot.press("5")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, RulesScreen)
    return screen


@pytest.mark.asyncio
async def test_hostile_rule_output_renders_literally(rules_dir):
    app = hostile_app(rules_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(app, pilot)
        run = screen.run_result
        assert [s.rule_id for s in run.specs] == ["Local.Big.Things", "Local.Quiet"]
        # sizes 0..780 step 60: 12 are >= 100; notes 4 and 9 raise (and never match)
        assert run.count("Local.Big.Things", "errors") == 2
        assert run.count("Local.Big.Things", "matches") == 10
        assert run.count("Local.Quiet", "matches") == 0
        status = str(screen.query_one("#rules-status").render())
        assert "1 fire" in status and "10 matches" in status and "2 errors" in status
        results = screen.query_one("#rules-results")
        assert results.row_count == 12  # errors first, then matches
        results.focus()
        for row in range(results.row_count):
            results.move_cursor(row=row)
            await pilot.pause()
            text = assert_clean(app)
            detail = str(screen.query_one("#rules-detail").render())
            result = screen.results[row]
            if result.error:
                assert "✗ error" in detail and "Traceback" in detail and "exploded on" in detail
            else:
                assert "✓ match" in detail and "Alert context" in detail and "Captured output" in detail
        assert "[@click=app.quit]" in text or "[/]" in text
        await pilot.click("#rules-results", offset=(20, 2))
        await pilot.click("#rules-detail-scroll", offset=(10, 2))
        assert_clean(app)
        # the unit tests: one passes, the deliberately wrong one fails and says why
        screen.query_one("#rules-table").focus()
        await pilot.press("u")
        await settle(app, pilot)
        report = str(screen.query_one("#rules-detail").render())
        assert "1 of 2 passed" in report
        assert "✗ a deliberately wrong expectation" in report and "expected rule() to return False" in report
        assert "local_rules/big_things.yml" in report


@pytest.mark.asyncio
async def test_fixing_a_rule_file_reruns_the_rules_and_the_shown_tests(rules_dir):
    app = hostile_app(rules_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_rules(app, pilot)
        screen.query_one("#rules-table").focus()
        await pilot.press("u")
        await settle(app, pilot)
        assert "1 of 2 passed" in str(screen.query_one("#rules-detail").render())
        # the user fixes the wrong expectation and makes big things start at 300
        yml = rules_dir / "local_rules" / "big_things.yml"
        yml.write_text(RULE_YML.replace("ExpectedResult: false", "ExpectedResult: true"))
        py = rules_dir / "local_rules" / "big_things.py"
        py.write_text(RULE_PY.replace(">= 100", ">= 300"))
        for _ in range(120):  # the watcher polls each second; a loaded machine needs longer
            await pilot.pause(0.5)
            await settle(app, pilot)
            if "2 of 2 passed" in str(screen.query_one("#rules-detail").render()):
                break
        assert "2 of 2 passed" in str(screen.query_one("#rules-detail").render())
        assert screen.run_result.count("Local.Big.Things", "matches") == 8  # sizes 300..780 but the boom at 540
        assert_clean(app)


@pytest.mark.asyncio
async def test_no_events_explains_what_to_do(rules_dir):
    app = hostile_app(rules_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("5")
        await settle(app, pilot)
        info = str(app.screen.query_one("#rules-info").render())
        assert "No parsed events yet" in info and "key 3" in info
        assert app.screen.run_result is None


def test_rules_screen_snapshot(rules_dir, snap_compare):
    app = hostile_app(rules_dir)

    async def run_before(pilot) -> None:
        screen = await open_rules(app, pilot)
        results = screen.query_one("#rules-results")
        results.focus()
        results.move_cursor(row=2)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
