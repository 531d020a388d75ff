"""A virtualised event table on Textual's line API: it renders only the visible rows, so 100k+ events cost
nothing until they are on screen (the built-in DataTable measures every cell of every row up front).

Rows are indices into a list of event dicts; `set_events(events, columns)` shows them, `set_order(rows)`
applies a filter/sort result. Every cell is cleaned by `workbench.safetext.clean` when it is drawn and
is never parsed as markup. Moving the cursor posts `EventTable.CursorMoved`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workbench.events.filter import get_path
from workbench.safetext import clean

MIN_WIDTH = 4
MAX_WIDTH = 40
MEASURE_ROWS = 200  # column widths come from the header and this many rows, never from all of them
GAP = 2


_ZERO_FRACTION = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.0+$")
TIME_COLUMNS = ("p_event_time", "p_parse_time")
WHOLE_COLUMNS = ("p_log_type",)  # never held to the quarter cap: "Custom.Panoptica.FileAccess" cut is no use


def column_cap(table_width: int) -> int:
    """The widest a column may be: a quarter of the table (at least 12, at most MAX_WIDTH), so on a narrow
    terminal several columns stay in view instead of two wide ones."""
    return max(12, min(MAX_WIDTH, table_width // 4)) if table_width > 0 else MAX_WIDTH


def cell_text(value: Any) -> str:
    """One table cell: scalars as text, objects/arrays as compact JSON; cleaned, one line."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(value)
    else:
        try:
            text = orjson.dumps(value, default=str).decode()
        except TypeError:
            text = str(value)
    return clean(text, single_line=True, limit=400)


class EventTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    EventTable { height: 1fr; }
    EventTable > .event-table--header { text-style: bold; background: $primary 40%; }
    EventTable > .event-table--cursor-row { background: $secondary 30%; }
    EventTable > .event-table--cursor-cell { background: $secondary; text-style: bold; }
    EventTable:focus > .event-table--cursor-cell { background: $accent; }
    """
    COMPONENT_CLASSES: ClassVar = {
        "event-table--header", "event-table--cursor-row", "event-table--cursor-cell",
    }
    BINDINGS: ClassVar = [
        Binding("up", "cursor(-1, 0)", "Up", show=False),
        Binding("down", "cursor(1, 0)", "Down", show=False),
        Binding("left", "cursor(0, -1)", "Left", show=False),
        Binding("right", "cursor(0, 1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, repaint=False)
    cursor_col: reactive[int] = reactive(0, repaint=False)

    @dataclass(eq=False)
    class CursorMoved(Message):
        table: EventTable
        index: int | None
        column: str | None

        @property
        def control(self) -> EventTable:
            return self.table

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.events: list[dict] = []
        self.columns: list[str] = []
        self._headers: list[str] = []
        self.rows: list[int] = []
        self.widths: list[int] = []
        self._offsets: list[int] = []
        self._cells: LRUCache[tuple[int, int], str] = LRUCache(20_000)

    # -- data ------------------------------------------------------------------------------------------------
    def set_events(self, events: list[dict], columns: list[str], rows: list[int] | None = None) -> None:
        self.events = events
        self.columns = list(columns)
        self._headers = [clean(name, single_line=True, limit=MAX_WIDTH) for name in self.columns]
        self._cells.clear()
        self._measure()
        self.set_order(list(range(len(events))) if rows is None else rows)

    def set_order(self, rows: list[int]) -> None:
        """Show these event indices, in this order (a filter and/or sort result)."""
        self.rows = rows
        self.virtual_size = Size(self._offsets[-1] if self._offsets else 0, len(rows) + 1)
        self.cursor_row = min(self.cursor_row, max(0, len(rows) - 1))
        if self.cursor_row == 0:
            self.scroll_to(y=0, animate=False)
        else:
            self._follow()
        self.refresh()
        self._announce()

    def on_resize(self) -> None:
        if self.columns:
            self._measure()
            self.virtual_size = Size(self._offsets[-1] if self._offsets else 0, len(self.rows) + 1)
            self.refresh()

    def _measure(self) -> None:
        widths = []
        sample = self.events[:MEASURE_ROWS]
        cap = column_cap(self.scrollable_content_region.width)
        for c, header in enumerate(self._headers):
            limit = MAX_WIDTH if header in WHOLE_COLUMNS else cap
            w = cell_len(header)
            for e in sample:
                w = max(w, cell_len(self._text(e, c)))
                if w >= limit:
                    break
            widths.append(max(MIN_WIDTH, min(limit, w)))
        self.widths = widths
        self._offsets = [0]
        for w in widths:
            self._offsets.append(self._offsets[-1] + w + GAP)

    @property
    def current_index(self) -> int | None:
        return self.rows[self.cursor_row] if 0 <= self.cursor_row < len(self.rows) else None

    @property
    def current_column(self) -> str | None:
        return self.columns[self.cursor_col] if 0 <= self.cursor_col < len(self.columns) else None

    def current_event(self) -> dict | None:
        i = self.current_index
        return self.events[i] if i is not None else None

    def current_value(self) -> Any:
        event, column = self.current_event(), self.current_column
        return get_path(event, column) if event is not None and column else None

    def _cell(self, index: int, col: int) -> str:
        key = (index, col)
        text = self._cells.get(key)
        if text is None:
            text = self._text(self.events[index], col)
            self._cells[key] = text
        return text

    def _text(self, event: dict, col: int) -> str:
        name = self.columns[col]
        text = cell_text(get_path(event, name))
        if name in TIME_COLUMNS:  # whole seconds: the nine zeros say nothing in a narrow column (JSON has them)
            m = _ZERO_FRACTION.match(text)
            if m:
                return m.group(1)
        return text

    # -- rendering -------------------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("event-table--header")
            segments = [Segment(set_cell_size(name, w + GAP), style) for name, w in zip(self._headers, self.widths, strict=True)]
            return Strip(segments).crop_extend(scroll_x, scroll_x + width, style)
        pos = scroll_y + y - 1
        if pos >= len(self.rows):
            return Strip.blank(width, base)
        index = self.rows[pos]
        row_style = base
        cursor_style: Style | None = None
        if pos == self.cursor_row:
            row_style = base + self.get_component_rich_style("event-table--cursor-row")
            cursor_style = base + self.get_component_rich_style("event-table--cursor-cell")
        segments = []
        for c, w in enumerate(self.widths):
            text = set_cell_size(self._cell(index, c), w)
            style = cursor_style if cursor_style is not None and c == self.cursor_col else row_style
            segments.append(Segment(text, style))
            segments.append(Segment(" " * GAP, row_style))
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, row_style)

    # -- cursor ----------------------------------------------------------------------------------------------
    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor(self, drow: int, dcol: int) -> None:
        self.move_to(self.cursor_row + drow, self.cursor_col + dcol)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor_row + direction * self._page_rows(), self.cursor_col)

    def action_jump(self, where: int) -> None:
        self.move_to(0 if where == 0 else len(self.rows) - 1, self.cursor_col)

    def move_to(self, row: int, col: int) -> None:
        row = max(0, min(row, len(self.rows) - 1))
        col = max(0, min(col, len(self.columns) - 1))
        if (row, col) == (self.cursor_row, self.cursor_col):
            return
        self.cursor_row, self.cursor_col = row, col
        self._follow()
        self.refresh()
        self._announce()

    def _follow(self) -> None:
        """Scroll so the cursor cell is visible (the header occupies the first line)."""
        _sx, sy = self.scroll_offset
        visible = self._page_rows()
        y = sy
        if self.cursor_row < sy:
            y = self.cursor_row
        elif self.cursor_row >= sy + visible:
            y = self.cursor_row - visible + 1
        x = self.scroll_offset.x
        if self._offsets and self.cursor_col < len(self.widths):
            left, right = self._offsets[self.cursor_col], self._offsets[self.cursor_col + 1]
            width = self.scrollable_content_region.width
            if left < x:
                x = left
            elif right > x + width:
                x = right - width
        self.scroll_to(x=x, y=y, animate=False)

    def _announce(self) -> None:
        self.post_message(self.CursorMoved(self, self.current_index, self.current_column))

    def on_click(self, event: Click) -> None:
        if event.y < 1:
            return
        sx, sy = self.scroll_offset
        row = sy + event.y - 1
        x = sx + event.x
        col = next((i for i in range(len(self.widths)) if self._offsets[i] <= x < self._offsets[i + 1]), self.cursor_col)
        if row < len(self.rows):
            self.move_to(row, col)
