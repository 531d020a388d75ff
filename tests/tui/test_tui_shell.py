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


async def test_every_screen_subscribes_to_the_session_once():
    """Textual runs each class's on_mount along the MRO itself: a screen calling super().on_mount() would
    subscribe twice and handle every session change twice (Live would start its tail twice)."""
    from screens.shell.registry import SCREENS

    app = empty_app()
    calls: dict[str, int] = {}
    async with app.run_test(size=SIZE) as pilot:
        for entry in SCREENS:
            app.switch_mode(entry.mode)
            await pilot.pause()
            screen = app.screen
            assert len(app.session_changed._subscriptions.get(screen, [])) == 1, entry.mode
            original = screen.session_changed

            def counting(names, mode=entry.mode, original=original):
                calls[mode] = calls.get(mode, 0) + 1
                return original(names)

            screen.session_changed = counting
        app.update_session(prefix="AWSLogs/")
        await pilot.pause()
        await pilot.pause()
    assert calls == {e.mode: 1 for e in SCREENS}


async def test_palette_lists_every_screen_action_once_and_runs_it_there():
    from screens.shell.commands import ActionsProvider
    from screens.shell.registry import SCREENS

    app = empty_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        commands = list(ActionsProvider(app.screen)._commands())
        names = [name for name, _help, _cb in commands]
        assert len(names) == len(set(names))  # no duplicates
        for entry in SCREENS:
            for b in entry.load().BINDINGS:
                if b.description and b.id and b.id not in ("find", "side_panel", "leave_input"):
                    mine = entry.mode == app.current_mode
                    assert (b.description if mine else f"{entry.title}: {b.description}") in names, b.id
        assert not any(n.startswith("Move ") or n in ("Cursor up", "Select") for n in names)  # no widget keys
        callback = dict((n, cb) for n, _h, cb in commands)["Events: Log type"]
        callback()
        await pilot.pause()
        await pilot.pause()
        assert app.current_mode == "events"


async def test_theme_picker_marks_the_current_theme_and_the_choice_is_remembered(tmp_path):
    from screens.shell.themes import MarkedThemeProvider

    config_file = tmp_path / "workbench.yaml"
    config_file.write_text("sources: {}\n")
    app = WorkbenchApp(load_config(config_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.theme = "nord"
        await pilot.pause()
        first = MarkedThemeProvider(app.screen)._themes()[0]
        assert first == ("● nord", "nord")
    assert (tmp_path / "ui-state.json").exists()
    again = WorkbenchApp(load_config(config_file))
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "nord"


async def test_first_run_tips_show_until_hidden_for_good(tmp_path):
    config_file = tmp_path / "workbench.yaml"
    config_file.write_text("sources: {}\n")
    app = WorkbenchApp(load_config(config_file))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        hint = app.screen.query_one("#screen-hint")
        assert hint.display and "Pick a source" in str(hint.render())
        await pilot.press("H")
        await pilot.pause()
        assert not hint.display
        await pilot.press("4")  # another screen follows
        await pilot.pause()
        assert not app.screen.query_one("#screen-hint").display
    again = WorkbenchApp(load_config(config_file))
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not again.screen.query_one("#screen-hint").display  # remembered
