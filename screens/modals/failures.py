"""The lines that failed to parse, one row each (where, log type, field, reason); the highlighted one in full
below (the raw line as sampled, the field, the value, the reason). Enter takes you to that field in the Schema
editor, where the fix is made. Escape closes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from screens.shell import safe
from screens.widgets.table import Table

if TYPE_CHECKING:
    from workbench.parse import ParseError

MAX_ROWS = 2000


class FailuresScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    FailuresScreen { align: center middle; }
    FailuresScreen > Vertical { width: 95%; height: 90%; border: thick $error; background: $surface; }
    FailuresScreen DataTable { height: 1fr; }
    FailuresScreen VerticalScroll { height: 8; border-top: solid $primary; padding: 0 1; }
    FailuresScreen .title { text-style: bold; padding: 0 1; }
    """
    BINDINGS: ClassVar = [
        Binding("escape,q", "close", "Close", id="failures_close"),
        Binding("enter", "jump", "Go to the field", id="failures_jump"),
    ]

    def __init__(self, errors: list[ParseError], raw_line: Callable[[ParseError], str | None],
                 jump: Callable[[ParseError], None]) -> None:
        super().__init__()
        self.errors = errors[:MAX_ROWS]
        self.total = len(errors)
        self.raw_line, self.jump = raw_line, jump

    def compose(self) -> ComposeResult:
        with Vertical():
            more = f" (first {MAX_ROWS:,})" if self.total > MAX_ROWS else ""
            yield Static(safe.content(f"{self.total:,} lines failed to parse{more} — Enter: go to the field in the "
                                      "Schema editor · Escape: close"), classes="title")
            yield Table(id="failures", cursor_type="row", zebra_stripes=True)
            with VerticalScroll():
                yield Static(id="failure-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Log type", "Field", "Reason")
        for i, e in enumerate(self.errors):
            table.add_row(safe.cell(f"{e.key.rsplit('/', 1)[-1]}:{e.line}"), safe.cell(e.log_type or "?"),
                          safe.cell(e.field or "—"), safe.cell(e.reason, limit=300), key=str(i))
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        e = self.errors[int(event.row_key.value)]
        raw = self.raw_line(e)
        body = safe.join(("where  ", "bold"), f"{e.key}:{e.line}", ("\nfield  ", "bold"), e.field or "(the line)",
                         ("\nvalue  ", "bold"), e.value or "", ("\nwhy    ", "bold"), e.reason,
                         ("\nline   ", "bold"))
        body.append_text(safe.text(raw if raw is not None else "(not in the sample any more)", single_line=False,
                                   limit=20_000))
        self.query_one("#failure-detail", Static).update(body)

    def on_data_table_row_selected(self) -> None:  # the table takes Enter itself
        self.action_jump()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_jump(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        e = self.errors[table.cursor_row]
        self.dismiss(None)
        self.jump(e)
