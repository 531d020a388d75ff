"""The field panel: every schema field with its type and presence, and for the highlighted one its statistics
(types seen, top values, min/max, a small histogram for numbers and times) and why inference chose its type.

`show(views)` replaces the list (keeping the highlighted path when it still exists); `select(path)` moves to a
field (the screen calls it when the editor's cursor enters a field). Every value is rendered through
`screens.shell.safe`, so field names and sample values show literally.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from screens.presenters.field_view import FieldView, histogram
from screens.shell import safe
from screens.widgets.histogram import BLOCKS
from screens.widgets.table import Table

VALUE_LIMIT = 60
LABELS: tuple[str, ...] = ("Field", "Type", "Present")
MIN_PATH = 12  # the Field column never narrows below this
PATH_WANTED = 24  # fewer cells than this for the paths, and the Present column gives way to them


def tail_ellipsis(text: str, width: int) -> str:
    """`text` in `width` cells, keeping its end: "userIdentity.arn" in 10 is "…ntity.arn"."""
    return text if len(text) <= width else "…" + text[len(text) - width + 1:]


def _spark(counts: list[int]) -> str:
    peak = max(counts, default=0) or 1
    return "".join(BLOCKS[round(c / peak * 8)] for c in counts)


def _value(v: object) -> str:
    return safe.plain(v if isinstance(v, str) else repr(v), limit=VALUE_LIMIT)


def field_detail(view: FieldView, events: list[dict] | None = None) -> Text:
    """The detail text for one field: statistics, a histogram of parsed values, and why it has its type."""
    out = safe.join((view.path, "bold"), "  ", (view.type, "bold cyan"), ("  required" if view.required else "", "dim"))
    out.append("\n")
    if view.stored:  # the name rules and p_any_* see differs from the name in the logs
        out.append_text(safe.join(("stored as ", "dim"), (view.stored, "bold")))
        out.append("\n")
    st = view.stats
    if st is not None:
        out.append_text(safe.join(("present ", "dim"), f"{st.present:,} of {st.total:,} ({view.presence:.1%})",
                                  ("   null ", "dim"), f"{st.nulls:,}", ("   empty ", "dim"), f"{st.empty:,}"))
        out.append("\n")
        if st.types:
            kinds = ", ".join(f"{k} ×{n:,}" for k, n in sorted(st.types.items(), key=lambda kv: -kv[1]))
            out.append_text(safe.join(("types seen ", "dim"), kinds))
            out.append("\n")
        if st.values_examined:
            out.append_text(safe.join(("distinct ", "dim"), f"{st.distinct:,}",
                                      (f"   (of {st.values_examined:,} values examined)", "dim")))
            out.append("\n")
        low, high = (st.earliest, st.latest) if st.earliest is not None else (st.minimum, st.maximum)
        if low is not None or high is not None:
            out.append_text(safe.join(("min ", "dim"), _value(low)))
            out.append("\n")
            out.append_text(safe.join(("max ", "dim"), _value(high)))
            out.append("\n")
    hist = histogram(view, events or [])
    if hist is not None:
        counts = hist[0]
        out.append_text(safe.join(("histogram ", "dim"), (_spark(counts), "green")))
        out.append("\n")
    if st is not None and st.top:
        out.append("top values\n", style="dim")
        for value, count in st.top:
            out.append_text(safe.join(f"  {count:>7,}  ", _value(value)))
            out.append("\n")
    if view.explanation:
        out.append("why this type: ", style="dim")
        out.append_text(safe.text(view.explanation, single_line=False, limit=4000))
    elif st is None:
        out.append("no statistics: inference did not see this field (added or renamed by hand?)", style="dim")
    return out


class FieldPanel(Vertical):
    DEFAULT_CSS = """
    FieldPanel { height: 1fr; border: round $primary; }
    FieldPanel:focus-within { border: round $accent; }
    FieldPanel > DataTable { height: 2fr; }
    FieldPanel > VerticalScroll { height: 3fr; border-top: solid $primary-darken-2; padding: 0 1; }
    """
    BINDINGS: ClassVar = [
        Binding("enter", "jump", "Go to field in editor", id="field_jump", show=False),
    ]

    class Jump(Message):
        """The user asked to edit the highlighted field (Enter)."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.views: list[FieldView] = []
        self.events: list[dict] = []
        self._fitted_width = 0

    def compose(self) -> ComposeResult:
        yield Table(id="field-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="field-detail-scroll"):
            yield Static(id="field-detail")

    def on_mount(self) -> None:
        self.border_title = safe.content("Fields")
        self._columns([])

    def show(self, views: list[FieldView], events: list[dict] | None = None) -> None:
        table = self.query_one(DataTable)
        keep = self.current.path if self.current else None
        self.views = views
        self.events = events or []
        rows = [(safe.cell(v.path, limit=80), safe.cell(v.type),
                 safe.cell(f"{v.presence:.0%}" if v.presence is not None else "—")) for v in views]
        labels, rows = self._fit(rows)
        self._columns(rows, labels)
        for v, row in zip(views, rows, strict=True):
            table.add_row(*row, key=v.path)
        self.border_title = safe.content(f"Fields ({len(views)})")
        if keep is not None:
            self.select(keep)
        self._detail()

    def _fit(self, rows: list[tuple]) -> tuple[tuple[str, ...], list[tuple]]:
        """The columns by priority in a narrow panel: Field, then Type, then Present. Present (also in the detail
        below) goes first when the paths would get fewer than PATH_WANTED cells; a path still longer than the
        room keeps its end ("…Issuer.arn", the part that tells siblings apart) and shows whole in the detail."""
        labels = LABELS
        width = self.query_one(DataTable).size.width
        if not width or not rows:
            return labels, rows

        def room(labels: tuple[str, ...]) -> int:  # what the path gets beside the other columns, padding, scrollbar
            return width - sum(max(len(label), *(r[i].cell_len for r in rows)) + 2
                               for i, label in enumerate(labels) if i) - 2 - 2

        longest = max(r[0].cell_len for r in rows)
        if longest > room(labels) and room(labels) < PATH_WANTED:
            labels, rows = labels[:2], [r[:2] for r in rows]
        cap = max(MIN_PATH, room(labels))
        return labels, [(safe.cell(tail_ellipsis(r[0].plain, cap), limit=80), *r[1:]) if r[0].cell_len > cap else r
                        for r in rows]

    def on_resize(self) -> None:
        width = self.query_one(DataTable).size.width
        if self.views and width != self._fitted_width:
            self._fitted_width = width
            self.show(self.views, self.events)

    def _columns(self, rows: list[tuple], labels: tuple[str, ...] = ()) -> None:
        """Columns sized from the rows here, not by DataTable's measuring on idle (which a busy app can skip)."""
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for i, label in enumerate(labels or LABELS):
            table.add_column(label, width=max([len(label), *(r[i].cell_len for r in rows)]))

    @property
    def current(self) -> FieldView | None:
        table = self.query_one(DataTable)
        if not self.views or table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), len(self.views) - 1)
        return self.views[row]

    def select(self, path: str) -> None:
        for i, v in enumerate(self.views):
            if v.path == path:
                table = self.query_one(DataTable)
                if table.cursor_row != i:
                    table.move_cursor(row=i)
                self._detail()
                return

    @on(DataTable.RowHighlighted, "#field-table")
    def _highlighted(self) -> None:
        self._detail()

    @on(DataTable.RowSelected, "#field-table")
    def _selected(self) -> None:
        self.action_jump()

    def action_jump(self) -> None:
        if self.current is not None:
            self.post_message(self.Jump(self.current.path))

    def _detail(self) -> None:
        view = self.current
        detail = self.query_one("#field-detail", Static)
        detail.update(field_detail(view, self.events) if view else safe.text("no fields yet", "dim"))
