"""The base class of every workbench screen: header, body, footer, and the session subscription.

A screen subclasses `WorkbenchScreen`, implements `compose_body()`, and overrides `session_changed(names)` to
refresh when the App's session changes. It reads `self.session` and posts `SessionUpdate(...)` to change it.
`HELP` is plain text shown at the top of the help screen (`?`): say what the screen is for and the flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker

if TYPE_CHECKING:
    from screens.shell.session import Session


class WorkbenchScreen(Screen):
    HELP: ClassVar[str] = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.app.session_changed.subscribe(self, self._session_signal)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: hand failures to the App, which notifies in plain text
        self.app.report_worker_state(event)

    def _session_signal(self, names: set[str]) -> None:
        self.session_changed(names)

    def session_changed(self, names: set[str]) -> None:
        """Called (on the UI thread) after the session fields in `names` changed."""

    @property
    def session(self) -> Session:
        return self.app.session

    def palette_commands(self) -> Iterable[tuple[str, str, object]]:
        """Extra command-palette entries (title, help, callback) beyond this screen's bindings."""
        return ()
