"""A DataTable whose long columns (a rule id, a title, a dedup string) give way so the short columns stay whole.

DataTable sizes every column to its widest cell, so in a narrow pane the columns on the right (counts,
severity, time) fall off the edge. `FitTable(flex={"dedup": 12, "title": 20})` keeps every other column at its
natural width and shrinks the `flex` columns, in the order given, each down to its minimum (their longest cells
are then cut at the end) until the row fits. It re-fits whenever the rows or the table's width change; a wide
table shows everything whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.geometry import Size
from textual.widgets.data_table import RowKey

from screens.widgets.table import Table


def fit_widths(natural: dict[str, int], minimum: dict[str, int], room: int) -> dict[str, int]:
    """Widths for the flex columns: natural if they fit in `room`, else shrunk in `minimum`'s order, each to its
    minimum (never below it, nor above its natural width) before the next one gives anything."""
    widths = dict(natural)
    over = sum(widths.values()) - room
    for key, least in minimum.items():
        if over <= 0:
            break
        give = max(0, min(over, widths[key] - least))
        widths[key] -= give
        over -= give
    return widths


class FitTable(Table):
    def __init__(self, *, flex: dict[str, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flex = flex  # column key -> the narrowest it gets; the first gives way first

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # DataTable measures new cells here (on idle): fit after it, so the measure includes them
        super()._update_dimensions(new_rows)
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        columns = {key: self.columns.get(key) for key in self.flex}  # type: ignore[call-overload]  # str finds a ColumnKey
        flex = {key: c for key, c in columns.items() if c is not None}
        # a vertical scrollbar comes and goes with the rows and the height (no resize then): always leave its room
        room = self.content_region.width - self.styles.scrollbar_size_vertical
        if not flex or room <= 0:
            return
        fixed = sum(c.get_render_width(self) for c in self.columns.values() if c not in flex.values())
        room -= fixed + self._row_label_column_width + 2 * self.cell_padding * len(flex)
        widths = fit_widths({k: c.content_width for k, c in flex.items()}, self.flex, room)
        if all(not c.auto_width and c.width == widths[k] for k, c in flex.items()):
            return
        for key, column in flex.items():
            column.auto_width, column.width = False, widths[key]
        self._clear_caches()
        total = sum(c.get_render_width(self) for c in self.columns.values()) + self._row_label_column_width
        self.virtual_size = Size(total, self.virtual_size.height)
        self.refresh()
