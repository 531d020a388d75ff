"""A yes/no modal: `app.push_screen(ConfirmScreen(question, details), callback)`; `y`/Enter yes, `n`/Escape no."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.shell import safe


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 72; height: auto; max-height: 80%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen .question { text-style: bold; margin-bottom: 1; }
    ConfirmScreen .keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS: ClassVar = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm_no"),
    ]

    def __init__(self, question: str, details: list[str] | None = None) -> None:
        super().__init__()
        self.question = question
        self.details = details or []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe.content(self.question), classes="question")
            for line in self.details:
                yield Static(safe.content("• " + line))
            yield Static(safe.content("y / Enter: yes     n / Escape: no"), classes="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
