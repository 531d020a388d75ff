"""The re-parse result under the schema editor: parsed/failed counts and the failing lines with their reason.

`show_result(parsed, failed, errors, note)` fills it; each failing line is one row (where, field, reason,
value), all through `screens.safe` because values and object keys come from the logs.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from screens import safe

MAX_ROWS = 500


class SchemaParseView(Vertical):
    DEFAULT_CSS = """
    SchemaParseView { height: 1fr; border: round $primary; }
    SchemaParseView:focus-within { border: round $accent; }
    SchemaParseView > #parse-counts { height: 1; padding: 0 1; }
    SchemaParseView > DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="parse-counts")
        yield DataTable(id="parse-failures", cursor_type="row")

    def on_mount(self) -> None:
        self.border_title = safe.content("Re-parse of the sample")
        self.query_one(DataTable).add_columns("Where", "Field", "Reason", "Value")
        self.show_note("waiting for a sample")

    def show_note(self, note: str) -> None:
        self.query_one("#parse-counts", Static).update(safe.text(note, "dim"))

    def show_result(self, parsed: int, failed: int, errors: list, skipped: int = 0) -> None:
        counts = safe.join(("parsed ", "dim"), (f"{parsed:,}", "bold green"), ("   failed ", "dim"),
                           (f"{failed:,}", "bold red" if failed else "bold green"))
        if skipped:
            counts.append_text(safe.join(("   skipped ", "dim"), f"{skipped:,}"))
        if failed > MAX_ROWS:
            counts.append_text(safe.join((f"   (first {MAX_ROWS} failures listed)", "dim")))
        self.query_one("#parse-counts", Static).update(counts)
        table = self.query_one(DataTable)
        table.clear()
        for e in errors[:MAX_ROWS]:
            where = f"{e.key.rsplit('/', 1)[-1]}:{e.line}" if e.key else f"line {e.line}"
            table.add_row(safe.cell(where, limit=60), safe.cell(e.field or "—", limit=60),
                          safe.cell(e.reason, "red", limit=200), safe.cell(e.value, limit=120))
