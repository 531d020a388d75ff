"""Pick the Live mode directly (own-queue / poll / peek), each with what it does and whether this source
allows it. Enter picks, Escape keeps the current mode."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from screens.shell import safe

MODE_HELP = {
    "own-queue": "a temporary queue of ours, subscribed to the bucket's SNS topic (removed when you leave)",
    "poll": "list new keys in the bucket's date partitions every few seconds (no queue involved)",
    "peek": "receive from the production queue and hand messages back at once (never deletes; asks first)",
}


class ModePicker(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ModePicker { align: center middle; }
    ModePicker > Vertical { width: 90; max-width: 100%; height: auto; border: round $accent; background: $surface; }
    ModePicker Static { padding: 0 1; }
    ModePicker OptionList { height: auto; max-height: 12; }
    """
    BINDINGS: ClassVar = [Binding("escape", "close", "Close", id="mode_close")]

    def __init__(self, current: str, unavailable: dict[str, str]) -> None:
        super().__init__()
        self.current, self.unavailable = current, unavailable

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe.content(f"Live mode (now: {self.current}); Enter picks, Escape keeps it"))
            options = []
            for mode, what in MODE_HELP.items():
                why_not = self.unavailable.get(mode)
                mark = "● " if mode == self.current else "  "
                label = safe.join((mark + mode, "bold"), f"  {why_not or what}")
                options.append(Option(label, id=mode, disabled=bool(why_not)))
            yield OptionList(*options, id="modes")

    def on_mount(self) -> None:
        modes = list(MODE_HELP)
        self.query_one(OptionList).highlighted = modes.index(self.current) if self.current in modes else 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
