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
from typing import ClassVar

import orjson
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Sparkline, Static
from textual.worker import get_current_worker

from screens.flow.base import WorkbenchScreen
from screens.modals.confirm import ConfirmScreen
from screens.shell import safe
from screens.widgets.live_stream import LiveStream

TICK = 0.25  # seconds between buffer reads on the UI thread
DRIFT_EVERY = 2.0  # seconds between drift panel refreshes
PER_TICK = 5000  # items taken from the buffer per tick; more than that would fall off the ring anyway
MODES = ("own-queue", "poll", "peek")


def item_line(item) -> tuple[str, str, str]:
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

    DEFAULT_CSS = """
    LiveScreen #live-status { height: 2; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    LiveScreen #live-rates { text-wrap: nowrap; text-overflow: ellipsis; }
    LiveScreen #live-main { width: 1fr; }
    LiveScreen #live-filter { height: 3; }
    LiveScreen #live-paused { height: 1; padding: 0 1; background: $warning 30%; display: none; }
    LiveScreen #live-paused.shown { display: block; }
    LiveScreen #live-side { width: 50; max-width: 40%; }
    LiveScreen #live-side Static { padding: 0 1; }
    LiveScreen #live-spark { height: 3; margin: 0 1; }
    LiveScreen .pane-title { margin-top: 1; }
    """
    BINDINGS: ClassVar = [
        Binding("space", "pause", "Pause/follow", id="live_pause", tooltip="Pause the view (items keep arriving)"),
        Binding("slash", "filter", "Filter", id="live_filter", tooltip="Filter by text, log type or rule"),
        Binding("d", "drift", "Drift", id="live_drift", tooltip="Drift report and suggested schema patch"),
        Binding("m", "mode", "Mode", id="live_mode", tooltip="Switch between own-queue, poll and peek"),
        Binding("s", "toggle", "Stop/start", id="live_toggle", tooltip="Stop the tail (removing its queue) or start it"),
        Binding("c", "clear", "Clear", id="live_clear", show=False, tooltip="Clear the view"),
        Binding("escape", "leave_filter", "Leave filter", id="live_leave_filter", show=False),
    ]

    class Started(Message):
        def __init__(self, tail) -> None:
            super().__init__()
            self.tail = tail

    class Stopped(Message):
        def __init__(self, tail) -> None:
            super().__init__()
            self.tail = tail

    class Status(Message):
        def __init__(self, level: str, line: str) -> None:
            super().__init__()
            self.level, self.line = level, line

    def __init__(self) -> None:
        super().__init__()
        self.tail = None
        self.mode: str | None = None  # None: chosen automatically
        self.paused = False
        self.pending = 0  # items that arrived while paused
        self.dropped = 0
        self.filter = ""
        self._cursor = 0
        self._rows: deque[tuple[str, str, str]] = deque(maxlen=10_000)
        self._last_status = ("info", "")
        self._last_drift = 0.0
        self._running = False
        self._tails: list = []  # every tail a worker made, so unmount can stop one that is still starting

    # -- layout ----------------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static(id="live-status")
        with Horizontal():
            with Vertical(id="live-main"):
                yield Input(placeholder="filter: text, log type or rule id (Enter to apply, Esc to leave)", id="live-filter")
                yield Static(id="live-paused")
                yield LiveStream(id="live-stream")
            with VerticalScroll(id="live-side"):
                yield Static(safe.content("Events/s (last 60 s)"), classes="pane-title")
                yield Sparkline([], id="live-spark", summary_function=max)
                yield Static(id="live-rates")
                yield Static(safe.content("Parse errors"), classes="pane-title")
                yield Static(id="live-errors")
                yield Static(safe.content("Problems"), classes="pane-title")
                yield Static(id="live-problems")
                yield Static(safe.content("Drift"), classes="pane-title")
                yield Static(id="live-drift")

    def on_mount(self) -> None:
        super().on_mount()
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
        tail = LiveTail(self.session.config, self.session.source, mode=mode,
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
            rows = [item_line(i) for i in items]
            self._rows.extend(rows)
            if self.paused:
                self.pending += len(rows)
                self._show_paused()
            else:
                f = self.filter
                self.query_one(LiveStream).append((t, k) for t, k, h in rows if not f or f in h)
        self._refresh_side(tail)

    def _show_status(self, level: str, line: str) -> None:
        self._last_status = (level, line)
        self._render_status()

    def _render_status(self) -> None:
        """Line 1: mode, rules and counts; line 2: the latest status (the mode's reason at first)."""
        tail = self.tail
        head = Text(no_wrap=True, overflow="ellipsis", end="")
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
        both.no_wrap, both.overflow = True, "ellipsis"
        self.query_one("#live-status", Static).update(both)

    def _show_paused(self) -> None:
        bar = self.query_one("#live-paused", Static)
        bar.set_class(self.paused, "shown")
        bar.update(Text(f"Paused — {self.pending:,} new item(s) arrived; Space to follow", no_wrap=True))

    def _refresh_side(self, tail) -> None:
        buf = tail.buffer
        now = time.time()
        self.query_one("#live-spark", Sparkline).data = buf.events_per_second.series("events", 60, now)
        width = max(24, self.query_one("#live-rates", Static).content_region.width or 44)
        name_w = width - 16  # name, then "events/s" (7) and "total" (9) columns
        rates = Text(no_wrap=True, overflow="ellipsis", end="")
        rates.append(f"{'Log type':<{name_w}}{'per s':>7}{'total':>9}\n", style="bold")
        for name, total in sorted(buf.log_types.totals.items(), key=lambda kv: -kv[1])[:12]:
            # the newline stays outside safe.plain, which would turn it into a space (all rows on one line)
            rates.append(safe.plain(f"{name[:name_w - 1]:<{name_w}}{buf.log_types.rate(name, now):>7.1f}{total:>9,}") + "\n")
        rates.append(f"{'Rule hits':<{name_w}}{'per s':>7}{'total':>9}\n", style="bold")
        if not buf.rules.totals:
            rates.append("(no rule hits yet)\n", style="dim")
        for name, total in sorted(buf.rules.totals.items(), key=lambda kv: -kv[1])[:12]:
            rates.append(safe.plain(f"{name[:name_w - 1]:<{name_w}}{buf.rules.rate(name, now):>7.1f}{total:>9,}") + "\n",
                         style="yellow")
        self.query_one("#live-rates", Static).update(rates)
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
                drift.append(safe.plain(f"{d.log_type}: {len(d.new_fields)} new field(s), "
                                        f"{len(d.conflicts)} conflict(s)", limit=200) + "\n", style="yellow")
            if drift:
                drift.append("d: suggested schema patch", style="dim")
            self.query_one("#live-drift", Static).update(drift or Text("none seen", style="dim"))
        self._render_status()

    # -- actions ---------------------------------------------------------------------------------------------
    def action_pause(self) -> None:
        stream = self.query_one(LiveStream)
        self.paused = not self.paused
        stream.follow = not self.paused
        if not self.paused:
            self.pending = 0
            self._rebuild()
        self._show_paused()

    def _rebuild(self) -> None:
        f = self.filter
        stream = self.query_one(LiveStream)
        stream.set_lines((t, k) for t, k, h in self._rows if not f or f in h)

    def action_filter(self) -> None:
        self.query_one("#live-filter", Input).focus()

    @on(Input.Changed, "#live-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter = event.value.strip().lower()
        self._rebuild()

    @on(Input.Submitted, "#live-filter")
    def _filter_done(self) -> None:
        self.query_one(LiveStream).focus()

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

    def action_toggle(self) -> None:
        if self._running:
            self._stop()
        else:
            self._start()

    def action_mode(self) -> None:
        current = self.tail.mode if self.tail else (self.mode or "own-queue")
        nxt = MODES[(MODES.index(current) + 1) % len(MODES)] if current in MODES else MODES[0]
        source = self.session.source
        if nxt == "own-queue" and source is not None and not source.topic_arn:
            nxt = "poll" if current != "poll" else "peek"
        if nxt == "peek":
            if source is None or not source.queue_url:
                nxt = "own-queue" if source is not None and source.topic_arn else "poll"
            else:
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
        self.mode = nxt
        self._start()
