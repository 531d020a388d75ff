"""Confirm overwriting a saved schema, showing the unified diff from the file on disk to the editor's text.

`push_screen(SchemaDiffConfirm(path, diff_lines), callback)` dismisses with True (y) or False (n/Escape). The
diff scrolls; added lines are green, removed lines red. The text is the user's schema, still rendered as
plain text (a schema may quote log values).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.shell import safe


def diff_text(lines: list[str]) -> Text:
    out = Text(end="")
    for line in lines:
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        out.append_text(safe.text(line, style, limit=500))
        out.append("\n")
    return out


class SchemaDiffConfirm(ModalScreen[bool]):
    DEFAULT_CSS = """
    SchemaDiffConfirm { align: center middle; }
    SchemaDiffConfirm > Vertical {
        width: 100; max-width: 95%; height: 80%; border: thick $warning; background: $surface; padding: 0 1;
    }
    SchemaDiffConfirm .question { text-style: bold; height: auto; margin-bottom: 1; }
    SchemaDiffConfirm VerticalScroll { height: 1fr; border: round $primary; }
    SchemaDiffConfirm .keys { height: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar = [
        Binding("y", "answer(True)", "Overwrite", id="schema_diff_yes"),
        Binding("n,escape", "answer(False)", "Keep the saved file", id="schema_diff_no"),
    ]

    def __init__(self, path, diff: list[str]) -> None:
        super().__init__()
        self.path = path
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe.join("Overwrite ", (str(self.path), "bold"), "? It differs from the editor:"),
                         classes="question")
            with VerticalScroll():
                yield Static(diff_text(self.diff))
            yield Static(safe.content("y: overwrite     n / Escape: keep the saved file     ↑↓ scroll the diff"),
                         classes="keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
