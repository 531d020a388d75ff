"""Hostile data on every screen: markup, action links, ANSI CSI/OSC, bidi overrides and NULs in values, keys
and error messages display literally (escaped or stripped), never run an action, never reach the terminal
as control sequences, and never crash the app."""

from __future__ import annotations

import contextlib

import pytest
from textual.widgets import Tree
from textual.worker import WorkerFailed
from tuikit import HostileApp, screen_text

from screens.shell import safe
from screens.widgets.checklist import Checklist
from screens.widgets.event_table import EventTable
from workbench.config import parse_config
from workbench.source.checks import CHECKS, CheckResult

pytestmark = pytest.mark.asyncio
SIZE = (160, 48)

MARKUP = "[bold red]pwned[/] [@click=app.pwn]click me[/] [link=https://evil.example]x[/link] [/] [bold]"
ANSI = "\x1b[2J\x1b[31mred\x1b[0m \x1b]0;owned-title\x07 \x1b]52;c;ZXZpbA==\x07 \u202egnp.exe\u202c \x00nul"
HOSTILE = [MARKUP, ANSI, "[/]", "[@click=app.quit]", "a\u202eb", "nul\x00here", "\x9b31mC1", "[b]" * 50]
FORBIDDEN = ("\x1b", "\x9b", "\u202e", "\u202c", "\x00", "\x07")




def assert_clean(app) -> None:
    text = screen_text(app)
    for bad in FORBIDDEN:
        assert bad not in text, f"{bad!r} reached the screen"
    assert app.is_running and HostileApp.actions_run == []


@pytest.mark.parametrize("value", HOSTILE)
async def test_safe_helpers_keep_text_literal(value):
    for rendered in (safe.text(value).plain, safe.cell(value).plain, safe.content(value).plain,
                     safe.join(value, (value, "bold")).plain, safe.template("[b]$v[/b]", v=value).plain):
        assert not any(bad in rendered for bad in FORBIDDEN)
        if "[/]" in value:
            assert "[/]" in rendered  # markup shows literally, nothing is eaten
    assert "␀" in safe.plain("a\x00b")


def hostile_events() -> list[dict]:
    events = []
    for i, v in enumerate(HOSTILE):
        events.append({"p_event_time": f"2024-05-01T00:00:0{i % 10}Z", "p_log_type": v, "msg": v,
                       v: "value under a hostile key", "nested": {"deep": v, "list": [v, v]},
                       "p_any_ip_addresses": [v], "big": 2**70 + i, "ratio": float("nan")})
    return events


async def test_events_table_and_detail_render_hostile_values_literally():
    HostileApp.actions_run = []
    app = HostileApp(parse_config("sources: {}\n"), start="events")
    async with app.run_test(size=SIZE) as pilot:
        app.update_session(events=hostile_events())
        await pilot.pause()
        await pilot.pause()
        table = app.screen.query_one(EventTable)
        assert len(table.rows) == len(HOSTILE)
        for _ in HOSTILE:
            await pilot.press("down", "right")
            await pilot.pause()
            assert_clean(app)
        table.move_to(0, 0)
        await pilot.pause()
        text = screen_text(app)
        assert "[@click=app.pwn]" in text
        assert "[bold red]pwned[/]" in text
        # clicking where an injected [@click=…] would be runs nothing
        await pilot.click(EventTable, offset=(60, 2))
        await pilot.click("#json-body", offset=(10, 3))
        await pilot.pause()
        # filtering on a hostile needle is just text
        await pilot.press("slash", *"[/]", "enter")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.rows
        assert_clean(app)


async def test_checklist_sources_and_notifications_with_hostile_text():
    HostileApp.actions_run = []
    app = HostileApp(parse_config("sources:\n  '[/]x':\n    bucket: 'b[/]'\n    endpoint: http://127.0.0.1:9\n"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for _ in range(3):
            with contextlib.suppress(WorkerFailed):
                await app.workers.wait_for_complete()
            await pilot.pause()
        assert app.last_error is not None and "b[/]" in app.last_error[0]
        assert_clean(app)  # the real (failing) checks and AWS errors naming the hostile bucket
        checklist = app.screen.query_one(Checklist)
        checklist.reset(running=False)
        for (name, _check, _fix), v in zip(CHECKS, HOSTILE, strict=True):
            checklist.add(CheckResult(name, False, v, v))
        safe.notify(app, MARKUP + ANSI, severity="error")
        await pilot.pause()
        assert_clean(app)
        assert "[@click=app.pwn]" in str(checklist.render())


@pytest.mark.demo
async def test_demo_hostile_objects_on_browse_and_events(demo):
    """The demo's hostile objects (markup/ANSI values, a 1.5 MB line, invalid UTF-8, zstd behind .gz, empty)."""
    from test_tui_screens import AUTH_SCHEMA

    from workbench.schema import load_schema
    from workbench.source.formats import detect_groups
    from workbench.source.s3 import list_objects
    from workbench.source.sampling import sample

    hostile = [r.key for r in list_objects(demo.aws, demo.source, prefix="Panoptica/auth/") if "/hostile-" in r.key]
    assert len(hostile) >= 4
    folder = hostile[0].rsplit("/", 1)[0] + "/"
    result = sample(demo.aws, demo.source, prefix=folder, limit=100)
    assert any(r.key.endswith("hostile-markup-ansi.json.gz") for r in result.records)

    HostileApp.actions_run = []
    app = HostileApp(demo.config, start="events")
    async with app.run_test(size=SIZE) as pilot:
        app.workers.cancel_all()
        app.update_session(sample=result, detections=detect_groups(result, source=demo.source), prefix=folder,
                           schema=load_schema(AUTH_SCHEMA))
        await pilot.press("p")
        for _ in range(4):
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert app.session.events
        table = app.screen.query_one(EventTable)
        markup_rows = [i for i, e in enumerate(app.session.events) if "[/]" in str(e)]
        assert markup_rows
        table.move_to(table.rows.index(markup_rows[0]), 0)
        for _ in range(len(table.columns)):
            await pilot.press("right")
        await pilot.pause()
        assert_clean(app)
        assert "[@click=app.quit]" in screen_text(app)
        # Browse shows the same records, raw, in the group tree and the record pane
        await pilot.press("2")
        for _ in range(3):
            await pilot.pause()
        app.workers.cancel_all()
        groups = app.screen.query_one("#group-tree", Tree)
        groups.focus()
        for node in groups.root.children:
            node.expand()
        await pilot.pause()
        for _ in range(40):
            await pilot.press("down")
            assert_clean(app)
        await pilot.press("1")
        await pilot.pause()
        assert_clean(app)
