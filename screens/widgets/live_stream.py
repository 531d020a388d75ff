"""The live event stream: a line-API view over at most `max_lines` prepared lines, drawing only the rows on
screen (a tail can run through a million events; there is never a widget per event, and no per-line
render up front as `RichLog` does).

Each line is `(text, kind)` or `(text, kind, payload)`; the text is already cleaned (`screens.shell.safe.plain`)
and is drawn as a plain `Segment`, never parsed as markup. `kind` picks the highlight: an alert, an event some
rule matched, a parse error, or a plain event. While `follow` is on, new lines scroll the view to the end.
Up/Down move a line cursor (it stays on its line while new lines arrive); Enter posts `Chosen` with the
line's payload.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

MAX_WIDTH = 1000  # columns kept per line; the rest of a huge event is cut (the CLI prints it whole)

STYLES = {
    "alert": Style(color="#ffffff", bgcolor="#8b0000", bold=True),
    "hit": Style(color="#ffd75f", bold=True),
    "parse_error": Style(color="#ff8787", italic=True),
    "event": Style(),
    "note": Style(dim=True),
}


class LiveStream(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LiveStream { height: 1fr; border: round $primary; }
    LiveStream:focus { border: round $accent; }
    """
    BINDINGS: ClassVar = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "choose", "Details", show=False),
    ]

    @dataclass(eq=False)
    class Chosen(Message):
        """Enter on a line: its payload (what the screen attached to it) and text."""

        payload: Any
        text: str

    def __init__(self, max_lines: int = 10_000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_lines = max(10, max_lines)
        self.follow = True
        self._lines: list[tuple] = []
        self.cursor = -1  # the highlighted line; -1: none yet (the first Up/Down picks the last line)
        self._width = 0

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def lines(self) -> list[tuple[str, str]]:
        """A copy of the lines' (text, kind) (for tests and copying)."""
        return [line[:2] for line in self._lines]

    def set_lines(self, lines: Iterable[tuple]) -> None:
        self._lines = []
        self._width = 0
        self.cursor = -1
        self.append(lines)

    def append(self, lines: Iterable[tuple]) -> None:
        new = [(line[0][:MAX_WIDTH], *line[1:]) for line in lines]
        if not new and self._lines:
            return
        self._lines += new
        excess = len(self._lines) - self.max_lines
        if excess > 0:
            del self._lines[:excess]
            if self.cursor >= 0:
                self.cursor = max(0, self.cursor - excess)
        for text, *_ in new:
            if len(text) > self._width:
                self._width = len(text)
        self.virtual_size = Size(self._width, len(self._lines))
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        text, kind = self._lines[index][:2]
        visible = text[scroll_x:scroll_x + width]
        style = self.rich_style + STYLES.get(kind, STYLES["event"])
        if index == self.cursor:
            style += Style(reverse=True)
        return Strip([Segment(set_cell_size(visible, width), style)], width)

    # -- the line cursor -------------------------------------------------------------------------------------
    def move_cursor(self, line: int) -> None:
        if not self._lines:
            return
        self.cursor = max(0, min(len(self._lines) - 1, line))
        self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, immediate=True, force=True)
        self.refresh()

    def action_cursor_up(self) -> None:
        self.move_cursor(len(self._lines) - 1 if self.cursor < 0 else self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(len(self._lines) - 1 if self.cursor < 0 else self.cursor + 1)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._lines) - 1)

    def action_choose(self) -> None:
        if 0 <= self.cursor < len(self._lines):
            line = self._lines[self.cursor]
            self.post_message(self.Chosen(line[2] if len(line) > 2 else None, line[0]))
