"""A modal list of Panther field types: `push_screen(FieldTypePicker(path, current), callback)`.

Dismisses with the chosen type, or None on Escape. The screen then rewrites that field's `type:` line in the
editor, so the change is an ordinary (undoable) edit that re-parses the sample like typing would.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from screens.shell import safe
from workbench.schema import TYPES


class FieldTypePicker(ModalScreen[str | None]):
    DEFAULT_CSS = """
    FieldTypePicker { align: center middle; }
    FieldTypePicker > Vertical { width: 50; height: auto; border: thick $accent; background: $surface; padding: 0 1; }
    FieldTypePicker OptionList { height: auto; max-height: 14; }
    """
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="field_type_cancel")]

    def __init__(self, path: str, current: str) -> None:
        super().__init__()
        self.path = path
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe.join(("Type of ", "bold"), (self.path, "bold cyan"), ("  (Enter picks, Escape cancels)", "dim")))
            yield OptionList(*(Option(safe.content(t), id=t) for t in TYPES), id="field-types")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in TYPES:
            options.highlighted = TYPES.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
