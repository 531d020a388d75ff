"""Events screen: the parsed events (with their p_ fields) in a virtualised table, a pretty-JSON detail pane,
the filter language of `workbench.events.filter` (with completion and history), sort by column, a time
histogram of the shown events, copy cell / event (OSC 52) and export to NDJSON.

Events come from the session (the Schema screen re-parses on edit); when there are none but a sample
exists, this screen parses the sample with the current schema or the config's prefix → log type mapping."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import var
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from screens.flow.base import WorkbenchScreen
from screens.presenters.next_steps import events_next
from screens.shell import safe
from screens.shell.latest import Latest
from screens.shell.messages import SessionUpdate
from screens.widgets.event_table import EventTable
from screens.widgets.filter_input import FilterInput
from screens.widgets.histogram import TimeHistogram
from screens.widgets.json_view import JsonView, pretty_json
from workbench.errors import WorkbenchError
from workbench.model import stored_time

if TYPE_CHECKING:
    from workbench.model import Record
    from workbench.parse import ParseError
    from workbench.schema import Schema

LEADING = ("p_event_time", "p_log_type")
MAX_COLUMNS = 14
FILTER_DELAY = 0.3


def pick_columns(events: list[dict], schema: Schema | None = None, sample: int = 500) -> list[str]:
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
Events: the sample parsed into events, every record with the schema of the log type its prefix is configured
as (the schema you are editing stands in for its saved version), with the standard p_ fields a detection rule
sees (p_event_time, p_log_type, p_any_ip_addresses, …). Arrow keys or j/k move; the right pane shows the event
as JSON. l shows one log type at a time, then all again.
/ filters: `status >= 400 and not user in (alice, bob)`, `msg ~ ^fail`, `p_event_time > 2024-05-01`,
`(a = 1 or b != 2)`, or plain text anywhere. Tab completes field names, Up/Down recall earlier filters;
the filter box turns amber while a filter is applied, red with the reason when it is not valid. Escape
returns to the table.
o sorts by the cursor's column (again to reverse). c copies the cell, y the event as JSON (OSC 52).
x exports the shown events to NDJSON. p parses the sample again; f lists the lines that failed to parse.
Next: press 5 (Rules) to run the detection rules on these events.
"""
    CSS_PATH = Path(__file__).with_name("events.tcss")  # absolute: tests subclass the screen elsewhere
    HINT = "/ filters (status >= 400 and user in (a, b)); Tab completes fields; l switches log type; f lists failures."
    MAIN_PANE = "EventTable"  # where Escape takes the focus from an input
    SIDE_PANEL = "JsonView"
    COMPACT_WHEN_SHORT = "#filter"  # a short terminal: the filter box is one row, the list gets two more
    BINDINGS: ClassVar = [
        Binding("slash", "focus_filter", "Filter", id="events_filter"),
        Binding("o", "sort", "Sort by column", id="events_sort", show=False),
        Binding("c", "copy_cell", "Copy cell", id="events_copy_cell", show=False),
        Binding("y", "copy_event", "Copy event", id="events_copy_event", show=False),
        Binding("x", "export", "Export NDJSON", id="events_export", show=False),
        Binding("p", "parse", "Parse sample", id="events_parse"),
        Binding("enter", "open_event", "Open event", id="events_open", show=False,
                tooltip="The highlighted event in full (JSON), with a jump to its failures or rules"),
        Binding("l", "log_type", "Log type", id="events_log_type",
                tooltip="Show one log type at a time, then all again (sets the filter)"),
        Binding("f", "failures", "Parse failures", id="events_failures"),
        Binding("escape", "focus_table", "Table", id="events_table", show=False),
    ]

    @dataclass(eq=False)
    class Parsed(Message):
        events: list[dict]
        errors: list[ParseError]
        elapsed: float

    @dataclass(eq=False)
    class Ordered(Message):
        generation: int
        rows: list[int]
        error: str | None = None

    @dataclass(eq=False)
    class Times(Message):
        generation: int
        times: tuple[float, ...]

    @dataclass(eq=False)
    class ParseProgress(Message):
        done: int
        total: int

    note: var[str] = var("", init=False, always_update=True)  # the status line's message

    def __init__(self) -> None:
        super().__init__()
        self._sort: tuple[str, bool] | None = None  # (column, descending)
        self._filter_text = ""
        self._order = Latest()  # the newest filter/sort wins; the histogram follows it
        self._filter_timer: Timer | None = None
        self._fields: list[str] = []
        self._log_types: list[str] = []  # field paths of the shown events: completion and the unknown-field check
        self._shown = 0  # events the filter lets through

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="events-bar"):
            yield FilterInput(self._field_names, id="filter",
                              placeholder="/ filter: status >= 400 and (user in (a, b) or msg ~ fail) · Tab completes")
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
        wanted = self.session.extra.pop("events_filter", None)  # a jump from another screen (a rule's match)
        if wanted:
            box = self.query_one(FilterInput)
            box.value = wanted
            box.remember(wanted)
            self.query_one(EventTable).focus()

    def session_changed(self, names: set[str]) -> None:
        if names & {"events", "schema"}:
            self.show_events()

    # -- showing ---------------------------------------------------------------------------------------------
    def show_events(self) -> None:
        from workbench.events.filter import field_paths

        events = self.session.events
        self._fields = field_paths(events)
        table = self.query_one(EventTable)
        table.set_events(events, pick_columns(events, self._schema_for(events)))
        self._log_types = log_types = sorted({str(e.get("p_log_type")) for e in events})
        # more than two log types by count (l cycles through them): the line stays one row at 80 columns
        which = ", ".join(log_types) if len(log_types) <= 2 else f"{len(log_types)} log types (l picks one)"
        self.note = f"{len(events):,} events" + (f" of {which}" if log_types else "")
        if self._filter_text or self._sort:
            self._reorder()
        else:
            self._after_order(list(range(len(events))))
        if not events:
            hint = ("No events yet: sample a prefix on Browse (2), then come back or press p to parse it."
                    if self.session.sample is None else "No events yet: press p to parse the sample.")
            self.note = hint

    def _schema_for(self, events: list[dict]) -> Schema | None:
        """The session's schema when every shown event is of its log type (its field order), else None."""
        schema = self.session.schema
        if schema is None or any(e.get("p_log_type") != schema.name for e in events[:200]):
            return None
        return schema

    def _after_order(self, rows: list[int]) -> None:
        events = self.session.events
        count = self.query_one("#events-count", Static)
        filtered = bool(self._filter_text.strip())
        count.set_class(filtered, "-filtered")
        count.update(safe.content(f"{'● filtered ' if filtered else ''}{len(rows):,} / {len(events):,} events"))
        self._shown = len(rows)
        self.show_next()
        # after the table's first paint: parsing 100k times competes with it for the GIL
        self.call_after_refresh(self.histogram_times, self._order.current, events, rows)

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
        if self._order.is_current(message.generation):
            self.query_one(TimeHistogram).times = message.times

    def next_step(self) -> str:
        s = self.session
        return events_next(events=len(s.events), sample=s.sample is not None, failures=len(s.parse_errors),
                           shown=self._shown, filtered=bool(self._filter_text.strip()))

    def watch_note(self, message: str) -> None:
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
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.query_one(FilterInput).remember(event.value)
        self.query_one(EventTable).focus()

    def _field_names(self) -> list[str]:
        return self._fields

    def action_open_event(self) -> None:
        table = self.query_one(EventTable)
        event = table.current_event()
        if event is None or not table.has_focus:
            return
        from screens.modals.detail import DetailScreen

        log_type = str(event.get("p_log_type") or "")

        def to_rules() -> None:  # the next question about an event: what fires on it
            self.app.action_goto("rules")

        self.app.push_screen(DetailScreen(f"Event {table.cursor_row + 1:,} · {log_type}", pretty_json(event),
                                          jump=(f"the rules for {log_type} on the Rules screen", to_rules)))

    def action_log_type(self) -> None:
        """All log types → the first → the next … → all again: the filter `p_log_type = X`."""
        if not self._log_types:
            return
        current = re.fullmatch(r"p_log_type = (\S+)", self._filter_text.strip())
        at = self._log_types.index(current.group(1)) + 1 if current and current.group(1) in self._log_types else 0
        box = self.query_one(FilterInput)
        box.value = f"p_log_type = {self._log_types[at]}" if at < len(self._log_types) else ""
        box.remember(box.value)

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
        self.order_events(self._order.next(), self.session.events, self._filter_text, self._sort, self._fields)

    @work(thread=True, group="events-order", exclusive=True, exit_on_error=False, description="Filter and sort")
    def order_events(self, generation: int, events: list[dict], text: str, sort: tuple[str, bool] | None,
                     fields: list[str]) -> None:
        from workbench.events.filter import compile_filter, get_path, sort_key

        try:
            keep = compile_filter(text, fields or None)
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
        if not self._order.is_current(message.generation):
            return
        box = self.query_one(FilterInput)
        box.show_state(active=bool(self._filter_text.strip()), error=message.error)
        if message.error:
            self.note = f"filter: {message.error}"
            return
        table = self.query_one(EventTable)
        events = self.session.events
        # the columns follow what is shown: one log type filtered out of the "all" view gets its own fields
        shown = [events[i] for i in message.rows[:500]] if self._filter_text.strip() else events
        columns = pick_columns(shown, self._schema_for(shown))
        if columns != table.columns:
            table.set_events(events, columns, rows=message.rows)
        else:
            table.set_order(message.rows)
        self._after_order(message.rows)
        if self._sort:
            self.note = f"sorted by {self._sort[0]} {'descending' if self._sort[1] else 'ascending'}"

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
        self.note = f"Parsing {len(sample.records):,} records…"
        self.parse_sample(sample.records, self.session.schema)

    @work(thread=True, group="events-parse", exclusive=True, exit_on_error=False, description="Parse sample")
    def parse_sample(self, records: list[Record], schema: Schema | None) -> None:
        from workbench.events.pipeline import parse_record_list
        from workbench.parse import parsers_for_source

        worker = get_current_worker()
        started = time.perf_counter()
        # every record goes to the log type its prefix is configured as; the schema being edited stands in
        # for its saved version and takes the records of prefixes that map to nothing yet
        parse = parsers_for_source(self.session.config, self.session.source, edited=schema)
        got = parse_record_list(parse, records, cancelled=lambda: worker.is_cancelled,
                                progress=lambda done, total: self.post_message(self.ParseProgress(done, total)))
        if not got.cancelled:
            self._objects_note = self._objects_summary(got.events)
            self.post_message(self.Parsed(got.events, got.errors, time.perf_counter() - started))

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
        self.note = f"Parsing… {message.done:,} / {message.total:,} records"

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
        from screens.modals.failures import FailuresScreen

        sample = self.session.sample
        by_place = {(r.key, r.line): r.text for r in sample.records} if sample is not None else {}

        def to_field(error: ParseError) -> None:
            # the fix is made in the schema: open it there at the failing field
            self.app.update_session(extra={**self.session.extra, "focus_field": error.field,
                                           "focus_log_type": error.log_type})
            self.app.action_goto("schema")

        self.app.push_screen(FailuresScreen(errors, lambda e: by_place.get((e.key, e.line)), to_field))
