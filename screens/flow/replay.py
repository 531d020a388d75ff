"""Replay screen: pick a time range and rules, run them over the source's history on Dask, watch progress
and per-rule counts grow as tasks finish, drill into sample alerts, cancel.

The replay itself is one core call, `workbench.replay.run_replay`, in a named thread worker; its progress
callback posts plain snapshots here (a few per second at most), so the UI never touches live counters.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import var
from textual.widgets import Button, Checkbox, DataTable, Input, Label, ProgressBar, SelectionList, Static
from textual.worker import Worker, WorkerState

from screens.flow.base import WorkbenchScreen
from screens.modals.detail import DetailScreen
from screens.presenters.next_steps import replay_next
from screens.shell import safe
from screens.widgets.fit_table import FitTable
from workbench.events.outcomes import ObjectOutcomes
from workbench.wording import plural

if TYPE_CHECKING:
    from workbench.replay import ReplayOptions, ReplayProgress

MiB = 1024 * 1024
COLUMNS = ("Rule", "Matches", "Errors", "Groups", "Alerts")
PROGRESS_EVERY = 0.25  # seconds between snapshots posted to the UI while tasks finish


def snapshot(p: ReplayProgress) -> dict:
    """Plain data from a `ReplayProgress`, taken on the replay's thread (the live totals stay there)."""
    t = p.totals
    rules: dict[str, dict] = {}
    if t is not None:
        for rid, c in t.grouper.counts.items():
            rules[rid] = {"matches": c.matches, "errors": c.errors}
        for rid, s in t.samples.items():
            rules.setdefault(rid, {"matches": 0, "errors": 0})["samples"] = list(s.alerts)
    return {"phase": p.phase, "objects_done": p.objects_done, "objects_total": p.objects_total,
            "bytes_done": p.bytes_done, "bytes_total": p.bytes_total, "events": p.events,
            "events_per_s": p.events_per_s, "eta_s": p.eta_s, "workers": p.workers, "message": p.message,
            "rules": rules}


def status_line(s: dict) -> str:
    if s["phase"] in ("listing", "starting"):
        return s["message"]
    eta = f"   ETA {int(s['eta_s'])} s" if s.get("eta_s") is not None else ""
    return (f"{s['objects_done']:,}/{s['objects_total']:,} objects   "
            f"{s['bytes_done'] / MiB:.1f}/{s['bytes_total'] / MiB:.1f} MiB   {s['events']:,} events   "
            f"{s['events_per_s']:,.0f} events/s   {plural(s['workers'], 'worker')}{eta}")


def per_day_text(per_day: dict[str, int], width: int = 40) -> str:
    """Matches per day as a plain-text bar chart: how often the rule would have fired."""
    if not per_day:
        return ""
    top = max(per_day.values())
    lines = [f"{day}  {n:>7,}  {'█' * max(1, round(width * n / top))}" for day, n in per_day.items()]
    return "Matches per day (UTC):\n" + "\n".join(lines) + "\n\n"


def samples_text(rule_id: str, samples: list[dict], per_day: dict[str, int] | None = None) -> str:
    """The drill-down body: matches per day, then each sample alert with where it came from and its event."""
    head = per_day_text(per_day or {})
    if not samples:
        return head + f"No alerts from {rule_id} so far."
    parts = [head] if head else []
    for i, a in enumerate(samples, 1):
        parts.append(f"#{i}  {a.get('time') or '?'}  {a.get('severity') or ''}\n"
                     f"title:  {a.get('title')}\ndedup:  {a.get('dedup')}\nobject: {a.get('key')} (event {a.get('index')})\n"
                     f"alert context: {json.dumps(a.get('alert_context'), default=str)}\n"
                     f"event:\n{json.dumps(a.get('event'), indent=2, default=str)}\n")
    return "\n".join(parts)


def _number(n: int | None) -> Text:
    """A right-aligned count; … while it is not known yet (groups and alerts come at the end)."""
    return Text("…" if n is None else f"{n:,}", justify="right", no_wrap=True)


class ReplayScreen(WorkbenchScreen):
    HELP = """
Replay: run detection rules over weeks of the source's history, as Panther's data replay does, to see how
often a rule would have fired before you turn it on. Set the range (Since: 30d, 2024-05-01, …; Until:
empty for now), tick the rules (none ticked = all), and start (Ctrl+R or the Start button). Objects are
listed by date partition and replayed on Dask: a local cluster with one worker per core, or the cluster at
Scheduler (tcp://HOST:PORT). Counts grow as tasks finish; Enter on a rule (or `a`) shows its matches per
day and sample alerts.
Escape cancels; what finished is kept, and Resume continues it later.
"""
    CSS_PATH = Path(__file__).with_name("replay.tcss")  # absolute: tests subclass the screen elsewhere
    HINT = "Tick rules (none = all), set Since, Ctrl+R starts; Enter on a rule shows its alerts per day."
    AUTO_FOCUS = "#replay-rules"  # not the Since box: keys work at once, Escape/Ctrl+R as shown
    MAIN_PANE = "#replay-table"  # where Escape takes the focus from an input
    COMPACT_WHEN_SHORT = "#replay-controls Input, #replay-controls Button"  # the form in 3 rows instead of 9
    BINDINGS: ClassVar = [
        Binding("ctrl+r", "start", "Start replay", id="replay_start"),
        Binding("escape", "cancel", "Cancel", id="replay_cancel"),
        Binding("a", "samples", "Sample alerts", id="replay_samples"),
    ]

    @dataclass(eq=False)
    class RulesLoaded(Message):
        rules: list[dict]

    @dataclass(eq=False)
    class Progress(Message):
        snap: dict

    @dataclass(eq=False)
    class Finished(Message):
        result: dict

    running: var[bool] = var(False, init=False)  # a replay is in flight: Start off, Cancel on
    status_text: var[str] = var("", init=False)

    def __init__(self) -> None:
        super().__init__()
        self._cancel: threading.Event | None = None
        self._samples: dict[str, list[dict]] = {}
        self._per_day: dict[str, dict[str, int]] = {}
        self._finished: dict[str, dict] | None = None  # per-rule results of the last replay that ended

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="replay-controls"):
            yield Label("Since")
            yield Input(value="14d", id="since", placeholder="30d / 2024-05-01")
            yield Label("Until")
            yield Input(value="", id="until", placeholder="now")
            yield Label("Workers")
            yield Input(value="", id="workers", type="integer", placeholder="per core")
            yield Label("Scheduler")
            yield Input(value="", id="scheduler", placeholder="local cluster")
            yield Checkbox("Resume", id="resume")
            yield Button("Start", id="start", variant="primary")
            yield Button("Cancel", id="cancel", variant="error", disabled=True)
        with Horizontal(id="replay-body"):
            yield SelectionList[str](id="replay-rules")
            with Vertical(id="replay-main"):
                yield Static(safe.content("Pick a range and rules, then start (Ctrl+R)."), id="replay-status")
                yield ProgressBar(id="replay-progress", show_eta=False, classes="-hidden")
                yield FitTable(flex={"rule": 24}, id="replay-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#replay-rules", SelectionList).border_title = safe.content("Rules (none ticked = all)")
        table = self.query_one("#replay-table", DataTable)
        table.add_column(COLUMNS[0], key="rule")  # gives way in a narrow pane: the counts stay whole
        table.add_columns(*COLUMNS[1:])
        defaults = self._config_defaults()
        if defaults.get("workers"):
            self.query_one("#workers", Input).value = str(defaults["workers"])
        if defaults.get("scheduler"):
            self.query_one("#scheduler", Input).value = defaults["scheduler"]
        if self.session.config.rules_dir is not None:
            self.load_rules()
        else:
            self.status_text = "No rules directory: set `rules:` in the config."

    def on_unmount(self) -> None:
        if self._cancel is not None:
            self._cancel.set()  # leaving the app: stop the cluster instead of leaving it running

    # -- the status line and the Start/Cancel buttons follow the reactive state ---------------------------------
    def watch_status_text(self, text: str) -> None:
        self.query_one("#replay-status", Static).update(safe.content(text, single_line=False))
        self.show_next()

    def watch_running(self, running: bool) -> None:
        self.query_one("#start", Button).disabled = running
        self.query_one("#cancel", Button).disabled = not running
        self.show_next()

    def next_step(self) -> str:
        alerts = sum(int(v.get("alerts") or 0) for v in self._finished.values()) if self._finished else 0
        return replay_next(rules_dir=self.session.config.rules_dir is not None,
                           rules=self.query_one("#replay-rules", SelectionList).option_count,
                           running=self.running, finished=self._finished is not None, alerts=alerts)

    def _config_defaults(self) -> dict:
        from workbench.errors import WorkbenchError
        from workbench.replay import options_from_config

        try:
            return options_from_config(self.session.config)
        except WorkbenchError as e:
            safe.notify(self.app, str(e), severity="warning")
            return {}

    # -- rules ---------------------------------------------------------------------------------------------------
    @work(thread=True, group="replay-rules", exclusive=True, exit_on_error=False, description="Load rules")
    def load_rules(self) -> None:
        from workbench.replay import replay_rules

        self.post_message(self.RulesLoaded(replay_rules(self.session.config)))

    def on_replay_screen_rules_loaded(self, message: RulesLoaded) -> None:
        picker = self.query_one("#replay-rules", SelectionList)
        picker.clear_options()
        for r in message.rules:
            label = safe.join((r["rule_id"], "bold"), "  ", (", ".join(r["log_types"]), "dim"))
            picker.add_option((label, r["rule_id"]))
        if not message.rules:
            self.status_text = f"No enabled rules in {self.session.config.rules_dir}."
        self.show_next()

    # -- run -----------------------------------------------------------------------------------------------------
    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_start(self) -> None:
        from workbench.errors import WorkbenchError
        from workbench.replay import ReplayOptions
        from workbench.source.window import parse_time

        if self.running:
            safe.notify(self.app, "A replay is already running; cancel it first (Escape).", severity="warning")
            return
        if self.session.source is None:
            safe.notify(self.app, "No source selected: pick one on the Sources screen (key 1).", severity="warning")
            return
        try:
            since = parse_time(self.query_one("#since", Input).value.strip() or None)
            until = parse_time(self.query_one("#until", Input).value.strip() or None)
            if since is None:
                raise WorkbenchError("Set Since (e.g. 30d or 2024-05-01): a replay needs the start of its range.")
            if until is not None and since >= until:
                raise WorkbenchError("Since must be before Until.")
            workers_text = self.query_one("#workers", Input).value.strip()
            workers = int(workers_text) if workers_text else None
            if workers is not None and workers < 1:
                raise WorkbenchError("Workers must be at least 1.")
        except (WorkbenchError, ValueError) as e:
            safe.notify(self.app, str(e), severity="error")
            return
        defaults = self._config_defaults()
        defaults.update({"workers": workers, "scheduler": self.query_one("#scheduler", Input).value.strip() or None})
        rule_ids = tuple(self.query_one("#replay-rules", SelectionList).selected)
        options = ReplayOptions(since=since, until=until, rule_ids=rule_ids,
                                resume=self.query_one("#resume", Checkbox).value, **defaults)
        self._reset_table()
        self.running = True
        self.status_text = "Starting …"
        self.query_one("#replay-table", DataTable).focus()  # Enter on a rule shows its alerts
        self._cancel = threading.Event()
        self.run_replay(options, self._cancel)

    def action_cancel(self) -> None:
        if self.running and self._cancel is not None:
            self._cancel.set()
            self.status_text = "Cancelling: stopping tasks and the cluster …"

    def _reset_table(self) -> None:
        self.query_one("#replay-table", DataTable).clear()
        self._samples = {}
        self._per_day = {}
        bar = self.query_one("#replay-progress", ProgressBar)
        bar.remove_class("-hidden")
        bar.update(total=None, progress=0)

    @work(thread=True, group="replay", exclusive=True, exit_on_error=False, description="Replay")
    def run_replay(self, options: ReplayOptions, cancel: threading.Event) -> None:
        from workbench.replay import run_replay

        last = [0.0]

        def progress(p: ReplayProgress) -> None:
            now = time.monotonic()
            if p.phase == "running" and now - last[0] < PROGRESS_EVERY and p.objects_done < p.objects_total:
                return
            last[0] = now
            self.post_message(self.Progress(snapshot(p)))

        result = run_replay(self.session.config, self.session.require_source(), options, on_progress=progress, cancel=cancel)
        self.post_message(self.Finished(result.to_json()))

    def on_replay_screen_progress(self, message: Progress) -> None:
        s = message.snap
        self.status_text = status_line(s)
        bar = self.query_one("#replay-progress", ProgressBar)
        if s["phase"] in ("running", "done") and s["objects_total"]:
            bar.update(total=s["objects_total"], progress=s["objects_done"])
        self._update_rows({rid: {**v, "dedup_groups": None, "alerts": None} for rid, v in s["rules"].items()})

    def on_replay_screen_finished(self, message: Finished) -> None:
        r = message.result
        self._finished = r["rules"]
        self.running = False
        self._update_rows({rid: {**v, "samples": v.get("alerts_sample", [])} for rid, v in r["rules"].items()})
        self._per_day = {rid: v.get("matches_per_day", {}) for rid, v in r["rules"].items()}
        rate = f", {r['events_per_s']:,.0f} events/s" if r.get("events_per_s") else ""
        head = "Cancelled" if r["cancelled"] else "Done"
        objects = ObjectOutcomes.from_json(r.get("object_problems") or {}).summary()
        outside = r.get("events_outside_window") or 0
        self.status_text = (f"{head}: {r['objects']:,}/{r['objects_total']:,} objects, {r['bytes'] / MiB:.1f} MiB, "
                            f"{r['events']:,} events in {r['run_s']:.1f} s{rate} on {plural(r['workers'], 'worker')}; "
                            f"{r['parse_errors']:,} parse errors, {r['errors']:,} object errors."
                            + (f" {outside:,} events outside the window not run." if outside else "")
                            + (f"\nObjects: {objects}." if objects else "")
                            + (f"\nResume later (tick Resume): results in {r['results_file']}." if r["cancelled"] else ""))
        bar = self.query_one("#replay-progress", ProgressBar)
        bar.update(total=max(1, r["objects_total"]), progress=r["objects"])

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The App turns the failure into a notification; here the screen only stops looking busy.
        if event.worker.group == "replay" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.running = False
            self.status_text = "The replay stopped: see the notification (Ctrl+E for details)."

    def _update_rows(self, rules: dict[str, dict]) -> None:
        table = self.query_one("#replay-table", DataTable)
        for rid in sorted(rules):
            v = rules[rid]
            if "samples" in v:
                self._samples[rid] = v["samples"]
            cells = (_number(v["matches"]), _number(v["errors"]), _number(v.get("dedup_groups")),
                     _number(v.get("alerts")))
            if rid in table.rows:
                for col, cell in zip(table.ordered_columns[1:], cells, strict=True):
                    table.update_cell(rid, col.key, cell)
            else:
                table.add_row(safe.cell(rid, "bold"), *cells, key=rid)

    # -- drill-down ----------------------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#replay-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._show_samples(str(event.row_key.value))

    def action_samples(self) -> None:
        table = self.query_one("#replay-table", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self._show_samples(str(key.value))

    def _show_samples(self, rule_id: str) -> None:
        body = samples_text(rule_id, self._samples.get(rule_id, []), self._per_day.get(rule_id))

        def to_rule() -> None:  # the next question: what does this rule look at (and its unit tests)
            self.app.update_session(extra={**self.session.extra, "focus_rule": rule_id})
            self.app.action_goto("rules")

        self.app.push_screen(DetailScreen(f"Sample alerts: {rule_id}", body,
                                          jump=(f"open {rule_id} on the Rules screen", to_rule)))
