"""Confirm overwriting a saved schema, showing the unified diff from the file on disk to the editor's text.

`push_screen(SchemaDiffConfirm(path, diff_lines, new_fields), callback)` dismisses with True (y), False
(n/Escape) or "add_new" (a: only when the editor has top-level fields the file lacks). The
diff scrolls; added lines are green, removed lines red. The text is the user's schema, still rendered as
plain text (a schema may quote log values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.shell import safe

if TYPE_CHECKING:
    from pathlib import Path


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


class SchemaDiffConfirm(ModalScreen[bool | str]):
    DEFAULT_CSS = """
    SchemaDiffConfirm { align: center middle; }
    SchemaDiffConfirm > Vertical {
        width: 100; max-width: 95%; height: 80%; border: thick $warning; background: $surface; padding: 0 1;
    }
    SchemaDiffConfirm .question { text-style: bold; height: auto; margin-bottom: 1; }
    SchemaDiffConfirm VerticalScroll { height: 1fr; border: round $primary; }
    SchemaDiffConfirm .keys { height: auto; color: $text-muted; }
    """
    BINDINGS: ClassVar = [
        Binding("y", "answer(True)", "Overwrite", id="schema_diff_yes"),
        Binding("n,escape", "answer(False)", "Keep the saved file", id="schema_diff_no"),
        Binding("a", "add_new", "Add the new fields only", id="schema_diff_add_new"),
    ]

    def __init__(self, path: Path, diff: list[str], new_fields: list[str] | None = None) -> None:
        super().__init__()
        self.path = path
        self.diff = diff
        self.new_fields = new_fields or []  # fields the editor has and the file lacks: `a` adds just those

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe.join("Overwrite ", (str(self.path), "bold"), "? It differs from the editor:"),
                         classes="question")
            with VerticalScroll():
                yield Static(diff_text(self.diff))
            keys = "y: overwrite     n / Escape: keep the saved file     ↑↓ scroll the diff"
            if self.new_fields:
                shown = ", ".join(self.new_fields[:6]) + (" …" if len(self.new_fields) > 6 else "")
                keys = f"a: add only the new fields ({shown}) and keep the rest of the file as it is\n" + keys
            yield Static(safe.content(keys, single_line=False), classes="keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_add_new(self) -> None:
        if self.new_fields:
            self.dismiss("add_new")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
