"""The live event stream: a line-API view over at most `max_lines` prepared lines, drawing only the rows on
screen (a tail can run through a million events; there is never a widget per event, and no per-line
render up front as `RichLog` does).

Each line is `(text, kind)`; the text is already cleaned (`screens.shell.safe.plain`) and is drawn as a plain
`Segment`, never parsed as markup. `kind` picks the highlight: an alert, an event some rule matched, a parse
error, or a plain event. While `follow` is on, new lines scroll the view to the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
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
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "First", show=False),
        Binding("end", "scroll_end", "Last", show=False),
    ]

    def __init__(self, max_lines: int = 10_000, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_lines = max(10, max_lines)
        self.follow = True
        self._lines: list[tuple[str, str]] = []
        self._width = 0

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def lines(self) -> list[tuple[str, str]]:
        """A copy of the lines (for tests and copying)."""
        return list(self._lines)

    def set_lines(self, lines: Iterable[tuple[str, str]]) -> None:
        self._lines = []
        self._width = 0
        self.append(lines)

    def append(self, lines: Iterable[tuple[str, str]]) -> None:
        new = [(text[:MAX_WIDTH], kind) for text, kind in lines]
        if not new and self._lines:
            return
        self._lines += new
        excess = len(self._lines) - self.max_lines
        if excess > 0:
            del self._lines[:excess]
        for text, _ in new:
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
        text, kind = self._lines[index]
        visible = text[scroll_x:scroll_x + width]
        style = self.rich_style + STYLES.get(kind, STYLES["event"])
        return Strip([Segment(set_cell_size(visible, width), style)], width)
