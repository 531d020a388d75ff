"""The sample records a schema is inferred from, as a table the user picks schema tests from.

Space toggles a record's selection; `chosen()` returns the selected records (or the highlighted one when none
is selected). At most `MAX_ROWS` records are listed: a schema test wants a few representative lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding

from screens.shell import safe
from screens.widgets.table import Table

if TYPE_CHECKING:
    from workbench.model import Record

MAX_ROWS = 1000
MARK = "●"


class SchemaSamples(Table):
    DEFAULT_CSS = """
    SchemaSamples { height: 1fr; }
    """
    BINDINGS: ClassVar = [
        Binding("space", "toggle_sample", "Select sample", id="schema_samples_toggle"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.records: list[Record] = []
        self.selected: set[int] = set()

    def on_mount(self) -> None:
        self.add_column("", key="mark", width=1)
        self.add_columns("Where", "Record")

    def show_records(self, records: list[Record]) -> None:
        self.records = records[:MAX_ROWS]
        self.selected = set()
        self.clear()
        for i, r in enumerate(self.records):
            where = f"{r.key.rsplit('/', 1)[-1]}:{r.line}"
            self.add_row(safe.cell(""), safe.cell(where, limit=50), safe.cell(r.text, limit=300), key=str(i))

    def action_toggle_sample(self) -> None:
        if not self.records:
            return
        i = self.cursor_row
        self.selected ^= {i}
        self.update_cell(str(i), "mark", safe.cell(MARK if i in self.selected else "", "bold green"))
        if i + 1 < self.row_count:
            self.move_cursor(row=i + 1)

    def clear_selection(self) -> None:
        for i in self.selected:
            self.update_cell(str(i), "mark", safe.cell(""))
        self.selected = set()

    def chosen(self) -> list[Record]:
        if self.selected:
            return [self.records[i] for i in sorted(self.selected)]
        if self.records and 0 <= self.cursor_row < len(self.records):
            return [self.records[self.cursor_row]]
        return []
