"""The base class of every workbench screen: header, body, footer, and the session subscription.

A screen subclasses `WorkbenchScreen`, implements `compose_body()`, and overrides `session_changed(names)` to
refresh when the App's session changes. It reads `self.session` and posts `SessionUpdate(...)` to change it.
`HELP` is plain text shown at the top of the help screen (`?`): say what the screen is for and the flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Mount, ScreenResume
from textual.widgets import Footer, Header, Static
from textual.worker import Worker

from screens.flow.navigation import FocusModel

if TYPE_CHECKING:
    from textual import getters

    from screens.app import WorkbenchApp
    from screens.shell.session import Session


class WorkbenchScreen(FocusModel):
    HELP: ClassVar[str] = ""
    HINT: ClassVar[str] = ""  # one line for first-time users, above the screen, until tips are hidden for good
    BINDINGS: ClassVar = [
        *FocusModel.FOCUS_BINDINGS,
        Binding("H", "hide_tips", "Hide tips", id="hide_tips", show=False, tooltip="Hide the tip lines for good"),
    ]

    if TYPE_CHECKING:
        # every workbench screen runs inside the WorkbenchApp: type `self.app` as such for the checker only
        # (at run time Textual's own `app` property stays, without the import cycle or the isinstance check)
        app = getters.app(WorkbenchApp)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="screen-hint", classes="hint")
        yield Static(id="screen-next", classes="next-line -off")
        yield from self.compose_body()
        yield Footer(show_command_palette=False)  # short, never cut: the screen's main keys and ? (Ctrl+P works)

    def compose_body(self) -> ComposeResult:
        return iter(())

    def _on_mount(self, event: Mount) -> None:
        # private on purpose: Textual calls every class's `on_mount` along the MRO by itself, so a subclass's
        # `on_mount` must not call `super().on_mount()` — here that would subscribe (and refresh) twice
        self.app.session_changed.subscribe(self, self._session_signal)
        self._show_hint()
        self.call_after_refresh(self.show_next)  # after the subclass's own mount handler set its state up

    def _show_hint(self) -> None:
        from screens.shell import safe
        from screens.shell.ui_state import load_state

        hint = self.query_one("#screen-hint", Static)
        hidden = self.app.tips_hidden or load_state(self.app.session.config.path).get("tips_hidden")
        shown = bool(self.HINT) and not hidden
        hint.set_class(not shown, "-off")
        if shown:
            hint.update(safe.join(("Tip ", "bold"), self.HINT, ("  H hides tips for good", "dim")))

    def action_hide_tips(self) -> None:
        from screens.shell.ui_state import save_state

        save_state(self.app.session.config.path, tips_hidden=True)
        self.app.tips_hidden = True  # without a config file nothing is saved: hide them for this run at least
        self.query_one("#screen-hint").add_class("-off")

    def _on_screen_resume(self, event: ScreenResume) -> None:
        self._show_hint()  # other screens follow a "hide tips" given elsewhere
        self.show_next()

    def next_step(self) -> str:
        """What the user should do next on this screen, given its state: one short line ("" for none).
        Screens build it with `screens.presenters.next_steps` and call `show_next()` when their state moves."""
        return ""

    def show_next(self) -> None:
        from screens.shell import safe

        if not self.is_mounted:
            return
        step = self.next_step()
        if step == getattr(self, "_next_shown", None):
            return  # called on every tick by some screens: redraw only a changed line
        self._next_shown = step
        line = self.query_one("#screen-next", Static)
        line.set_class(not step, "-off")
        if step:
            line.update(safe.join(("Next: ", "bold"), step))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: hand failures to the App, which notifies in plain text
        self.app.report_worker_state(event)

    def _session_signal(self, names: set[str]) -> None:
        self.session_changed(names)
        self.show_next()

    def session_changed(self, names: set[str]) -> None:
        """Called (on the UI thread) after the session fields in `names` changed."""

    @property
    def session(self) -> Session:
        return self.app.session

    def palette_commands(self) -> Iterable[tuple[str, str, object]]:
        """Extra command-palette entries (title, help, callback) beyond this screen's bindings."""
        return ()
