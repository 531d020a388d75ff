"""Live screen: new objects arriving through the notification path, parsed and run through the rules.

One named thread worker (group ``live``) owns a `workbench.live.tail.LiveTail` from start to stop: it opens
the source (in own-queue mode, a temporary queue subscribed to the topic), then waits until it is cancelled
— by a restart, by leaving the app — and removes what it created. A timer on the UI thread reads only the new
items from the tail's bounded buffer and appends prepared lines to a line-API view; the side panels show
rates, a sparkline of events/s, parse errors with reasons, problems (malformed messages, fetch failures,
status) and drift. Nothing here ever creates a widget per event.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import orjson
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import var
from textual.widgets import Input, Sparkline, Static
from textual.worker import get_current_worker

from screens.flow.base import WorkbenchScreen
from screens.modals.confirm import ConfirmScreen
from screens.presenters.next_steps import LiveState, live_next
from screens.shell import safe
from screens.widgets.filter_input import FilterInput
from screens.widgets.live_stream import LiveStream
from workbench.wording import plural

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from workbench.events.filter import Predicate
    from workbench.live.buffer import LiveItem, RateMeter
    from workbench.live.tail import LiveTail

TICK = 0.25  # seconds between buffer reads on the UI thread
DRIFT_EVERY = 2.0  # seconds between drift panel refreshes
PER_TICK = 5000  # items taken from the buffer per tick; more than that would fall off the ring anyway
Row = tuple[str, str, str, "LiveItem"]  # (text, kind, haystack for the filter, item)


def item_record(item: LiveItem) -> dict:
    """What the filter language sees of one buffer item: the event's fields plus kind, log_type, rule, key
    (and title, severity, reason where they apply)."""
    record = dict(item.event or {})
    record.update(kind=item.kind, log_type=item.log_type, key=item.key,
                  rule=list(item.rules) if item.rules else ([item.rule_id] if item.rule_id else []))
    for name in ("title", "severity", "reason"):
        if getattr(item, name):
            record[name] = getattr(item, name)
    return record


def item_detail(item: LiveItem) -> str:
    """The full item for its detail view: what it is, where it came from, matched rules, alert context, JSON."""
    import json

    head = [f"{item.kind.replace('_', ' ')} · {item.log_type or '?'} · s3://{item.bucket}/{item.key}"]
    if item.kind == "alert":
        head += [f"rule: {item.rule_id}   severity: {item.severity or '-'}", f"title: {item.title}",
                 f"dedup: {item.dedup}", f"alert context: {json.dumps(item.alert_context, default=str, indent=2)}"]
    elif item.kind == "parse_error":
        head += [f"line {item.line}: {item.reason}", "raw line:", item.text]
    if item.rules:
        head.append(f"matched rules: {', '.join(item.rules)}")
    if item.event:
        head += ["", "event:", json.dumps(item.event, default=str, indent=2)]
    return "\n".join(head)


def _meter_text(meter: RateMeter, now: float, style: str, empty: str, top: int = 12) -> Text:
    """One section of the side panel: each name in full, then its rate and total."""
    out = Text(end="")
    for name, total in sorted(meter.totals.items(), key=lambda kv: -kv[1])[:top]:
        out.append(safe.plain(name, limit=200) + "\n", style=style or "bold")
        out.append(f"  {meter.rate(name, now):.1f}/s · {total:,} total\n", style="dim")
    return out or Text(empty, style="dim")


def item_line(item: LiveItem) -> tuple[str, str, str]:
    """(text, kind, lower-case haystack for the filter) for one buffer item; every untrusted part cleaned."""
    when = time.strftime("%H:%M:%S", time.localtime(item.arrived))
    if item.kind == "alert":
        text = f"{when} ALERT {item.severity or '-'} {item.rule_id}: {item.title}  [{item.log_type}] {item.key}"
        kind = "alert"
    elif item.kind == "parse_error":
        text = f"{when} PARSE ERROR {item.log_type or '?'} {item.key}:{item.line}: {item.reason}"
        kind = "parse_error"
    else:
        shown = {k: v for k, v in (item.event or {}).items() if not k.startswith("p_")}
        body = orjson.dumps(shown, default=str, option=orjson.OPT_NON_STR_KEYS).decode()[:1200]
        hits = f" !{','.join(item.rules)}" if item.rules else ""
        text = f"{when} {item.log_type}{hits} {body}"
        kind = "hit" if item.rules else "event"
    text = safe.plain(text, limit=1200)
    return text, kind, (text + " " + item.key).lower()


class LiveScreen(WorkbenchScreen):
    HELP = """\
Live: new objects as they arrive through the bucket's notifications, parsed with the source's schemas and
run through the rules. By default a temporary queue of our own is subscribed to the SNS topic (removed when
you leave); without a topic the bucket is polled. Peeking at the production queue is possible (m), with a
warning: messages are never deleted and are handed back at once.

Space pauses the view (new items are counted, not lost); / filters by text, log type or rule; d opens the
drift report with a suggested schema patch; m changes the mode; s stops or restarts the tail."""

    CSS_PATH = Path(__file__).with_name("live.tcss")  # absolute: tests subclass the screen elsewhere
    HINT = "Enter opens a line in full; / filters (kind = alert); Space pauses; m picks the mode; b the side panel."
    MAIN_PANE = "LiveStream"  # where Escape takes the focus from an input
    SIDE_PANEL = "#live-side"
    COMPACT_WHEN_SHORT = "#live-filter"  # a short terminal: the filter box is one row, the list gets two more
    BINDINGS: ClassVar = [
        Binding("space", "pause", "Pause/follow", id="live_pause", tooltip="Pause the view (items keep arriving)"),
        Binding("slash", "filter", "Filter", id="live_filter", tooltip="Filter by text, log type or rule"),
        Binding("d", "drift", "Drift", id="live_drift", show=False, tooltip="Drift report and suggested schema patch"),
        Binding("m", "mode", "Mode", id="live_mode", tooltip="Pick the mode: own-queue, poll or peek"),
        Binding("x", "export", "Export", id="live_export", show=False, tooltip="Export the buffer to NDJSON"),
        Binding("s", "toggle_tail", "Stop/start", id="live_toggle", tooltip="Stop the tail (removing its queue) or start it"),
        Binding("c", "clear", "Clear", id="live_clear", show=False, tooltip="Clear the view"),
        Binding("escape", "leave_filter", "Leave filter", id="live_leave_filter", show=False),
    ]

    @dataclass(eq=False)
    class Started(Message):
        tail: LiveTail

    @dataclass(eq=False)
    class Stopped(Message):
        tail: LiveTail

    @dataclass(eq=False)
    class Status(Message):
        level: str
        line: str

    paused: var[bool] = var(False, init=False)  # the view holds still; items keep arriving
    pending: var[int] = var(0, init=False)  # items that arrived while paused

    def __init__(self) -> None:
        super().__init__()
        self.tail: LiveTail | None = None
        self.mode: str | None = None  # None: chosen automatically
        self.dropped = 0
        self.filter = ""
        self._keep: Predicate | None = None  # the compiled filter (None: everything shows)
        self._cursor = 0
        self._rows: deque[Row] = deque(maxlen=10_000)
        self._last_status = ("info", "")
        self._last_drift = 0.0
        self._running = False
        self._tails: list[LiveTail] = []  # every tail a worker made, so unmount can stop one that is still starting

    # -- layout ----------------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static(id="live-status")
        with Horizontal():
            with Vertical(id="live-main"):
                yield FilterInput(self._field_names, id="live-filter",
                                  placeholder="/ filter: kind = alert · log_type = AWS.CloudTrail · rule ~ brute · text")
                yield Static(id="live-paused")
                yield LiveStream(id="live-stream")
            with VerticalScroll(id="live-side"):
                yield Static(safe.content("Events/s (last 60 s)"), classes="pane-title")
                yield Sparkline([], id="live-spark", summary_function=max)
                yield Static(safe.content("Log types"), classes="pane-title")
                yield Static(id="live-rates")
                yield Static(safe.content("Rule hits"), classes="pane-title")
                yield Static(id="live-rule-rates")
                yield Static(safe.content("Parse errors"), classes="pane-title")
                yield Static(id="live-errors")
                yield Static(safe.content("Problems"), classes="pane-title")
                yield Static(id="live-problems")
                yield Static(safe.content("Drift"), classes="pane-title")
                yield Static(id="live-drift")

    def on_mount(self) -> None:
        stream = self.query_one(LiveStream)
        stream.border_title = safe.content("Live events")
        stream.focus()  # not the filter: single-letter keys and Space must work at once
        self.set_interval(TICK, self._tick)
        self._start()

    def on_unmount(self) -> None:
        # the app is closing: remove the temporary queue before the process goes (the worker may not get to it)
        for tail in list(self._tails):
            tail.stop()  # waits for a start() in progress, then removes its queue

    def session_changed(self, names: set[str]) -> None:
        if "source" in names and self._running:
            self._start()  # follow the newly chosen source

    # -- the tail worker -------------------------------------------------------------------------------------
    def _start(self) -> None:
        if self.session.source is None:
            self._show_status("warning", "No source selected: pick one on the Sources screen (key 1).")
            return
        self._running = True
        self._show_status("info", "Starting the live tail…")
        self.run_tail(self.mode)

    @work(thread=True, group="live", exclusive=True, exit_on_error=False, description="Live tail")
    def run_tail(self, mode: str | None) -> None:
        from workbench.live.tail import LiveTail

        worker = get_current_worker()
        tail = LiveTail(self.session.config, self.session.require_source(), mode=mode,
                        on_status=lambda level, line: self.post_message(self.Status(level, line)))
        self._tails.append(tail)  # list.append is atomic: safe from this thread
        try:
            tail.start()
            self.post_message(self.Started(tail))
            while not worker.is_cancelled:
                time.sleep(0.2)
        finally:
            tail.stop()  # removes the temporary queue; quitting the app waits for this
            try:
                self._tails.remove(tail)
            except ValueError:
                pass
            self.post_message(self.Stopped(tail))

    def on_live_screen_started(self, message: Started) -> None:
        self.tail = message.tail
        self._cursor = 0
        self._rows = deque(maxlen=message.tail.buffer.size)
        self.query_one(LiveStream).max_lines = message.tail.buffer.size
        self.query_one(LiveStream).set_lines([])
        self.pending = 0
        self._show_status(*message.tail.status)

    def on_live_screen_stopped(self, message: Stopped) -> None:
        if message.tail is self.tail:
            self._show_status("info", f"Stopped ({message.tail.mode}); nothing of ours is left in AWS. s starts again.")

    def on_live_screen_status(self, message: Status) -> None:
        self._show_status(message.level, message.line)
        if message.level == "error":
            safe.notify(self.app, message.line, severity="error", timeout=8)

    def _stop(self) -> None:
        self._running = False
        self.workers.cancel_group(self, "live")

    # -- reading the buffer ----------------------------------------------------------------------------------
    def _tick(self) -> None:
        tail = self.tail
        if tail is None:
            return
        items, self._cursor, dropped = tail.buffer.after(self._cursor, limit=PER_TICK)
        self.dropped += dropped
        if items:
            rows = [(*item_line(i), i) for i in items]
            self._rows.extend(rows)
            if self.paused:
                self.pending += len(rows)
            else:
                self.query_one(LiveStream).append(self._shown(rows))
        self._refresh_side(tail)
        self.show_next()  # counts moved (only a changed line is redrawn)

    def _show_status(self, level: str, line: str) -> None:
        self._last_status = (level, line)
        self._render_status()

    def _render_status(self) -> None:
        """Line 1: mode, rules and counts; line 2: the latest status (the mode's reason at first)."""
        tail = self.tail
        head = Text(no_wrap=True, overflow="ellipsis", end="")
        if self.paused:
            head.append(" PAUSED ", style="bold black on yellow")
            head.append(" ")
        if self._keep is not None:
            head.append(" FILTERED ", style="bold black on cyan")
            head.append(" ")
        if tail is not None:
            s = tail.buffer.stats
            head.append(f"{tail.mode}", style="bold")
            head.append(f" · {s.events:,} events · {s.alerts:,} alerts · {s.parse_errors:,} parse errors · "
                        f"{s.objects:,} objects · {s.malformed:,} malformed · {s.fetch_failures:,} fetch failures · ")
            head.append(safe.plain(tail.rules_note, limit=200))
            objects = tail.buffer.objects_summary()
            if objects:  # incomplete / empty / binary objects, doubtful event times, prefixes not parsed
                head.append(safe.plain(f" · objects: {objects}", limit=300), style="yellow")
        level, line = self._last_status
        style = {"error": "bold red", "warning": "yellow"}.get(level, "")
        status = Text(safe.plain(line, limit=400), style=style, no_wrap=True, overflow="ellipsis", end="")
        both = Text("\n", end="").join([head, status])
        both.no_wrap, both.overflow = not self.has_class("-narrow"), "ellipsis"  # narrow: wrap, never cut
        self.query_one("#live-status", Static).update(both)
        self.show_next()

    def next_step(self) -> str:
        tail = self.tail
        stats = tail.buffer.stats if tail is not None else None
        return live_next(LiveState(
            source=self.session.source is not None, running=self._running, started=tail is not None,
            paused=self.paused, pending=self.pending, filtered=self._keep is not None,
            shown=self.query_one(LiveStream).line_count, events=stats.events if stats else 0,
            alerts=stats.alerts if stats else 0))

    def watch_paused(self, paused: bool) -> None:
        self.query_one(LiveStream).follow = not paused
        if not paused:
            self.pending = 0
            self._rebuild()
        self.watch_pending()

    def watch_pending(self) -> None:
        self._render_status()
        bar = self.query_one("#live-paused", Static)
        bar.set_class(self.paused, "shown")
        bar.update(Text(f"Paused — {plural(self.pending, 'new item')} arrived; Space to follow", no_wrap=True))

    def _refresh_side(self, tail: LiveTail, now: float | None = None) -> None:
        buf = tail.buffer
        now = time.time() if now is None else now
        self.query_one("#live-spark", Sparkline).data = buf.events_per_second.series("events", 60, now)
        # full names (a long log type or rule id wraps rather than being cut), the figures on the line below
        self.query_one("#live-rates", Static).update(
            _meter_text(buf.log_types, now, "", "(no events yet)"))
        self.query_one("#live-rule-rates", Static).update(
            _meter_text(buf.rules, now, "yellow", "(no rule hits yet)"))
        errors = Text(end="")
        for e in list(buf.parse_errors)[-8:]:
            errors.append(safe.plain(f"{e.key.rsplit('/', 1)[-1]}:{e.line} {e.reason}", limit=200) + "\n", style="red")
        self.query_one("#live-errors", Static).update(errors or Text("none", style="dim"))
        s = buf.stats
        problems = Text(f"malformed {s.malformed} · ignored {s.ignored}\nfetch failed {s.fetch_failures} · "
                        f"rule errors {s.rule_errors}" + (f" · {self.dropped} dropped" if self.dropped else "") + "\n",
                        end="")
        for p in list(buf.problems)[-6:]:
            problems.append(safe.plain(f"{p.kind}: {p.what} {p.reason}", limit=200) + "\n",
                            style="red" if p.kind in ("malformed", "fetch", "rule_error") else
                            "yellow" if p.kind in ("object", "event_time", "config") else "dim")
        self.query_one("#live-problems", Static).update(problems)
        if now - self._last_drift >= DRIFT_EVERY:
            self._last_drift = now
            drift = Text(end="")
            for d in tail.drift.report()[:6]:
                drift.append(safe.plain(f"{d.log_type}: {plural(len(d.new_fields), 'new field')}, "
                                        f"{plural(len(d.conflicts), 'conflict')}", limit=200) + "\n", style="yellow")
            if drift:
                drift.append("d: suggested schema patch", style="dim")
            self.query_one("#live-drift", Static).update(drift or Text("none seen", style="dim"))
        self._render_status()

    # -- actions ---------------------------------------------------------------------------------------------
    def action_pause(self) -> None:
        self.paused = not self.paused

    def _shown(self, rows: Iterable[Row]) -> Iterator[tuple[str, str, LiveItem]]:
        keep = self._keep
        return ((t, k, i) for t, k, _h, i in rows if keep is None or keep(item_record(i)))

    def _rebuild(self) -> None:
        self.query_one(LiveStream).set_lines(self._shown(self._rows))

    def action_filter(self) -> None:
        self.query_one("#live-filter", Input).focus()

    @on(Input.Changed, "#live-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        from workbench.errors import WorkbenchError
        from workbench.events.filter import compile_filter

        box = self.query_one(FilterInput)
        try:
            self._keep = compile_filter(event.value)
        except WorkbenchError as e:
            box.show_state(active=False, error=str(e))
            self._show_status("warning", f"filter: {e}")
            return
        self.filter = event.value.strip()
        box.show_state(active=self._keep is not None)
        self._rebuild()
        self._render_status()

    @on(Input.Submitted, "#live-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one(FilterInput).remember(event.value)
        self.query_one(LiveStream).focus()

    def _field_names(self) -> list[str]:
        from workbench.events.filter import field_paths

        return sorted({*field_paths(item_record(r[3]) for r in list(self._rows)[-300:]),
                       "kind", "log_type", "rule", "key", "title", "severity", "reason"})

    def on_live_stream_chosen(self, message: LiveStream.Chosen) -> None:
        item = message.payload
        if item is None:
            return
        from screens.modals.detail import DetailScreen

        jump = None
        if item.kind == "alert" or item.rules:
            rule_id = item.rule_id or item.rules[0]

            def to_rule() -> None:
                self.app.update_session(extra={**self.session.extra, "focus_rule": rule_id})
                self.app.action_goto("rules")

            jump = (f"open rule {rule_id} on the Rules screen", to_rule)
        self.app.push_screen(DetailScreen(f"Live {item.kind.replace('_', ' ')}", item_detail(item), jump=jump))

    def action_leave_filter(self) -> None:
        self.query_one(LiveStream).focus()

    def action_clear(self) -> None:
        self._rows.clear()
        self._rebuild()

    def action_drift(self) -> None:
        from screens.modals.drift_patch import DriftPatchScreen

        if self.tail is None or not self.tail.drift.report():
            safe.notify(self.app, "No drift seen yet: every field of the live data is in its schema (JSON log types).")
            return
        self.app.push_screen(DriftPatchScreen(self.tail.drift, self.session.config))

    def action_toggle_tail(self) -> None:
        if self._running:
            self._stop()
        else:
            self._start()

    def action_mode(self) -> None:
        from screens.modals.mode_picker import ModePicker

        source = self.session.source
        current = self.tail.mode if self.tail else (self.mode or "own-queue")
        unavailable = {}
        if source is None or not source.topic_arn:
            unavailable["own-queue"] = "not available: the source has no topic_arn to subscribe a queue to"
        if source is None or not source.queue_url:
            unavailable["peek"] = "not available: the source has no queue_url"
        self.app.push_screen(ModePicker(current, unavailable), self._mode_chosen)

    def _mode_chosen(self, mode: str | None) -> None:
        if mode is None or (self.tail is not None and mode == self.tail.mode and self._running):
            return
        if mode == "peek":
            def answer(yes: bool | None) -> None:
                if yes:
                    self.mode = "peek"
                    self._start()

            self.app.push_screen(ConfirmScreen(
                "Peek at the production queue?",
                ["Messages are received with a 5-second visibility timeout and handed back at once; none is deleted.",
                 "Each peek still counts as a receive: a queue with a redrive policy moves a message to its "
                 "dead-letter queue after maxReceiveCount receives.",
                 "The production consumer may see messages a moment later than usual."]), answer)
            return
        self.mode = mode
        self._start()

    def action_export(self) -> None:
        """The buffer (every item still held, as the CLI's `tail --ndjson` prints them) to an NDJSON file."""
        if self.tail is None or not len(self.tail.buffer):
            safe.notify(self.app, "Nothing to export yet: no items have arrived.", severity="warning")
            return
        config_path = self.session.config.path
        folder = (config_path.parent if config_path else Path.cwd()) / "exports"
        self.export_buffer(self.tail.buffer.snapshot(), folder / f"live-{time.strftime('%Y%m%d-%H%M%S')}.ndjson")

    @work(thread=True, group="live-export", exclusive=True, exit_on_error=False, description="Export live buffer")
    def export_buffer(self, items: list[LiveItem], path: Path) -> None:
        from workbench.files import atomic_write

        atomic_write(path, (orjson.dumps(i.to_json(), default=str) + b"\n" for i in items), make_parents=True)
        self.app.call_from_thread(safe.notify, self.app, f"Exported {len(items):,} live items to {path}")
