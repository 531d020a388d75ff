"""Events screen: the parsed events (with their p_ fields) in a virtualised table, a pretty-JSON detail pane,
a filter (`field = value`, `field ~ text`, plain text, `p_any_* = value` membership), sort by column, a time
histogram of the shown events, copy cell / event (OSC 52) and export to NDJSON.

Events come from the session (the Schema screen re-parses on edit); when there are none but a sample
exists, this screen parses the sample with the current schema or the config's prefix → log type mapping."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from screens.flow.base import WorkbenchScreen
from screens.shell import safe
from screens.shell.messages import SessionUpdate
from screens.widgets.event_table import EventTable
from screens.widgets.histogram import TimeHistogram
from screens.widgets.json_view import JsonView, pretty_json
from workbench.errors import WorkbenchError
from workbench.model import stored_time

LEADING = ("p_event_time", "p_log_type")
MAX_COLUMNS = 14
FILTER_DELAY = 0.3


def pick_columns(events: list[dict], schema=None, sample: int = 500) -> list[str]:
    """p_event_time and p_log_type first, then the schema's top-level fields (or the most common keys), then
    the p_any_* indicator fields and the remaining p_ fields."""
    counts: Counter[str] = Counter()
    for e in events[:sample]:
        counts.update(e.keys())
    if schema is not None and getattr(schema, "fields", None):
        body = [f.name for f in schema.fields if f.name in counts]
    else:
        body = [k for k, _ in counts.most_common() if not k.startswith("p_")]
    p_any = sorted(k for k in counts if k.startswith("p_any_"))
    p_rest = [k for k in ("p_source_file", "p_row_id", "p_parse_time") if k in counts]
    leading = [k for k in LEADING if k in counts]
    return leading + body[: MAX_COLUMNS - len(leading)] + p_any + p_rest


class EventsScreen(WorkbenchScreen):
    HELP = """
Events: the sample parsed into events, with the standard p_ fields a detection rule sees (p_event_time,
p_log_type, p_any_ip_addresses, …). Arrow keys move the cell cursor; the right pane shows the event as JSON.
/ filters: `actor.email = alice@example.com`, `outcome ~ fail`, plain text anywhere, or
`p_any_ip_addresses = 198.51.100.7` (membership); join conditions with `and`; Escape returns to the table.
o sorts by the cursor's column (again to reverse). c copies the cell, y the event as JSON (OSC 52).
x exports the shown events to NDJSON. p parses the sample again; f lists the lines that failed to parse.
Next: press 5 (Rules) to run the detection rules on these events.
"""
    DEFAULT_CSS = """
    EventsScreen #events-bar { height: 3; }
    EventsScreen #filter { width: 1fr; }
    EventsScreen #events-count { width: auto; padding: 1 1 0 1; }
    EventsScreen #events-main { height: 1fr; }
    EventsScreen EventTable { width: 62%; border: round $primary; }
    EventsScreen JsonView { width: 1fr; }
    """
    BINDINGS: ClassVar = [
        Binding("slash", "focus_filter", "Filter", id="events_filter"),
        Binding("o", "sort", "Sort by column", id="events_sort"),
        Binding("c", "copy_cell", "Copy cell", id="events_copy_cell"),
        Binding("y", "copy_event", "Copy event", id="events_copy_event"),
        Binding("x", "export", "Export NDJSON", id="events_export"),
        Binding("p", "parse", "Parse sample", id="events_parse"),
        Binding("f", "failures", "Parse failures", id="events_failures"),
        Binding("escape", "focus_table", "Table", id="events_table", show=False),
    ]

    class Parsed(Message):
        def __init__(self, events: list[dict], errors: list, elapsed: float) -> None:
            super().__init__()
            self.events, self.errors, self.elapsed = events, errors, elapsed

    class Ordered(Message):
        def __init__(self, generation: int, rows: list[int], error: str | None = None) -> None:
            super().__init__()
            self.generation, self.rows, self.error = generation, rows, error

    class Times(Message):
        def __init__(self, generation: int, times: tuple[float, ...]) -> None:
            super().__init__()
            self.generation, self.times = generation, times

    class ParseProgress(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done, self.total = done, total

    def __init__(self) -> None:
        super().__init__()
        self._sort: tuple[str, bool] | None = None  # (column, descending)
        self._filter_text = ""
        self._generation = 0
        self._filter_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="events-bar"):
            yield Input(id="filter", placeholder="/ filter: field = value · field ~ text · text · p_any_ip_addresses = 1.2.3.4")
            yield Static(id="events-count")
        yield TimeHistogram("events by p_event_time", id="events-histogram")
        with Horizontal(id="events-main"):
            yield EventTable(id="event-table")
            yield JsonView(id="event-detail")
        yield Static(id="events-status", classes="status")

    def on_mount(self) -> None:
        self.query_one(EventTable).border_title = safe.content("Events")
        self.query_one(JsonView).border_title = safe.content("Event")
        self.show_events()
        self.query_one(EventTable).focus()

    def on_screen_resume(self) -> None:
        if not self.session.events and self.session.sample is not None:
            self.action_parse()

    def session_changed(self, names: set[str]) -> None:
        if names & {"events", "schema"}:
            self.show_events()

    # -- showing ---------------------------------------------------------------------------------------------
    def show_events(self) -> None:
        events = self.session.events
        table = self.query_one(EventTable)
        table.set_events(events, pick_columns(events, self.session.schema))
        log_types = sorted({str(e.get("p_log_type")) for e in events[:1000]})
        self._status(f"{len(events):,} events" + (f" of {', '.join(log_types)}" if log_types else ""))
        if self._filter_text or self._sort:
            self._reorder()
        else:
            self._after_order(list(range(len(events))))
        if not events:
            hint = ("No events yet: sample a prefix on Browse (2), then come back or press p to parse it."
                    if self.session.sample is None else "No events yet: press p to parse the sample.")
            self._status(hint)

    def _after_order(self, rows: list[int]) -> None:
        events = self.session.events
        self.query_one("#events-count", Static).update(safe.content(f"{len(rows):,} / {len(events):,} events"))
        # after the table's first paint: parsing 100k times competes with it for the GIL
        self.call_after_refresh(self.histogram_times, self._generation, events, rows)

    @work(thread=True, group="events-histogram", exclusive=True, exit_on_error=False, description="Event times")
    def histogram_times(self, generation: int, events: list[dict], rows: list[int]) -> None:
        worker = get_current_worker()
        times = []
        for n, i in enumerate(rows):
            t = stored_time(events[i])
            if t is not None:
                times.append(t.timestamp())
            if n % 10_000 == 0 and worker.is_cancelled:
                return
        self.post_message(self.Times(generation, tuple(times)))

    def on_events_screen_times(self, message: Times) -> None:
        if message.generation == self._generation:
            self.query_one(TimeHistogram).times = message.times

    def _status(self, message: str) -> None:
        errors = len(self.session.parse_errors)
        tail = f"   {errors:,} lines failed to parse (f lists them)" if errors else ""
        note = getattr(self, "_objects_note", "") if self.session.events else ""
        self.query_one("#events-status", Static).update(safe.content(message + tail + note))

    def on_event_table_cursor_moved(self, message: EventTable.CursorMoved) -> None:
        event = message.table.current_event()
        title = f"Event {message.table.cursor_row + 1:,}" + (f" · {message.column}" if message.column else "")
        self.query_one(JsonView).show(event, title)

    # -- filter and sort -------------------------------------------------------------------------------------
    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_text = event.value
        self._filter_timer = self.set_timer(FILTER_DELAY, self._reorder)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(EventTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one(EventTable).focus()

    def action_sort(self) -> None:
        column = self.query_one(EventTable).current_column
        if column is None:
            return
        descending = self._sort is not None and self._sort[0] == column and not self._sort[1]
        self._sort = (column, descending)
        self._reorder()

    def _reorder(self) -> None:
        self._generation += 1
        self.order_events(self._generation, self.session.events, self._filter_text, self._sort)

    @work(thread=True, group="events-order", exclusive=True, exit_on_error=False, description="Filter and sort")
    def order_events(self, generation: int, events: list[dict], text: str, sort: tuple[str, bool] | None) -> None:
        from workbench.events.filter import compile_filter, get_path, sort_key

        try:
            keep = compile_filter(text)
        except WorkbenchError as e:
            self.post_message(self.Ordered(generation, [], str(e)))
            return
        worker = get_current_worker()
        rows = list(range(len(events))) if keep is None else [i for i, e in enumerate(events) if keep(e)]
        if worker.is_cancelled:
            return
        if sort is not None:
            column, descending = sort
            rows.sort(key=lambda i: sort_key(get_path(events[i], column)), reverse=descending)
        self.post_message(self.Ordered(generation, rows))

    def on_events_screen_ordered(self, message: Ordered) -> None:
        if message.generation != self._generation:
            return
        if message.error:
            self._status(message.error)
            return
        self.query_one(EventTable).set_order(message.rows)
        self._after_order(message.rows)
        if self._sort:
            self._status(f"sorted by {self._sort[0]} {'descending' if self._sort[1] else 'ascending'}")

    # -- copy and export -------------------------------------------------------------------------------------
    def action_copy_cell(self) -> None:
        table = self.query_one(EventTable)
        value = table.current_value()
        if table.current_event() is None:
            return
        text = value if isinstance(value, str) else ("" if value is None else pretty_json(value))
        self._copy(safe.plain(text, single_line=False, limit=None), f"cell {table.current_column}")

    def action_copy_event(self) -> None:
        event = self.query_one(EventTable).current_event()
        if event is not None:
            self._copy(pretty_json(event), "event")

    def _copy(self, text: str, what: str) -> None:
        self.app.copy_to_clipboard(text)
        safe.notify(self.app, f"Copied the {what} ({len(text):,} characters) to the clipboard.")

    def action_export(self) -> None:
        table = self.query_one(EventTable)
        if not table.rows:
            safe.notify(self.app, "Nothing to export: no events shown.", severity="warning")
            return
        config_path = self.session.config.path
        folder = (config_path.parent if config_path else Path.cwd()) / "exports"
        log_type = re.sub(r"[^A-Za-z0-9._-]+", "_", str(self.session.events[table.rows[0]].get("p_log_type") or "events"))
        path = folder / f"{log_type}-{time.strftime('%Y%m%d-%H%M%S')}.ndjson"
        self.export_events([self.session.events[i] for i in table.rows], path)

    @work(thread=True, group="events-export", exclusive=True, exit_on_error=False, description="Export NDJSON")
    def export_events(self, events: list[dict], path: Path) -> None:
        from workbench.files import atomic_write
        from workbench.parse import event_to_json

        atomic_write(path, (event_to_json(event) + b"\n" for event in events), make_parents=True)
        self.app.call_from_thread(safe.notify, self.app, f"Exported {len(events):,} events to {path}")

    # -- parsing ---------------------------------------------------------------------------------------------
    def action_parse(self) -> None:
        sample = self.session.sample
        if sample is None or not sample.records:
            safe.notify(self.app, "No sample yet: sample a prefix on Browse & sample (key 2) first.", severity="warning")
            return
        self._status(f"Parsing {len(sample.records):,} records…")
        self.parse_sample(sample.records, self.session.schema)

    @work(thread=True, group="events-parse", exclusive=True, exit_on_error=False, description="Parse sample")
    def parse_sample(self, records: list, schema) -> None:
        from workbench.parse import parsers_for_source

        worker = get_current_worker()
        started = time.perf_counter()
        parse = parsers_for_source(self.session.config, self.session.source,
                                   {schema.name: schema} if schema is not None else None)
        events: list[dict] = []
        errors: list = []
        for n, record in enumerate(records, 1):
            got = parse(record)
            if got is None:
                continue
            (events if type(got) is dict else errors).append(got)
            if n % 2000 == 0:
                if worker.is_cancelled:
                    return
                self.post_message(self.ParseProgress(n, len(records)))
        self._objects_note = self._objects_summary(events)
        self.post_message(self.Parsed(events, errors, time.perf_counter() - started))

    def _objects_summary(self, events: list[dict]) -> str:
        """How the sampled objects decoded and whether their event times are believable, in one clause."""
        from workbench.events.outcomes import ObjectOutcomes

        sample = self.session.sample
        outcomes = ObjectOutcomes.of_sample(sample) if sample is not None else ObjectOutcomes()
        outcomes.check_times_by_object(events)
        summary = outcomes.summary()
        first = next(iter(outcomes.times.items()), None)
        return (f"   objects: {summary}" if summary else "") + (f" (e.g. {first[0]}: {first[1]})" if first else "")

    def on_events_screen_parse_progress(self, message: ParseProgress) -> None:
        self._status(f"Parsing… {message.done:,} / {message.total:,} records")

    def on_events_screen_parsed(self, message: Parsed) -> None:
        self.post_message(SessionUpdate(events=message.events, parse_errors=message.errors))
        safe.notify(self.app, f"Parsed {len(message.events):,} events, {len(message.errors):,} failed "
                    f"({message.elapsed:.1f}s).")
        schema = self.session.schema
        if schema is not None:
            from workbench.schema.advice import event_time_warnings

            for w in event_time_warnings(schema):
                safe.notify(self.app, f"{schema.name}: {w}", severity="warning", timeout=12)

    def action_failures(self) -> None:
        errors = self.session.parse_errors
        if not errors:
            safe.notify(self.app, "No parse failures.")
            return
        from screens.modals.detail import DetailScreen

        lines = [str(e) for e in errors[:500]]
        more = f"\n… and {len(errors) - 500:,} more" if len(errors) > 500 else ""
        self.app.push_screen(DetailScreen(f"{len(errors):,} lines failed to parse", "\n".join(lines) + more))
