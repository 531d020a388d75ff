"""The re-parse result under the schema editor: parsed/failed counts, the failing lines with their field and
reason (those two columns stay whole in a narrow pane), and the raw text of the highlighted failing line.

`show_result(parsed, failed, errors, records)` fills it; Enter on a failing line posts `FieldWanted` so the
screen can take the editor to that field. Values, object keys and raw lines come from the logs, so everything
goes through `screens.shell.safe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from screens.shell import safe
from screens.widgets.fit_table import FitTable

MAX_ROWS = 500

if TYPE_CHECKING:
    from workbench.model import Record
    from workbench.parse import ParseError


class SchemaParseView(Vertical):
    DEFAULT_CSS = """
    SchemaParseView { height: 1fr; border: round $primary; }
    SchemaParseView:focus-within { border: round $accent; }
    SchemaParseView > #parse-counts { height: 1; padding: 0 1; }
    SchemaParseView > DataTable { height: 2fr; }
    SchemaParseView > VerticalScroll { height: 1fr; border-top: solid $primary-darken-2; padding: 0 1; }
    """
    BINDINGS: ClassVar = [
        Binding("enter", "field", "Go to field", id="schema_failure_field",
                tooltip="Take the editor to the field the highlighted line failed on"),
    ]

    @dataclass(eq=False)
    class FieldWanted(Message):
        path: str

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.errors: list[ParseError] = []
        self.records: dict[tuple[str, int], Record] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="parse-counts")
        # Field and Reason first; Where and Value (both under the list in full) give way entirely when narrow
        yield FitTable(flex={"where": 0, "value": 0, "reason": 12}, id="parse-failures", cursor_type="row")
        with VerticalScroll(id="parse-line-scroll"):
            yield Static(id="parse-line")

    def on_mount(self) -> None:
        self.border_title = safe.content("Re-parse of the sample")
        table = self.query_one(DataTable)
        table.add_column("Field")
        for label in ("Reason", "Value", "Where"):
            table.add_column(label, key=label.lower())
        self.show_note("waiting for a sample")

    def show_note(self, note: str) -> None:
        self.query_one("#parse-counts", Static).update(safe.text(note, "dim"))

    def show_result(self, parsed: int, failed: int, errors: list, records: list, skipped: int = 0) -> None:
        counts = safe.join(("parsed ", "dim"), (f"{parsed:,}", "bold green"), ("   failed ", "dim"),
                           (f"{failed:,}", "bold red" if failed else "bold green"))
        if skipped:
            counts.append_text(safe.join(("   skipped ", "dim"), f"{skipped:,}"))
        if failed > MAX_ROWS:
            counts.append_text(safe.join((f"   (first {MAX_ROWS} failures listed)", "dim")))
        self.query_one("#parse-counts", Static).update(counts)
        self.errors = errors[:MAX_ROWS]
        wanted = {(e.key, e.line) for e in self.errors}
        self.records = {(r.key, r.line): r for r in records if (r.key, r.line) in wanted}
        table = self.query_one(DataTable)
        table.clear()
        for e in self.errors:
            where = f"{e.key.rsplit('/', 1)[-1]}:{e.line}" if e.key else f"line {e.line}"
            table.add_row(safe.cell(e.field or "—", limit=60), safe.cell(e.reason, "red", limit=200),
                          safe.cell(e.value, limit=120), safe.cell(where, limit=60))
        self._show_line()

    @property
    def current(self) -> ParseError | None:
        table = self.query_one(DataTable)
        if not self.errors or table.row_count == 0:
            return None
        return self.errors[min(max(table.cursor_row, 0), len(self.errors) - 1)]

    @on(DataTable.RowHighlighted, "#parse-failures")
    def _show_line(self) -> None:
        error = self.current
        line = self.query_one("#parse-line", Static)
        if error is None:
            line.update(safe.text("no failing lines", "dim"))
            return
        record = self.records.get((error.key, error.line))
        # field and reason first: in a narrow pane the long object key would push them out of its few rows
        out = safe.join((error.field or "", "cyan"), "  ", (error.reason, "red"), "\n",
                        (f"{error.key}:{error.line}", "bold"), "\n")
        out.append_text(safe.text(record.text if record is not None else error.value, single_line=False,
                                  limit=5000))
        line.update(out)

    @on(DataTable.RowSelected, "#parse-failures")
    def _selected(self) -> None:
        self.action_field()

    def action_field(self) -> None:
        error = self.current
        if error is not None and error.field:
            self.post_message(self.FieldWanted(error.field))
