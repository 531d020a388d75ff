"""The TUI shell without AWS: help from the bindings, quit with the dirty registry, keymap overrides,
the command palette provider, background errors as plain-text notifications, the session signal."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual import work
from textual.command import CommandPalette
from textual.worker import WorkerFailed

from screens.app import WorkbenchApp
from screens.modals.confirm import ConfirmScreen
from screens.modals.help import HelpScreen
from screens.shell.messages import SessionUpdate
from workbench.config import load_config, parse_config
from workbench.errors import WorkbenchError

SIZE = (120, 40)
pytestmark = pytest.mark.asyncio


def empty_app(**kw) -> WorkbenchApp:
    return WorkbenchApp(parse_config("sources: {}\n"), **kw)


def visible_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query("Static"))


async def test_help_lists_bindings_and_closes():
    app = empty_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = visible_text(app)
        assert "keys and bindings" in text.lower()
        assert "Quit" in text and "Help" in text and "Sources" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_q_quits_at_once_when_nothing_is_unsaved():
    app = empty_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_q_asks_when_something_is_unsaved():
    app = empty_app()
    async with app.run_test(size=SIZE) as pilot:
        app.dirty.mark("schema:Custom.X", "schema Custom.X has unsaved edits")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Custom.X" in visible_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.is_running
        app.dirty.clear("schema:Custom.X")
        app.dirty.mark("rule:x", "rule x edited")
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0


async def test_dirty_registry_notifies_listeners():
    from screens.shell.dirty import DirtyRegistry

    seen = []
    d = DirtyRegistry()
    d.on_change(lambda reg: seen.append(len(reg)))
    d.mark("a", "A")
    d.mark("a", "A")  # unchanged: no event
    d.clear("a")
    d.clear("missing")
    assert seen == [1, 0] and not d


async def test_keymap_from_config_rebinds_actions(tmp_path: Path):
    cfg = tmp_path / "wb.yaml"
    cfg.write_text("sources: {}\nkeymap:\n  help: h\n  no_such_action: z\n")
    app = WorkbenchApp(load_config(cfg))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert any("no_such_action" in n.message for n in app._notifications)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_palette_offers_every_bound_action():
    from screens.shell.commands import ActionsProvider

    app = empty_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        provider = ActionsProvider(app.screen)
        names = [name for name, _help, _cb in provider._commands()]
        assert {"Quit", "Help", "Sources", "Theme"} <= set(names)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_theme_from_config_and_unknown_theme_warns():
    app = WorkbenchApp(parse_config("sources: {}\ntheme: nord\n"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
    app = WorkbenchApp(parse_config("sources: {}\ntheme: nope\n"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert any("nope" in n.message for n in app._notifications)


class _Boom(WorkbenchApp):
    pwned = False

    def action_pwn(self) -> None:
        type(self).pwned = True

    @work(thread=True, group="test", exclusive=True, exit_on_error=False, name="boom")
    def fail(self, exc: BaseException) -> None:
        raise exc


@pytest.mark.parametrize("exc", [
    WorkbenchError("Access denied reading s3://b/[/][@click=app.pwn]x[/]: grant s3:GetObject."),
    ValueError("[bold]not markup[/] \x1b]0;title\x07"),
])
async def test_worker_errors_become_plain_notifications(exc):
    app = _Boom(parse_config("sources: {}\n"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        worker = app.fail(exc)
        with pytest.raises(WorkerFailed):
            await worker.wait()
        await pilot.pause()
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any("[/]" in m or "[bold]" in m for m in messages)
        assert all("\x1b" not in m for m in messages)
        assert app.last_error is not None
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert type(app.screen).__name__ == "DetailScreen"
    assert not _Boom.pwned


async def test_session_updates_publish_changed_fields():
    app = empty_app()
    seen: list[set[str]] = []
    async with app.run_test(size=SIZE) as pilot:
        app.session_changed.subscribe(app.screen, seen.append)
        app.post_message(SessionUpdate(prefix="Panoptica/"))
        await pilot.pause()
        await pilot.pause()
        assert app.session.prefix == "Panoptica/"
        assert {"prefix"} in seen
        with pytest.raises(AttributeError):
            app.session.apply({"no_such_field": 1})


async def test_unknown_source_is_one_sentence():
    with pytest.raises(WorkbenchError, match="No source named"):
        WorkbenchApp(parse_config("sources:\n  a:\n    bucket: b\n"), "zzz")


async def test_screens_switch_by_number_keys():
    app = empty_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        assert app.current_mode == "browse"
        await pilot.press("4")
        await pilot.pause()
        assert app.current_mode == "events"
        await pilot.press("1")
        await pilot.pause()
        assert app.current_mode == "sources"
        assert "No sources configured" in visible_text(app)


async def test_tui_command_reports_a_bad_config_in_one_line(tmp_path: Path, capsys):
    from workbench.cli import main

    assert main(["tui", "--config", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Config file") and len(err.strip().splitlines()) == 1


async def test_core_cli_does_not_import_textual_until_launch():
    import subprocess
    import sys

    code = ("import sys, workbench.cli, workbench.cli.tui; workbench.cli.build_parser(); "
            "print(any(m.split('.')[0] in ('textual', 'screens', 'boto3') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


async def test_typing_in_an_input_does_not_trigger_screen_keys():
    app = empty_app(start="events")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", "q", "1", "question_mark")
        await pilot.pause()
        assert app.is_running and app.current_mode == "events"
        assert app.screen.query_one("#filter").value == "q1?"


class _Stuck(WorkbenchApp):
    release = threading.Event()
    thread: threading.Thread | None = None

    @work(thread=True, group="stuck", exclusive=True, exit_on_error=False)
    def block(self) -> None:
        type(self).thread = threading.current_thread()
        self.release.wait()  # a blocking call that ignores cancellation (a slow AWS request)


async def test_quit_does_not_wait_for_a_blocked_worker():
    app = _Stuck(parse_config("sources: {}\n"))
    try:
        async with app.run_test(size=SIZE) as pilot:
            app.block()
            await pilot.pause()
            await pilot.press("q")
            await pilot.pause()
        assert app.return_code == 0
        assert _Stuck.thread is not None and _Stuck.thread.daemon and _Stuck.thread.is_alive()
    finally:
        _Stuck.release.set()
