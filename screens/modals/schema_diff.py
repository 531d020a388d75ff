"""Confirm overwriting a saved schema, showing the unified diff from the file on disk to the editor's text.

`push_screen(SchemaDiffConfirm(path, diff_lines, new_fields), callback)` dismisses with True (y), False
(n/Escape) or "add_new" (a: only when the editor has top-level fields the file lacks). The
diff scrolls (the box and its colours: diff_modal.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from screens.modals.diff_modal import DiffModal, diff_text, first_names
from screens.shell import safe

if TYPE_CHECKING:
    from pathlib import Path


class SchemaDiffConfirm(DiffModal[bool | str]):
    DEFAULT_CSS = "SchemaDiffConfirm > Vertical { height: 80%; }"
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
                keys = (f"a: add only the new fields ({first_names(self.new_fields)}) and keep the rest of the file "
                        "as it is\n" + keys)
            yield Static(safe.content(keys, single_line=False), classes="keys")

    def action_add_new(self) -> None:
        if self.new_fields:
            self.dismiss("add_new")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
