"""The DataTable every screen uses: Textual's, redrawn whenever its measure changes a column's width.

DataTable measures the cells of new (or updated) rows on idle, after they may have been drawn once at the old
widths, and keys the lines it has drawn on an update counter that this measure does not advance. A frame
painted between `add_row` and that measure (a matter of timing: a busy machine, another app in the process)
therefore kept its header row, drawn at the labels' widths, above rows drawn at the measured widths, until
something else changed. Advancing the counter when a width changes draws every line afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class Table(DataTable[Any]):
    _drawn_widths: tuple[int, ...] = ()  # the column widths when the table last measured

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        widths = (self._row_label_column_width, *(c.get_render_width(self) for c in self.ordered_columns))
        if widths != self._drawn_widths:
            self._drawn_widths = widths
            self._update_count += 1  # what DataTable's line caches are keyed on
            self.refresh()
