"""A scrollable plain-text modal for long details (error tracebacks, AWS responses). Escape closes it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.shell import safe


class DetailScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > VerticalScroll {
        width: 90%; height: 80%; border: thick $error; background: $surface; padding: 0 1;
    }
    DetailScreen .title { text-style: bold; margin-bottom: 1; }
    """
    BINDINGS: ClassVar = [Binding("escape,q", "close", "Close", id="detail_close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(safe.content(self.title_text), classes="title")
            yield Static(safe.text(self.body, single_line=False, limit=100_000))

    def action_close(self) -> None:
        self.dismiss(None)
