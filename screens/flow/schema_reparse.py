"""The Schema screen's edit loop: after each edit the editor's text is validated at once and, after a short
pause in typing, every record of the chosen group is re-parsed with it (both in named thread workers, the
newest text winning). A re-parse of a valid schema shows its failures and field statistics and puts the
events and parse errors into the session, so the Events and Rules screens see them.

`SchemaScreen` (screens/flow/schema.py) builds on this class; it holds what the status lines show about the
records chosen (`group`) and their inference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message
from textual.reactive import var
from textual.widgets import Static, TextArea
from textual.worker import get_current_worker

from screens.flow.schema_file import DIRTY_KEY, SchemaFileScreen
from screens.presenters.field_view import field_views
from screens.presenters.schema_status import problems_text
from screens.shell.latest import Latest
from screens.shell.messages import SessionUpdate
from screens.widgets.field_panel import FieldPanel
from screens.widgets.schema_editor import SchemaEditor
from screens.widgets.schema_parse_view import SchemaParseView
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from textual.timer import Timer

    from screens.presenters.schema_support import RecordGroup
    from workbench.infer import InferenceResult
    from workbench.model import Record
    from workbench.parse import ParseError
    from workbench.schema import Schema, SchemaProblem

VALIDATE_DELAY = 0.08  # seconds after a keystroke before the text is validated
REPARSE_DELAY = 0.35  # seconds of quiet typing before the sample is re-parsed
CANCEL_CHECK = 256  # records parsed between checks of the worker's cancel flag


class SchemaReparseScreen(SchemaFileScreen):
    # what the status lines show; each change re-renders them (watch_* in SchemaScreen)
    group: var[RecordGroup | None] = var(None, init=False, always_update=True)
    inference: var[InferenceResult | None] = var(None, init=False, always_update=True)  # of the shown schema

    @dataclass(eq=False)
    class Validated(Message):
        token: int
        problems: list[SchemaProblem]

    @dataclass(eq=False)
    class Parsed(Message):
        token: int
        schema: Schema
        events: list[dict]
        errors: list[ParseError]
        skipped: int

    def __init__(self) -> None:
        super().__init__()
        self._edit = Latest()  # the newest editor text's validation and re-parse win
        self._scheduled_text: str | None = None  # the editor text the latest re-parse was scheduled for
        self._edit_timers: list[Timer] = []

    @on(TextArea.Changed, "#schema-editor")
    def _edited(self) -> None:
        text = self.query_one(SchemaEditor).text
        if text != self.baseline:
            self.app.dirty.mark(DIRTY_KEY, f"schema {self.group.name if self.group else ''} has unsaved edits",
                                text=self._editor_text)
        else:
            self.app.dirty.clear(DIRTY_KEY)
        self.note = ""
        if text != self._scheduled_text:  # Changed also arrives (later) for text we loaded and parse already
            self._schedule_reparse(REPARSE_DELAY)

    def _schedule_reparse(self, delay: float) -> None:
        text = self._scheduled_text = self.query_one(SchemaEditor).text
        token = self._edit.next()
        for timer in self._edit_timers:
            timer.stop()
        if delay:  # validation shows almost at once; the costlier re-parse waits for a pause in typing
            self._edit_timers = [self.set_timer(VALIDATE_DELAY, lambda: self.validate(token, text)),
                                 self.set_timer(delay, lambda: self._reparse_now(token))]
        else:
            self._edit_timers = []
            self._reparse_now(token)

    def _reparse_now(self, token: int) -> None:
        if not self._edit.is_current(token):
            return
        records = self.group.records if self.group else []
        self.query_one(SchemaParseView).show_note(f"re-parsing {len(records):,} records…")
        self.reparse(token, self.query_one(SchemaEditor).text, records)

    @work(thread=True, group="schema-validate", exclusive=True, exit_on_error=False, description="Validate schema")
    def validate(self, token: int, text: str) -> None:
        from workbench.schema import validate_schema_text

        problems = validate_schema_text(text)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Validated(token, problems))

    @work(thread=True, group="schema-parse", exclusive=True, exit_on_error=False, description="Re-parse sample")
    def reparse(self, token: int, text: str, records: list[Record]) -> None:
        from workbench.events.pipeline import parse_record_list
        from workbench.parse import compile_parser
        from workbench.schema import SchemaProblem, load_schema, validate_schema_text

        worker = get_current_worker()
        problems = validate_schema_text(text)
        compiled = None
        if not problems:
            try:
                schema = load_schema(text)
                compiled = schema, compile_parser(schema)
            except WorkbenchError as e:
                problems = [SchemaProblem(0, 0, str(e))]
        self.post_message(self.Validated(token, problems))
        if compiled is None or worker.is_cancelled:
            return
        schema, parser = compiled
        got = parse_record_list(parser.parse, records, cancelled=lambda: worker.is_cancelled, every=CANCEL_CHECK)
        if not got.cancelled:
            self.post_message(self.Parsed(token, schema, got.events, got.errors, got.skipped))

    def on_schema_reparse_screen_validated(self, message: Validated) -> None:
        if not self._edit.is_current(message.token):
            return
        self.problems = message.problems
        if message.problems:
            self.query_one(SchemaParseView).show_note("not re-parsed: fix the schema problems first")
            self.note = ""

    def on_schema_reparse_screen_parsed(self, message: Parsed) -> None:
        if not self._edit.is_current(message.token):
            return
        self.schema = message.schema
        self._show_problems()  # validation reported before the schema was known: it said "no schema yet"
        self.query_one(SchemaParseView).show_result(len(message.events), len(message.errors), message.errors,
                                                    self.group.records if self.group else [], message.skipped)
        self.query_one(FieldPanel).show(field_views(message.schema, self.inference), message.events)
        self.note = ""
        self.post_message(SessionUpdate(schema=message.schema, log_type=message.schema.name, events=message.events,
                                        parse_errors=message.errors))

    def _show_problems(self) -> None:
        self.query_one("#schema-problems", Static).update(problems_text(self.problems, self.schema, self.group))
