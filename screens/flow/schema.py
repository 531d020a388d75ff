"""Schema screen: the schema inferred from the session's sample, in a YAML editor that validates as you type
and re-parses every sample record (debounced) after each edit, with a field panel (statistics, histogram, why
each type was chosen). This module chooses the records to start from and infers, and links the field panel
to the editor; validating and re-parsing after each edit are in `schema_reparse.py` (its base class), and
saving, the watch on the saved file and schema tests in `schema_file.py` (the base of that); the words it
shows are in screens/presenters/schema_status.py.

Every slow step is one core call in a named thread worker: `infer_schema` (group schema-infer), validate +
`compile_parser` + parse (schema-validate, schema-parse), the save (schema-save) and the schema tests (schema-tests, in the
Tests tab's widget). After a re-parse of a valid schema the events and parse errors go into the session, so
the Events and Rules screens see them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import var
from textual.widgets import Select, Static, TabbedContent, TabPane, TextArea
from textual.worker import get_current_worker

from screens.flow.schema_file import DIRTY_KEY
from screens.flow.schema_reparse import SchemaReparseScreen
from screens.modals.confirm import ConfirmScreen
from screens.modals.field_type_picker import FieldTypePicker
from screens.presenters.next_steps import schema_next
from screens.presenters.schema_status import inference_notices, start_notices, status_text
from screens.presenters.schema_support import (
    RecordGroup,
    field_lines,
    group_for,
    path_at_line,
    record_groups,
    set_field_type,
    starting_point,
    with_detected,
    with_saved,
)
from screens.shell import safe
from screens.shell.latest import Latest
from screens.widgets.field_panel import FieldPanel
from screens.widgets.schema_editor import SchemaEditor
from screens.widgets.schema_parse_view import SchemaParseView
from screens.widgets.schema_samples import SchemaSamples
from screens.widgets.schema_tests_view import SchemaTestsView
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.infer import InferenceResult

__all__ = ["DIRTY_KEY", "SchemaScreen", "inference_notices"]

DISK_CHECK = 1.0  # seconds between checks that the file behind the editor is unchanged on disk


class SchemaScreen(SchemaReparseScreen):
    AUTO_FOCUS = "#field-table"  # not the editor: digits and letters stay screen keys until the user edits
    HELP = """
Schema: the schema inferred from the sample you took on Browse & sample (key 2). Pick which records it
describes in "Start from" (i: one configured log type, one detected format, or the whole sample; the group
you highlighted on Browse is chosen for you), open the saved schema of that log type there to edit it
against the same records, or start from Panther's managed schema of a detected format (syslog, Apache/nginx,
ALB, VPC flow, S3 access, CloudTrail …). Edit the YAML on the left: it is
validated as you type (the error's line is marked and shown as line:column below the editor) and, after a
short pause, every sample record is re-parsed — the counts and each failing line with its field and reason
are in the Failures tab (x): the raw line shows under the list, and Enter takes the editor to that field.
The Fields panel lists every field with its statistics and why inference chose its type: highlight one and
press Enter to jump to it in the editor, or t to pick a new type from a list.
Ctrl+S saves to the config's schema directory (asking before it overwrites, with a diff). In the Samples tab,
Space selects records and Ctrl+L adds them as schema tests; Ctrl+O runs the saved schema's tests.
Escape leaves the editor so single-letter keys work. Next: 4 (Events) shows the parsed events with p_ fields,
5 (Rules) runs the detection rules on them.
"""
    CSS_PATH = Path(__file__).with_name("schema.tcss")  # absolute: tests subclass the screen elsewhere
    HINT = "e edits the YAML and every sample re-parses; f lists fields (Enter jumps, t retypes); Ctrl+S saves."
    MAIN_PANE = "#field-table"  # where Escape takes the focus from an input
    COMPACT_WHEN_SHORT = "#schema-group"  # a short terminal: "Start from" takes one row, the editor keeps two more
    BINDINGS: ClassVar = [
        Binding("ctrl+s", "save", "Save", id="schema_save", tooltip="Save the schema to the schema directory"),
        Binding("ctrl+r", "reinfer", "Re-infer", id="schema_reinfer", show=False,
                tooltip="Infer the schema again from the sample"),
        Binding("ctrl+n", "next_problem", "Next problem", id="schema_next_problem", show=False,
                tooltip="Move the editor's cursor to the next validation problem"),
        Binding("ctrl+l", "add_tests", "Add tests", id="schema_add_tests", show=False,
                tooltip="Add the selected sample records (Samples tab) as schema tests"),
        Binding("ctrl+o", "run_tests", "Run tests", id="schema_run_tests", show=False, tooltip="Run the saved schema's tests"),
        Binding("t", "pick_type", "Set type", id="schema_pick_type", show=False,
                tooltip="Pick a new type for the highlighted field"),
        Binding("i", "focus_group", "Start from", id="schema_focus_group",
                tooltip="Choose the records to infer from, or open the saved schema of that log type"),
        Binding("e", "focus_editor", "Editor", id="schema_focus_editor", tooltip="Focus the YAML editor"),
        Binding("f", "focus_fields", "Fields", id="schema_focus_fields", tooltip="Focus the field list"),
        Binding("x", "focus_failures", "Failures", id="schema_focus_failures", show=False,
                tooltip="Show the failing lines of the last re-parse"),
        Binding("m", "focus_samples", "Samples", id="schema_focus_samples", show=False,
                tooltip="Show the sample records, to pick schema tests"),
    ]

    # what the status lines show; each change re-renders them (watch_* below): `group` and `inference` from
    # SchemaReparseScreen, `schema`, `problems` and `note` from SchemaFileScreen
    unsaved: var[bool] = var(False, init=False)

    # -- messages from the workers ---------------------------------------------------------------------------
    @dataclass(eq=False)
    class Inferred(Message):
        token: int
        group: RecordGroup
        result: InferenceResult | None
        text: str

    @dataclass(eq=False)
    class InferFailed(Message):
        token: int
        message: str

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[RecordGroup] = []
        self._inference = Latest()  # the newest inference (or opened file) wins
        self._sample = None

    # -- layout ----------------------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static(id="schema-status")
        with Horizontal():
            with Vertical(id="schema-left"):
                with Horizontal(id="schema-group-row"):
                    yield Static(safe.content("Start from"))
                    yield Select([], id="schema-group", allow_blank=True, prompt="(nothing chosen)")
                yield SchemaEditor(id="schema-editor")
                yield Static(id="schema-problems")
            with Vertical(id="schema-right"):
                yield FieldPanel(id="field-panel")
                with TabbedContent(id="schema-tabs"):
                    with TabPane(safe.content("Failures"), id="tab-failures"):
                        yield SchemaParseView(id="schema-parse")
                    with TabPane(safe.content("Samples"), id="tab-samples"):
                        yield SchemaSamples(id="schema-samples")
                    with TabPane(safe.content("Tests"), id="tab-tests"):
                        yield SchemaTestsView(id="schema-tests-scroll")

    def on_mount(self) -> None:
        self.query_one(SchemaEditor).border_title = safe.content("Schema YAML")
        self.app.dirty.on_change(lambda registry: setattr(self, "unsaved", registry.is_dirty(DIRTY_KEY)))
        self._render_status()
        self._show_problems()
        self._load_sample()
        self._adopt_session_schema()
        self.set_interval(DISK_CHECK, self._check_disk)

    def on_screen_resume(self) -> None:
        if "focus_field" not in self.session.extra:
            return
        wanted = self.session.extra.pop("focus_field")  # a jump from a parse failure on Events
        log_type = self.session.extra.pop("focus_log_type", None)
        current = self.schema.name if self.schema else (self.group.name if self.group else None)
        if log_type and current and log_type != current:
            safe.notify(self.app, f"That line is {log_type}; the editor holds {current}: pick {log_type} in "
                        "Start from (i).", severity="warning")
            self.action_focus_group()
        elif wanted:
            self._jump_to_field(wanted)
        else:
            self.action_focus_editor()

    def session_changed(self, names: set[str]) -> None:
        if "sample" in names:
            self._load_sample()
        elif "detection" in names:
            self._follow_highlight()
        if "schema" in names:
            self._adopt_session_schema()

    def _adopt_session_schema(self) -> None:
        """A schema another screen put in the session (Live's drift patch) opens here as an unsaved edit.

        Our own re-parses publish `self.schema` itself, so those echoes are recognised and ignored.
        """
        schema = self.session.schema
        if schema is None or schema is self.schema:
            return
        from workbench.schema import dump_schema

        self._inference.supersede()  # an inference still running must not replace it when it lands
        self.schema = schema
        self._set_text(dump_schema(schema))
        self.app.dirty.mark(DIRTY_KEY, f"schema {schema.name} (opened from another screen) is not saved",
                            text=self._editor_text)
        self.note = f"opened {schema.name} from another screen; Ctrl+S saves it"
        self._schedule_reparse(0)

    # -- choosing what to infer from -------------------------------------------------------------------------
    def _load_sample(self) -> None:
        sample = self.session.sample
        if sample is self._sample:
            return
        self._sample = sample
        select = self.query_one("#schema-group", Select)
        if sample is None or not sample.records:
            self.groups = []
            select.set_options([])
            self.note = ""
            return
        dirs = self.session.config.schema_dirs
        groups = record_groups(sample.records, self.session.source, self.session.prefix)
        self.groups = with_saved(with_detected(groups, sample.records, self.session.detections, dirs), dirs)
        select.set_options((safe.content(g.label), i) for i, g in enumerate(self.groups))
        wanted = self._wanted_group()
        if self.app.dirty.is_dirty(DIRTY_KEY):
            safe.notify(self.app, "A new sample arrived; your schema edits are kept. Ctrl+R infers from the new sample.")
            select.value = wanted
            self.group = self.groups[wanted]
            self.query_one(SchemaSamples).show_records(self.group.records)
            self._schedule_reparse(0)
            return
        select.value = wanted  # its Changed arrives after self.group is set, so it starts nothing
        self._start_infer(self.groups[wanted])

    def _wanted_group(self) -> int:
        """The group to start from: the detected group highlighted on Browse, else the log type being worked
        on, else the first (the largest configured log type)."""
        highlighted = group_for(self.groups, self.session.detection)
        if highlighted is not None:
            return highlighted
        return next((i for i, g in enumerate(self.groups) if g.name == self.session.log_type and g.opens_file is None), 0)

    def _follow_highlight(self) -> None:
        """A group highlighted on Browse becomes what the editor infers from, unless edits would be lost."""
        wanted = group_for(self.groups, self.session.detection)
        if wanted is None or self.groups[wanted] is self.group or self.app.dirty.is_dirty(DIRTY_KEY):
            return
        self.query_one("#schema-group", Select).value = wanted  # its Changed starts the inference

    @on(Select.Changed, "#schema-group")
    def _group_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, int) or not self.groups:
            return
        group = self.groups[event.value]
        if group is self.group:
            return
        if self.app.dirty.is_dirty(DIRTY_KEY):
            def answer(yes: bool | None) -> None:
                if yes:
                    self._start_infer(group)
                elif self.group is not None:
                    self.query_one("#schema-group", Select).value = self.groups.index(self.group)
            self.app.push_screen(ConfirmScreen("Drop your unsaved edits?", [group.label]), answer)
            return
        self._start_infer(group)

    def action_reinfer(self) -> None:
        group = self.group
        if group is None:
            safe.notify(self.app, "No sample yet: sample a prefix on Browse & sample (key 2) first.", severity="warning")
            return
        if self.app.dirty.is_dirty(DIRTY_KEY):
            def answer(yes: bool | None) -> None:
                if yes:
                    self._start_infer(group)
            self.app.push_screen(ConfirmScreen("Infer again and drop your unsaved edits?"), answer)
            return
        self._start_infer(group)

    def _start_infer(self, group: RecordGroup) -> None:
        self.group = group
        token = self._inference.next()
        self.query_one(SchemaSamples).show_records(group.records)
        self.query_one(SchemaParseView).show_note(f"inferring a schema from {len(group.records):,} records…")
        what = (f"opening {group.saved.name}" if group.saved else f"starting from {group.managed.stem}" if group.managed
                else f"inferring {group.name}")
        self.note = f"{what} from {len(group.records):,} records…"
        self.infer(token, group)

    @work(thread=True, group="schema-infer", exclusive=True, exit_on_error=False, description="Infer schema")
    def infer(self, token: int, group: RecordGroup) -> None:
        try:
            result, text = starting_point(group)
        except WorkbenchError as e:
            self.post_message(self.InferFailed(token, str(e)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Inferred(token, group, result, text))

    def on_schema_screen_infer_failed(self, message: InferFailed) -> None:
        if self._inference.is_current(message.token):
            self.note = ""
            self.query_one(SchemaParseView).show_note(message.message)
            safe.notify(self.app, message.message, severity="error")

    def on_schema_screen_inferred(self, message: Inferred) -> None:
        if not self._inference.is_current(message.token):
            return
        self.inference = message.result
        self.baseline = message.text
        self.schema = None
        self.app.dirty.clear(DIRTY_KEY)
        self._disk.watch(message.group.saved)
        self._set_text(message.text)
        self.note = ""
        self._schedule_reparse(0)
        for text, severity in start_notices(message.group, message.result):
            safe.notify(self.app, text, severity=severity, timeout=None if severity == "information" else 12)

    # -- editing: validate and re-parse ----------------------------------------------------------------------
    # -- status lines: rendered from the reactive state above, never refreshed by hand --------------------------
    def watch_note(self) -> None:
        self._render_status()
        self.show_next()

    watch_group = watch_inference = watch_unsaved = watch_note

    def watch_schema(self) -> None:
        self._render_status()
        self._show_problems()
        self.show_next()

    def watch_problems(self) -> None:
        self.query_one(SchemaEditor).set_problems(self.problems)
        self._show_problems()
        self.show_next()

    def next_step(self) -> str:
        return schema_next(sample=self.group is not None or self.session.sample is not None,
                           schema=self.schema is not None, problems=len(self.problems),
                           failures=len(self.session.parse_errors), unsaved=self.unsaved)

    def _render_status(self) -> None:
        self.query_one("#schema-status", Static).update(
            status_text(self.group, self.schema, self.inference, self.unsaved, self.note))

    def action_next_problem(self) -> None:
        placed = [p for p in self.problems if p.line > 0]
        if not placed:
            safe.notify(self.app, "No problems with a line to go to." if self.problems else "The schema is valid.")
            return
        editor = self.query_one(SchemaEditor)
        row = editor.cursor_location[0] + 1
        target = next((p for p in placed if p.line > row), placed[0])
        editor.focus()
        editor.goto_line(target.line, target.column)

    # -- field panel <-> editor ------------------------------------------------------------------------------
    @on(TextArea.SelectionChanged, "#schema-editor")
    def _cursor_moved(self, event: TextArea.SelectionChanged) -> None:
        editor = self.query_one(SchemaEditor)
        if not editor.has_focus:
            return
        path = path_at_line(editor.text, editor.cursor_location[0] + 1)
        if path:
            self.query_one(FieldPanel).select(path)

    def on_field_panel_jump(self, message: FieldPanel.Jump) -> None:
        self._jump_to_field(message.path)

    def on_schema_parse_view_field_wanted(self, message: SchemaParseView.FieldWanted) -> None:
        self._jump_to_field(message.path)

    def _jump_to_field(self, wanted: str) -> None:
        """Put the editor's cursor at the end of the field's `type:` line (a failure names `a.b[2].c`)."""
        wanted = re.sub(r"\[\d+\]", "[]", wanted)
        editor = self.query_one(SchemaEditor)
        for line, path, type_line in field_lines(editor.text):
            if path == wanted:
                editor.focus()
                target = type_line or line
                editor.goto_line(target, len(editor.document.get_line(target - 1)) + 1)
                return
        safe.notify(self.app, "That field is not in the editor's text any more.", severity="warning")

    def action_pick_type(self) -> None:
        view = self.query_one(FieldPanel).current
        if view is None:
            safe.notify(self.app, "No field highlighted: focus the Fields panel (f) and pick one.", severity="warning")
            return

        def chosen(new_type: str | None) -> None:
            if new_type and new_type != view.type:
                self._retype(view.path, new_type)

        self.app.push_screen(FieldTypePicker(view.path, view.type), chosen)

    def _retype(self, path: str, new_type: str) -> None:
        editor = self.query_one(SchemaEditor)
        changed = set_field_type(editor.text, path, new_type)
        if changed is None:
            safe.notify(self.app, "Could not find that field's `type:` line; edit it in the editor.", severity="warning")
            return
        text, line = changed
        new_line = text.split("\n")[line - 1]
        old_line = editor.document.get_line(line - 1)
        editor.replace(new_line, (line - 1, 0), (line - 1, len(old_line)))
        safe.notify(self.app, f"{path} is now {new_type}; re-parsing the sample.")

    # -- focus -----------------------------------------------------------------------------------------------
    def action_focus_group(self) -> None:
        self.query_one("#schema-group", Select).focus()

    def action_focus_editor(self) -> None:
        self.query_one(SchemaEditor).focus()

    def action_focus_fields(self) -> None:
        self.query_one("#field-table").focus()

    def action_focus_failures(self) -> None:
        self.query_one(TabbedContent).active = "tab-failures"
        self.query_one("#parse-failures").focus()

    def action_focus_samples(self) -> None:
        self.query_one(TabbedContent).active = "tab-samples"
        self.query_one(SchemaSamples).focus()

