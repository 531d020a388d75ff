"""A DataTable whose one long column (a rule id, a title) gives way so the short columns after it stay whole.

DataTable sizes every column to its widest cell, so in a narrow pane the columns on the right (counts,
severity, time) fall off the edge. `FitTable(flex="rule")` keeps every other column at its natural width and
gives the `flex` column the room that is left (never less than `flex_min`; its longest cells are then cut at
the end), re-fitting whenever the rows or the table's width change. A wide table shows everything whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class FitTable(DataTable[Any]):
    def __init__(self, *, flex: str, flex_min: int = 20, **kwargs) -> None:
        super().__init__(**kwargs)
        self.flex = flex  # the key of the column that gives way
        self.flex_min = flex_min

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # DataTable measures new cells here (on idle): fit after it, so the measure includes them
        super()._update_dimensions(new_rows)
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        column = self.columns.get(self.flex)  # type: ignore[call-overload]  # a str finds a ColumnKey
        # a vertical scrollbar comes and goes with the rows and the height (no resize then): always leave its room
        room = self.content_region.width - self.styles.scrollbar_size_vertical
        if column is None or room <= 0:
            return
        others = sum(c.get_render_width(self) for c in self.columns.values() if c is not column)
        left = room - others - self._row_label_column_width - 2 * self.cell_padding
        width = max(min(column.content_width, left), min(self.flex_min, column.content_width))
        if column.auto_width or width != column.width:
            column.auto_width, column.width = False, width
            self._clear_caches()
            total = sum(c.get_render_width(self) for c in self.columns.values()) + self._row_label_column_width
            self.virtual_size = Size(total, self.virtual_size.height)
            self.refresh()
