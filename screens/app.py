"""The workbench App: one session, one screen per step of the onboarding flow, app-wide keys and errors.

Extension points for later screens:
- add a `ScreenEntry` to `screens.shell.registry.SCREENS` (module, class, jump key) — it becomes a mode, a key,
  a palette command and a help entry;
- subclass `screens.flow.base.WorkbenchScreen`; read `self.session`, post `SessionUpdate(...)`, override
  `session_changed(names)`;
- mark unsaved work with `self.app.dirty.mark(key, "what")` / `.clear(key)`; `q` then asks before quitting;
- render every untrusted string through `screens.shell.safe`;
- run slow calls in `@work(thread=True, group=..., exclusive=True, exit_on_error=False)`: failures become a
  plain-text notification here (`on_worker_state_changed`), with the detail behind Ctrl+E.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual.actions import SkipAction
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from screens.modals.confirm import ConfirmScreen
from screens.shell import safe
from screens.shell.commands import ActionsProvider
from screens.shell.dirty import DirtyRegistry
from screens.shell.executor import DaemonThreadExecutor
from screens.shell.messages import GotoScreen, SessionUpdate
from screens.shell.registry import SCREENS, ScreenEntry
from screens.shell.session import Session
from workbench.config import Config
from workbench.errors import WorkbenchError
from workbench.wording import plural


def _make_screen(entry: ScreenEntry) -> Screen:
    return entry.load()()


class WorkbenchApp(App[int]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live elsewhere
    TITLE = "log-workbench"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    MODES: ClassVar = {e.mode: partial(_make_screen, e) for e in SCREENS}
    BINDINGS: ClassVar = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit (asks first if anything is unsaved)"),
        Binding("ctrl+q", "quit", "Quit", id="quit_now", show=False, priority=True),
        Binding("escape", "leave_input", "Leave input", id="leave_input", show=False, priority=True,
                tooltip="Leave a text box for the screen's main pane"),
        Binding("question_mark,f1", "help", "Help", id="help", tooltip="Keys and how-to for this screen"),
        Binding("ctrl+t", "change_theme", "Theme", id="theme", show=False, tooltip="Pick a colour theme"),
        Binding("ctrl+e", "show_error", "Last error", id="last_error", show=False,
                tooltip="Details of the last background error"),
        *(Binding(e.key, f"goto('{e.mode}')", e.title, id=f"goto_{e.mode}", tooltip=e.description, show=False)
          for e in SCREENS),
    ]

    def __init__(self, config: Config, source_name: str | None = None, *, start: str = "sources") -> None:
        super().__init__()
        source = None
        if config.sources:
            source = config.sources.get(source_name) if source_name else next(iter(config.sources.values()))
            if source_name and source is None:
                raise WorkbenchError(f"No source named {source_name!r} in the config (it has: {', '.join(config.sources)}).")
        self.session = Session(config=config, source=source)
        self.session_changed: Signal[set[str]] = Signal(self, "session_changed")
        self.dirty = DirtyRegistry()
        self.last_error: tuple[str, str] | None = None  # (one line, detail)
        self.tips_hidden = False  # set by "hide tips" for this run, even when no config file can remember it
        self.start_mode = start if start in self.MODES else (SCREENS[0].mode if SCREENS else None)

    # -- start-up ---------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(DaemonThreadExecutor())
        for signum in (signal.SIGTERM, signal.SIGHUP):
            try:  # the terminal closing (SIGHUP) or a kill (SIGTERM) ends the app the way `q` does
                loop.add_signal_handler(signum, self.end_by_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests' app runners)
                pass
        self._report_recovery()
        self.sub_title = safe.plain(self.session.source_name)
        if self.session.config.keymap:
            self._apply_keymap(self.session.config.keymap)
        from screens.shell.themes import remember_theme, remembered_theme

        config_path = self.session.config.path
        if self.session.config.theme:
            if self.session.config.theme in self.available_themes:
                self.theme = self.session.config.theme
            else:
                safe.notify(self, f"Unknown theme {self.session.config.theme!r} in the config; "
                            f"choose one with Ctrl+T.", severity="warning")
        elif (last := remembered_theme(config_path)) in self.available_themes:
            self.theme = last  # the theme picked last time
        self.theme_changed_signal.subscribe(self, lambda theme: remember_theme(config_path, theme.name))
        if self.start_mode:
            self.switch_mode(self.start_mode)

    def _apply_keymap(self, keymap: dict[str, str]) -> None:
        known = {b.id for b in self._all_bindings() if b.id}
        unknown = sorted(set(keymap) - known)
        if unknown:
            safe.notify(self, f"Keymap: no action named {', '.join(unknown)}; known: {', '.join(sorted(known))}.",
                        severity="warning")
        self.set_keymap({k: v for k, v in keymap.items() if k in known})

    def _all_bindings(self) -> list[Binding]:
        out = [b for b in self.BINDINGS if isinstance(b, Binding)]
        for e in SCREENS:
            try:
                out += [b for b in e.load().BINDINGS if isinstance(b, Binding)]
            except Exception:  # a broken screen module must not stop start-up
                continue
        return out

    # -- session ---------------------------------------------------------------------------------------------
    def on_session_update(self, message: SessionUpdate) -> None:
        changed = self.session.apply(message.changes)
        if "source" in changed:
            self.sub_title = safe.plain(self.session.source_name)
        if changed:
            self.session_changed.publish(changed)

    def update_session(self, **changes: Any) -> None:
        """Direct form of `SessionUpdate` for code already on the UI thread."""
        self.on_session_update(SessionUpdate(**changes))

    # -- navigation ------------------------------------------------------------------------------------------
    def action_goto(self, mode: str) -> None:
        if mode in self.MODES and self.current_mode != mode:
            self.switch_mode(mode)

    def on_goto_screen(self, message: GotoScreen) -> None:
        self.action_goto(message.mode)

    def action_change_theme(self) -> None:
        from textual.command import CommandPalette

        from screens.shell.themes import MarkedThemeProvider

        self.push_screen(CommandPalette(providers=[MarkedThemeProvider], placeholder="Theme (● is in use)…"))

    def action_leave_input(self) -> None:
        """Escape always leaves an input first; otherwise the screen's (or a modal's) own Escape runs."""
        leave = getattr(self.screen, "leave_input", None)
        if leave is None or not leave():
            raise SkipAction()

    def action_help(self) -> None:
        from screens.modals.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_show_error(self) -> None:
        if self.last_error is None:
            safe.notify(self, "No background errors so far.")
            return
        from screens.modals.detail import DetailScreen

        line, detail = self.last_error
        self.push_screen(DetailScreen("Last error", f"{line}\n\n{detail}"))

    # -- quitting --------------------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        if not self.dirty:
            self._quit_now()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._quit_now()

        self.push_screen(
            ConfirmScreen("Quit without saving?", self.dirty.descriptions()), answer
        )

    def _quit_now(self, code: int = 0) -> None:
        # thread workers cannot be interrupted: tell them to stop so the process exits promptly
        self.workers.cancel_all()
        self.exit(code, return_code=code)

    # -- ended from outside: terminal closed, SIGTERM ---------------------------------------------------------
    SIGNAL_GRACE_S = 10.0  # after this the process exits even if a cleanup hangs
    watchdog_on_signal = False  # `workbench tui` arms it (a test's app runner must not end the test process)
    watchdog: threading.Timer | None = None

    def recovery_dir(self) -> Path:
        cfg = self.session.config.path
        return (cfg.parent if cfg else Path.cwd()) / ".workbench" / "recovery"

    def end_by_signal(self, signum: int) -> None:
        """Keep unsaved edits as recovery copies, then quit like `q` (screens stop their tails, queues and
        rule workers on unmount). A watchdog ends the process if that cleanup hangs."""
        self.recovered = self.dirty.save_recovery(self.recovery_dir())
        code = 128 + int(signum)
        if self.watchdog_on_signal and self.watchdog is None:
            self.watchdog = threading.Timer(self.SIGNAL_GRACE_S, os._exit, (code,))
            self.watchdog.daemon = True
            self.watchdog.start()
        self._quit_now(code)

    def _report_recovery(self) -> None:
        folder = self.recovery_dir()
        try:
            found = sorted(folder.glob("*.txt"))
        except OSError:
            return
        if found:
            one = len(found) == 1
            safe.notify(self, f"{plural(len(found), 'unsaved edit')} from a session that was ended by a signal "
                        f"{'is' if one else 'are'} kept in {folder} (delete {'it' if one else 'them'} once restored).",
                        severity="warning", timeout=20)

    # -- background errors -----------------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_state(event)

    def report_worker_state(self, event: Worker.StateChanged) -> None:
        """Show a failed worker's error as a plain-text notification (screens forward theirs here:
        `Worker.StateChanged` does not bubble)."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, WorkbenchError):
            line, detail = str(error), error.detail or ""
        else:
            line = f"{event.worker.name or 'background task'} failed: {type(error).__name__}: {error}"
            import traceback

            detail = "".join(traceback.format_exception(error)) if error else ""
        self.last_error = (safe.plain(line, limit=1000), detail)
        safe.notify(self, line + "  (Ctrl+E for details)", severity="error", title="Error", timeout=10)
