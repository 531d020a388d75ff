"""Sources screen: the config's sources; the selected one's bucket, top-level prefixes with object counts and
log types, and the connection checklist. Counting and checking run in named thread workers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from screens.flow.base import WorkbenchScreen
from screens.presenters.next_steps import sources_next
from screens.shell import safe
from screens.shell.messages import GotoScreen, SessionUpdate
from screens.widgets.checklist import Checklist
from screens.widgets.table import Table
from workbench.files import human_size
from workbench.source.checks import CheckResult, PrefixCount
from workbench.wording import plural


class SourcesScreen(WorkbenchScreen):
    HELP = """
Sources: the log sources from your config file. Pick one on the left (Enter); the right shows its bucket,
the top-level prefixes with object counts and the log types configured for them, and the connection
checklist (identity, role, bucket, KMS, queue, SNS subscription, bucket notification), each with its fix.
Next: press 2 (Browse & sample) to look inside the bucket and sample a prefix.
"""
    CSS_PATH = Path(__file__).with_name("sources.tcss")  # absolute: tests subclass the screen elsewhere
    HINT = "Pick a source (Enter opens it in Browse); c checks the connection; the Next line says what comes after."
    MAIN_PANE = "#sources-list"  # where Escape takes the focus from an input
    BINDINGS: ClassVar = [
        Binding("c", "check", "Check connection", id="sources_check"),
        Binding("r", "refresh", "Recount objects", id="sources_refresh"),
        Binding("enter", "browse", "Browse source", id="sources_browse", show=False),
    ]

    @dataclass(eq=False)
    class OverviewRow(Message):
        source: str
        row: PrefixCount | None
        done: bool = False

    @dataclass(eq=False)
    class CheckDone(Message):
        source: str
        result: CheckResult | None

    def compose_body(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(id="sources-list")
            with VerticalScroll(id="source-detail"):
                yield Static(id="source-info")
                yield Static(safe.content("Top-level prefixes"), classes="pane-title")
                yield ProgressBar(id="overview-progress", show_eta=False, show_percentage=False)
                yield Table(id="prefix-table", cursor_type="row", zebra_stripes=True)
                yield Static(safe.content("Connection checklist"), classes="pane-title")
                with Vertical():
                    yield Checklist(id="checklist")
                yield Static(safe.content("Flagged objects in the sample"), classes="pane-title", id="flagged-title")
                yield Table(id="flagged-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        options = self.query_one("#sources-list", OptionList)
        options.border_title = safe.content("Sources")
        for name, s in self.session.config.sources.items():
            options.add_option(Option(safe.join((name, "bold"), "\n  ", s.bucket), id=name))
        table = self.query_one("#prefix-table", DataTable)
        table.add_columns("Prefix", "Objects", "Size", "Log types (config)")
        self.query_one("#flagged-table", DataTable).add_columns("Object", "Why")
        self._show_flagged()
        if not self.session.config.sources:
            self.query_one("#source-info", Static).update(safe.content(
                "No sources configured. Start with `workbench demo`, or pass --config FILE.", single_line=False))
            return
        names = list(self.session.config.sources)
        if self.session.source is not None:
            options.highlighted = names.index(self.session.source.name)
        options.focus()
        # after the first paint: the workers import boto3, which would otherwise delay it
        self.call_after_refresh(self.load_source)

    def session_changed(self, names: set[str]) -> None:
        if "source" in names:
            self.load_source()
        if "sample" in names:
            self._show_flagged()

    # -- onboarding: the next step, and what in the sample needs a look ---------------------------------------
    def next_step(self) -> str:
        s = self.session
        return sources_next(source=s.source is not None, sample=s.sample is not None, schema=s.schema is not None,
                            events=bool(s.events))

    def _show_flagged(self) -> None:
        """Objects of the last sample that decoded with repairs (invalid UTF-8, cut lines…) or failed."""
        table = self.query_one("#flagged-table", DataTable)
        table.clear()
        sample = self.session.sample
        rows = []
        if sample is not None:
            rows = [(f.ref.key, ", ".join(f.flags) + (f"; {'; '.join(f.notes)}" if f.notes else ""))
                    for f in sample.flagged()]
            rows += [(f.ref.key, f"not read: {f.message}") for f in sample.failures]
        for key, why in rows[:200]:
            table.add_row(safe.cell(key), safe.cell(why, limit=300), key=key)
        shown = bool(rows)
        table.display = shown
        self.query_one("#flagged-title").display = shown
        if shown:
            self.query_one("#flagged-title", Static).update(
                safe.content(f"Flagged objects in the sample: {len(rows)} (Enter shows an object's records)"))

    @on(DataTable.RowSelected, "#flagged-table")
    def _flagged_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        sample = self.session.sample
        records = [r for r in sample.records if r.key == key] if sample is not None else []
        from screens.modals.detail import DetailScreen

        body = "\n\n".join(f"line {r.line}" + (f"  flags: {', '.join(r.flags)}" if r.flags else "") + f"\n{r.text[:4000]}"
                           for r in records[:300]) or "No records were read from this object."

        def to_browse() -> None:
            self.app.action_goto("browse")
            self.app.call_after_refresh(self.app.run_action, "focus_groups", self.app.screen)

        self.app.push_screen(DetailScreen(f"{key}: {plural(len(records), 'record')}", body,
                                          jump=("the sample's records by format on Browse", to_browse)))

    # -- actions ---------------------------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#sources-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id
        if name and (self.session.source is None or self.session.source.name != name):
            self.post_message(SessionUpdate(source=self.session.config.sources[name], sample=None, detections=[],
                                            prefix=None))

    @on(OptionList.OptionSelected, "#sources-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_browse()

    def action_browse(self) -> None:
        self.post_message(GotoScreen("browse"))

    def action_check(self) -> None:
        if self.session.source is not None:
            self.query_one(Checklist).reset(running=True)
            self.run_checks()

    def action_refresh(self) -> None:
        if self.session.source is not None:
            self._start_overview()

    def load_source(self) -> None:
        s = self.session.source
        if s is None:
            return
        info = safe.join(
            ("Bucket ", "bold"), f"s3://{s.bucket}", ("   Region ", "bold"), s.region or "default",
            ("\nRole ", "bold"), s.role_arn or "(caller's credentials)",
            ("\nQueue ", "bold"), s.queue_url or "(none)", ("\nTopic ", "bold"), s.topic_arn or "(none)",
            *((("\nEndpoint ", "bold"), s.endpoint) if s.endpoint else ()),
        )
        self.query_one("#source-info", Static).update(info)
        self._start_overview()
        self.query_one(Checklist).reset(running=True)
        self.run_checks()

    def _start_overview(self) -> None:
        table = self.query_one("#prefix-table", DataTable)
        table.clear()
        bar = self.query_one("#overview-progress", ProgressBar)
        bar.remove_class("-hidden")
        bar.update(total=None, progress=0)
        self.count_objects()

    # -- workers ---------------------------------------------------------------------------------------------
    @work(thread=True, group="sources-overview", exclusive=True, exit_on_error=False, description="Count objects")
    def count_objects(self) -> None:
        from workbench.source.checks import bucket_overview

        worker = get_current_worker()
        source = self.session.require_source()
        aws = self.session.aws()
        try:
            bucket_overview(aws, source, cancel=lambda: worker.is_cancelled,
                            progress=lambda row: self.post_message(self.OverviewRow(source.name, row)))
        finally:
            self.post_message(self.OverviewRow(source.name, None, done=True))

    @work(thread=True, group="sources-check", exclusive=True, exit_on_error=False, description="Connection check")
    def run_checks(self) -> None:
        from workbench.events.config_check import mapping_checks
        from workbench.source.checks import iter_checks

        worker = get_current_worker()
        source = self.session.require_source()
        try:
            for result in iter_checks(self.session.aws(), source, cancel=lambda: worker.is_cancelled):
                self.post_message(self.CheckDone(source.name, result))
            if not worker.is_cancelled:
                # the prefix → log type mapping: a missing schema (with the close match), overlaps, unmapped folders
                for result in mapping_checks(self.session.config, source, self.session.aws()):
                    self.post_message(self.CheckDone(source.name, result))
        finally:
            self.post_message(self.CheckDone(source.name, None))

    def on_sources_screen_overview_row(self, message: OverviewRow) -> None:
        if self.session.source is None or message.source != self.session.source.name:
            return
        row = message.row
        if message.done or row is None:
            self.query_one("#overview-progress", ProgressBar).add_class("-hidden")
            return
        types = sorted({t for m in self.session.source.prefixes if m.prefix.startswith(row.prefix)
                        or row.prefix.startswith(m.prefix) for t in m.log_types})
        count = f"{row.objects:,}{'+' if row.capped else ''}"
        self.query_one("#prefix-table", DataTable).add_row(
            safe.cell(row.prefix, "bold"), safe.cell(count), safe.cell(human_size(row.bytes)),
            safe.cell(", ".join(types) or "—"), key=row.prefix)

    def on_sources_screen_check_done(self, message: CheckDone) -> None:
        if self.session.source is None or message.source != self.session.source.name:
            return
        checklist = self.query_one(Checklist)
        if message.result is None:
            checklist.finish()
            if checklist.failed:
                safe.notify(self.app, f"{plural(checklist.failed, 'connection check')} failed; "
                            "see the fixes on the Sources screen.", severity="warning")
        else:
            checklist.add(message.result)
