"""What the two schema-diff questions share: a centred warning box with the question, the scrolling diff
(added lines green, removed red) and the keys; the diff has the focus so the arrows scroll it. The diff is a
user's schema, still rendered as plain text (a schema may quote log values).

A subclass composes `Vertical(Static.question, VerticalScroll(Static(diff_text(...))), Static.keys)` and sets
its box's height.
"""

from __future__ import annotations

from typing import TypeVar

from rich.text import Text
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from screens.shell import safe

ResultT = TypeVar("ResultT")


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


def first_names(names: list[str]) -> str:
    """The first six field names, for a key's label."""
    return ", ".join(names[:6]) + (" …" if len(names) > 6 else "")


class DiffModal(ModalScreen[ResultT]):
    DEFAULT_CSS = """
    DiffModal { align: center middle; }
    DiffModal > Vertical {
        width: 100; max-width: 95%; border: thick $warning; background: $surface; padding: 0 1;
    }
    DiffModal .question { text-style: bold; height: auto; margin-bottom: 1; }
    DiffModal VerticalScroll { height: 1fr; border: round $primary; }
    DiffModal .keys { height: auto; color: $text-muted; }
    """

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
