"""The schema behind the editor changed on disk while the editor holds unsaved edits: show how the file now
differs from the editor, and let the user keep their edits, take the file, or merge (keep their edits and
add the fields the file declares that they lack).

`push_screen(SchemaDiskChanged(change), callback)` dismisses with "keep" (n / Escape), "disk" (t) or
("merge", text, names) (m: only when there are fields to add). The diff is the user's schema and another
writer's (the box and its colours: diff_modal.py).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from screens.modals.diff_modal import DiffModal, diff_text, first_names
from screens.presenters.schema_disk import DiskChange, merge_disk_fields
from screens.shell import safe
from workbench.errors import WorkbenchError

Choice = str | tuple[str, str, list[str]]


class SchemaDiskChanged(DiffModal[Choice]):
    DEFAULT_CSS = "SchemaDiskChanged > Vertical { height: 85%; }"
    BINDINGS: ClassVar = [
        Binding("n,escape", "choose('keep')", "Keep my edits", id="schema_disk_keep"),
        Binding("t", "choose('disk')", "Take the file", id="schema_disk_take"),
        Binding("m", "merge", "Merge", id="schema_disk_merge"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, change: DiskChange, editor_text: str) -> None:
        super().__init__()
        self.change = change
        self.editor_text = editor_text

    def compose(self) -> ComposeResult:
        c = self.change
        with Vertical():
            yield Static(safe.join((c.path.name, "bold"), " changed on disk while you were editing it. "
                                   "From your edits (−) to the file (+):"), classes="question")
            with VerticalScroll():
                yield Static(diff_text(c.diff) if c.diff else safe.text("(the same text)", "dim"))
            if c.new_fields:
                merge = f"m: merge: keep your edits and add the file's new fields ({first_names(c.new_fields)})"
            else:
                merge = f"(no merge: {c.merge_note})"
            keys = "\n".join([merge, "n / Escape: keep your edits (Ctrl+S later shows the diff before overwriting)",
                              "t: take the file and drop your unsaved edits        ↑↓ j k scroll the diff"])
            yield Static(safe.content(keys, single_line=False), classes="keys", id="schema-disk-keys")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_scroll(self, step: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=step, animate=False)

    def action_merge(self) -> None:
        if not self.change.new_fields:
            safe.notify(self.app, f"Nothing to merge: {self.change.merge_note}.", severity="warning")
            return
        try:
            text, names = merge_disk_fields(self.editor_text, self.change.disk_text)
        except WorkbenchError as e:
            safe.notify(self.app, f"Cannot merge: {e}", severity="error")
            return
        self.dismiss(("merge", text, names))
