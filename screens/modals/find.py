"""The `/` prompt of lists that have no filter of their own: type text, Enter moves the list's cursor to the
next row containing it (again: the one after). Escape closes without moving."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from screens.shell import safe


class FindScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    FindScreen { align: center bottom; }
    FindScreen > Vertical { width: 60; max-width: 100%; height: auto; border: round $accent;
                            background: $surface; margin-bottom: 2; }
    FindScreen Static { padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar = [Binding("escape", "close", "Close", id="find_close")]

    def __init__(self, where: str, last: str = "") -> None:
        super().__init__()
        self.where, self.last = where, last

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe.content(f"Find in {self.where}: Enter goes to the next row containing the text"))
            yield Input(value=self.last, placeholder="text to find", id="find-text")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_close(self) -> None:
        self.dismiss(None)
