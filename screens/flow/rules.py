"""Rules screen: the detection rules for the current log type run over the session's parsed events, with
per-rule match, alert and error counts; per rule the matched events (title, dedup, severity, alert context)
and the errors (message, traceback, the rule's captured output); the rule's unit tests; the rule opened in
`$EDITOR`; and an automatic re-run when a rule, helper or data-model file changes.

The rule engine and the thread workers that call it (rules-run, rules-tests, rules-watch) are the base
class, in `rules_run.py`; the tables' rows and the status line are built in screens/presenters/rules_table.py.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from screens.flow.rules_run import RulesRunScreen
from screens.presenters.next_steps import RulesState, rules_next
from screens.presenters.rules_table import empty_note, result_cells, rule_cells, status_text
from screens.presenters.rules_view import (
    RuleRun,
    describe_changes,
    log_types_label,
    result_detail,
    rule_info,
    tests_detail,
)
from screens.shell import safe
from screens.widgets.fit_table import FitTable
from workbench.wording import plural

if TYPE_CHECKING:
    from rich.text import Text

    from workbench.detections import RuleResult, RuleSpec

WATCH_INTERVAL = 1.0  # seconds between checks of the rule files


class RulesScreen(RulesRunScreen):
    HELP = """
Rules: the detection rules whose LogTypes include the log type of the parsed events (make them on the Schema
screen, key 3) run over every event of the sample, in a separate process. The table on the left shows each
rule's matches, alerts (matches grouped by dedup string and threshold, as Panther groups them) and errors.
Highlight a rule to see its matched events and errors on the right; highlight one of those to see its title,
dedup string, severity and alert context, or the error's traceback and what the rule printed. Enter on a rule
shows what it is and what decides a match (the Rule pane, folded on a narrow terminal); Enter on a match or
error shows it in full. On a narrow terminal the long rule ids and titles give way so the counts stay whole.
While the rules run, the status line shows the events done; Escape stops the run within a second and keeps
what it found so far, marked partial. A rule whose calls time out or crash the rule process three times is
suspended for the rest of the run (its row says so, with the events it was not run on).
r runs the rules again; u runs the highlighted rule's unit tests (U: every rule's); o opens the rule in
$EDITOR and re-runs when you come back. Saving a rule file from anywhere re-runs the rules automatically (and
the unit tests, when their report is showing).
"""
    CSS_PATH = Path(__file__).with_name("rules.tcss")  # absolute: tests subclass the screen elsewhere
    HINT = "Highlight a rule for its matches and errors; u runs its unit tests; o opens it in $EDITOR."
    MAIN_PANE = "#rules-table"  # where Escape takes the focus from an input
    BINDINGS: ClassVar = [
        Binding("r", "run", "Run rules", id="rules_run", tooltip="Run the rules over the session's events again"),
        Binding("u", "test", "Unit tests", id="rules_test", tooltip="Run the highlighted rule's unit tests"),
        Binding("U", "test_all", "All tests", id="rules_test_all", show=False, tooltip="Run every listed rule's unit tests"),
        Binding("o", "edit", "Open in $EDITOR", id="rules_edit", tooltip="Edit the highlighted rule's Python file"),
        Binding("escape", "cancel", "Cancel", id="rules_cancel", show=False, tooltip="Stop a running rule run"),
        Binding("left_square_bracket", "focus_rules", "Rules", id="rules_focus_rules", show=False),
        Binding("right_square_bracket", "focus_results", "Results", id="rules_focus_results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run_result: RuleRun | None = None
        self.rule_id: str | None = None  # highlighted rule
        self.results: list[RuleResult] = []  # listed on the right
        self._events_seen: list[dict] | None = None  # the session's events last run (compared by identity)
        self._running = False
        self._watching = False
        self._tests_shown: list[str] | None = None  # rules whose unit-test report is in the detail pane
        self._changed_note: str | None = None  # rule files changed on disk since the last run: what changed

    # -- layout ----------------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static(id="rules-status")
        with Horizontal():
            with Vertical(id="rules-left"):
                yield FitTable(flex={"rule": 24}, id="rules-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="rules-info-scroll"):
                    yield Static(id="rules-info")
            with Vertical(id="rules-right"):
                yield FitTable(flex={"dedup": 12, "title": 24}, id="rules-results", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="rules-detail-scroll"):
                    yield Static(id="rules-detail")

    def on_mount(self) -> None:
        rules = self.query_one("#rules-table", DataTable)
        rules.border_title = safe.content("Rules")
        rules.add_column("Rule", key="rule")  # gives way at 80 columns: the counts after it stay whole
        rules.add_columns("Severity", "Matched", "Alerts", "Errors", "Tests")
        results = self.query_one("#rules-results", DataTable)
        results.border_title = safe.content("Matches and errors")
        results.add_column("")
        results.add_column("Title / error", key="title")  # gives way after Dedup: severity and time stay whole
        results.add_column("Dedup", key="dedup")  # gives way first, then the title
        results.add_columns("Severity", "Event time")
        self.query_one("#rules-info-scroll").border_title = safe.content("Rule")
        self.query_one("#rules-detail-scroll").border_title = safe.content("Detail")
        self._status()
        self.set_interval(WATCH_INTERVAL, self._watch)
        self._maybe_run("events")

    def on_screen_resume(self) -> None:
        wanted = self.session.extra.pop("focus_rule", None)  # a jump from another screen (a Live alert)
        if wanted:
            self.rule_id = wanted
            self._fill_rules()
            self.query_one("#rules-table").focus()
            # after the refill's own highlight events, which would otherwise put the cursor back on row 0
            self.call_after_refresh(self._focus_rule, wanted)
        self._maybe_run("events")

    def session_changed(self, names: set[str]) -> None:
        if "events" in names and self.is_current:
            self._maybe_run("events")

    def _maybe_run(self, reason: str) -> None:
        events = self.session.events
        if events is self._events_seen:
            return
        self._events_seen = events
        self._start_run("changed" if self._changed_note and events else reason)

    # -- running the rules -----------------------------------------------------------------------------------
    def action_run(self) -> None:
        self._events_seen = self.session.events
        self._start_run("by hand")

    def _start_run(self, reason: str) -> None:
        if not self.session.events:
            self.run_result = None
            self._fill_rules()
            self._status()
            return
        self._running = True
        if reason == "changed" and self._changed_note:  # the run says which edits it picks up
            reason, self._changed_note = f"changed on disk: {self._changed_note}", None
        self._status(f"running the rules over {len(self.session.events):,} events… · Esc cancels")
        self.run_rules(list(self.session.events), self.session.log_type, reason)

    def on_rules_run_screen_progressed(self, message: RulesRunScreen.Progressed) -> None:
        if not self._running:
            return
        note = f"running the rules: {message.done:,} of {message.total:,} events"
        if message.suspended:
            note += f", {plural(message.suspended, 'rule')} suspended"
        self._status(note + " · Esc cancels")

    def on_rules_run_screen_ran(self, message: RulesRunScreen.Ran) -> None:
        self._running = False
        self.run_result = message.run
        retest = self._tests_shown if message.reason.startswith("changed") else None
        self._fill_rules()
        if retest:  # the user was reading a test report when the files changed: bring it up to date
            self._status("running the unit tests again…")
            self.run_tests(retest)
            return
        run = message.run
        note = (f"cancelled: partial results over the first {run.done:,} of {run.events:,} events"
                if run.cancelled else "")
        if run.suspended:
            note = "; ".join(filter(None, [note, f"suspended (kept failing): {', '.join(sorted(run.suspended))}"]))
        if message.reason.startswith("changed") and not run.cancelled:
            what = message.reason.removeprefix("changed on disk: ")
            note = "; ".join(filter(None, [f"rule files reloaded and re-run ({what})",
                                           note if run.suspended else ""]))
        self._status(note)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group in ("rules-run", "rules-tests") and event.state in (WorkerState.ERROR,
                                                                                   WorkerState.CANCELLED):
            self._running = False
            self._status()

    def action_cancel(self) -> None:
        if self._running:
            self.workers.cancel_group(self, "rules-run")
            safe.notify(self.app, "Stopping the rule run: the results so far are kept, marked partial.")

    def _fill_rules(self) -> None:
        table = self.query_one("#rules-table", DataTable)
        table.clear()
        run = self.run_result
        if run is None:
            self._fill_results()
            return
        for spec in run.specs:
            table.add_row(*rule_cells(spec, run), key=spec.rule_id)
        table.border_title = safe.content(f"Rules for {log_types_label(run.log_types)} ({len(run.specs)})")
        ids = [s.rule_id for s in run.specs]
        if self.rule_id in ids:
            table.move_cursor(row=ids.index(self.rule_id))
            # the refill posts its own highlight of row 0, handled later: put the cursor back after it
            self.call_after_refresh(self._focus_rule, self.rule_id)
        elif ids:
            self.rule_id = ids[0]
        self._fill_results()

    def _focus_rule(self, rule_id: str) -> None:
        table = self.query_one("#rules-table", DataTable)
        if rule_id in table.rows:
            table.move_cursor(row=table.get_row_index(rule_id))

    @on(DataTable.RowHighlighted, "#rules-table")
    def _rule_highlighted(self, event: DataTable.RowHighlighted) -> None:
        rule_id = event.row_key.value if event.row_key is not None else None
        if rule_id != self.rule_id:
            self.rule_id = rule_id
            self._fill_results()

    def _spec(self) -> RuleSpec | None:
        run = self.run_result
        if run is None or self.rule_id is None:
            return None
        return next((s for s in run.specs if s.rule_id == self.rule_id), None)

    def _fill_results(self) -> None:
        table = self.query_one("#rules-results", DataTable)
        table.clear()
        spec = self._spec()
        run = self.run_result
        info = self.query_one("#rules-info", Static)
        if spec is None or run is None:
            self.results = []
            info.update(safe.text(empty_note(len(self.session.events), run, self.session.config.rules_dir), "dim"))
            self.query_one("#rules-detail", Static).update(safe.content(""))
            return
        info.update(rule_info(spec, run, self.session.config.rules_dir))
        self.results = run.errors.get(spec.rule_id, []) + run.matches.get(spec.rule_id, [])
        for i, r in enumerate(self.results):
            table.add_row(*result_cells(r), key=str(i))
        shown = len(self.results)
        total = run.count(spec.rule_id, "matches") + run.count(spec.rule_id, "errors")
        more = f" (first {shown:,} of {total:,})" if total > shown else ""
        table.border_title = safe.content(f"{spec.rule_id}: matches and errors{more}")
        self._detail()

    @on(DataTable.RowHighlighted, "#rules-results")
    def _result_highlighted(self) -> None:
        # A test report stays until the user moves in the results: refilling the table after a file change
        # highlights a row too, and that can arrive after the re-run tests' report (a race seen under load).
        if self._tests_shown is not None and not self.query_one("#rules-results", DataTable).has_focus:
            return
        self._detail()

    @on(DataTable.RowSelected, "#rules-table")
    def _rule_selected(self) -> None:
        """Enter on a rule: what it is, its file, log types and what decides a match, in full (the Rule pane
        beside the list folds on a narrow terminal, so this is the way in there)."""
        spec = self._spec()
        if spec is None:
            return
        from screens.modals.detail import DetailScreen

        self.app.push_screen(DetailScreen(
            f"Rule {spec.rule_id}", rule_info(spec, self.run_result, self.session.config.rules_dir),
            jump=("its matches and errors", self.action_focus_results),
            more=[("o", f"open {spec.py_path.name} in $EDITOR", self.action_edit),
                  ("u", "run its unit tests", self.action_test)]))

    @on(DataTable.RowSelected, "#rules-results")
    def _result_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a match or error: it in full, paged through the rule's others, with jumps to the
        event on the Events screen and to the rule's file."""
        spec = self._spec()
        if spec is None or not self.results:
            return
        from screens.modals.detail_pages import PagedDetailScreen

        results = self.results  # a refill (a re-run) replaces the list: the cursor then stays where it is
        table = self.query_one("#rules-results", DataTable)

        def render(i: int) -> tuple[str, Text]:
            r = results[i]
            return f"{spec.rule_id}: {'error' if r.error else 'match'}", result_detail(r)

        def follow(i: int) -> None:  # the table's cursor follows the paging, so Escape returns to that row
            if self.results is results and i < table.row_count:
                table.move_cursor(row=i)

        self.app.push_screen(PagedDetailScreen(
            render, len(results), event.cursor_row, on_close=follow,
            jumps=[("enter", "this event on the Events screen", lambda i: self._show_event(results[i].event)),
                   ("o", f"open {spec.py_path.name} in $EDITOR", lambda i: self.action_edit())]))

    def _show_event(self, event: object) -> None:
        row_id = event.get("p_row_id") if isinstance(event, dict) else None
        if not row_id:
            safe.notify(self.app, "This event has no p_row_id to find it by on the Events screen.", severity="warning")
            return
        self.app.update_session(extra={**self.session.extra, "events_filter": f'p_row_id = "{row_id}"'})
        self.app.action_goto("events")

    def _detail(self) -> None:
        self._tests_shown = None
        self.query_one("#rules-detail-scroll").border_title = safe.content("Detail")
        table = self.query_one("#rules-results", DataTable)
        detail = self.query_one("#rules-detail", Static)
        if not self.results:
            spec = self._spec()
            detail.update(safe.text(f"{spec.rule_id} matched none of the events and raised no error." if spec else "",
                                    "dim"))
            return
        row = min(max(table.cursor_row, 0), len(self.results) - 1)
        detail.update(result_detail(self.results[row]))

    def _objects_summary(self) -> str:
        """How the sampled objects behind the session's events decoded ("" when all read cleanly)."""
        from workbench.events.outcomes import ObjectOutcomes

        sample = self.session.sample
        return ObjectOutcomes.of_sample(sample).summary() if sample is not None else ""

    def next_step(self) -> str:
        run = self.run_result
        return rules_next(RulesState(
            events=len(self.session.events), running=self._running, ran=run is not None,
            rules=len(run.specs) if run else 0,
            firing=sum(1 for s in run.specs if run.count(s.rule_id, "matches")) if run else 0,
            errors=sum(run.count(s.rule_id, "errors") for s in run.specs) if run else 0,
            invalid=len(run.invalid) if run else 0))

    def _status(self, note: str = "") -> None:
        self.show_next()
        self.query_one("#rules-status", Static).update(
            status_text(self.run_result, len(self.session.events), self._objects_summary(), note))

    # -- unit tests ------------------------------------------------------------------------------------------
    def action_test(self) -> None:
        spec = self._spec()
        if spec is None:
            safe.notify(self.app, "No rule highlighted.", severity="warning")
            return
        self._status(f"running the unit tests of {spec.rule_id}…")
        self.run_tests([spec.rule_id])

    def action_test_all(self) -> None:
        if self.run_result is None or not self.run_result.specs:
            safe.notify(self.app, "No rules listed.", severity="warning")
            return
        self._status("running the unit tests of every listed rule…")
        self.run_tests([s.rule_id for s in self.run_result.specs])

    def on_rules_run_screen_tested(self, message: RulesRunScreen.Tested) -> None:
        self._tests_shown = message.rule_ids
        self.query_one("#rules-detail", Static).update(tests_detail(message.report, message.rule_ids,
                                                                    self.session.config.rules_dir))
        self.query_one("#rules-detail-scroll").border_title = safe.content("Unit tests")
        cases = [c for r in message.report.rules for c in r.cases]
        failed = sum(not c.passed for c in cases)
        self._status(f"unit tests: {len(cases) - failed} of {len(cases)} passed")

    # -- $EDITOR and file changes ----------------------------------------------------------------------------
    def action_edit(self) -> None:
        spec = self._spec()
        if spec is None:
            safe.notify(self.app, "No rule highlighted.", severity="warning")
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        from textual.app import SuspendNotSupported

        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(editor), str(spec.py_path)])
        except SuspendNotSupported:
            safe.notify(self.app, f"Cannot hand the terminal to an editor here; edit {spec.py_path} yourself "
                        "(the rules re-run when it changes).", severity="warning")
        except OSError as e:
            safe.notify(self.app, f"Could not start {editor}: {e}. Set $EDITOR.", severity="error")
        self._watch()

    def _watch(self) -> None:
        if self.engine is None or self._watching or self._running:
            return
        self._watching = True
        self.check_files()

    def on_rules_run_screen_files_changed(self, message: RulesRunScreen.FilesChanged) -> None:
        self._watching = False
        if not message.files:
            return
        what = describe_changes(message.files, message.added, message.removed, self.session.config.rules_dir)
        self._changed_note = what if self._changed_note is None else f"{self._changed_note}; {what}"
        if not self.is_current:
            self._events_seen = None  # run again when the user comes back (the status line says why)
            return
        safe.notify(self.app, f"Rule files changed on disk ({what}); running the rules again.")
        self._events_seen = self.session.events
        self._start_run("changed")

    # -- focus -----------------------------------------------------------------------------------------------
    def action_focus_rules(self) -> None:
        self.query_one("#rules-table").focus()

    def action_focus_results(self) -> None:
        self.query_one("#rules-results").focus()
