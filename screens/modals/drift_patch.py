"""The drift modal: what live data carries that the schema does not, and the suggested patch in a schema editor.

The patch only adds fields (Panther forbids retyping or removing them); type conflicts are listed with advice.
The patch is editable and validated as you type; Ctrl+S saves it over the schema's file (after a diff and a
confirmation, atomically), Ctrl+O hands it to the Schema screen through the session (`log_type` and `schema`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Select, Static, TextArea

from screens.modals.confirm import ConfirmScreen
from screens.shell import safe
from screens.shell.messages import GotoScreen, SessionUpdate
from screens.widgets.schema_editor import SchemaEditor
from workbench.errors import WorkbenchError
from workbench.live.drift import DriftTracker, LogTypeDrift
from workbench.schema import dump_schema_dict, load_schema, validate_schema_text
from workbench.wording import plural

if TYPE_CHECKING:
    from workbench.config import Config
    from workbench.schema import Schema

MAX_LISTED = 12


def drift_summary(drift: LogTypeDrift) -> Text:
    """New fields and conflicts of one log type, as plain (never markup) text."""
    out = Text(no_wrap=False, end="")
    out.append(f"{drift.log_type}: {drift.records:,} records checked\n", style="bold")
    if drift.new_fields:
        out.append(f"{plural(len(drift.new_fields), 'field')} not in the schema:\n")
        for nf in sorted(drift.new_fields.values(), key=lambda f: -f.count)[:MAX_LISTED]:
            out.append(safe.plain(f"  + {nf.path} ({nf.suggested_type}, seen {nf.count}×, e.g. {nf.example})", limit=160)
                       + "\n", style="green")
    if drift.conflicts:
        out.append(f"{plural(len(drift.conflicts), 'type conflict')}:\n")
        for c in sorted(drift.conflicts.values(), key=lambda c: -c.count)[:MAX_LISTED]:
            out.append(safe.plain("  ! " + DriftTracker.advice(c), limit=300) + "\n", style="yellow")
    return out


class DriftPatchScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DriftPatchScreen { align: center middle; }
    DriftPatchScreen > Vertical { width: 90%; height: 90%; border: thick $accent; background: $surface; padding: 0 1; }
    DriftPatchScreen #drift-summary { height: auto; max-height: 12; overflow-y: auto; }
    DriftPatchScreen #drift-problems { height: auto; color: $error; }
    DriftPatchScreen .keys { color: $text-muted; height: 1; }
    """
    BINDINGS: ClassVar = [
        Binding("ctrl+s", "save", "Save schema", id="drift_save", tooltip="Save the patched schema to its file"),
        Binding("ctrl+o", "open_schema", "Open on Schema screen", id="drift_open",
                tooltip="Hand the patched schema to the Schema screen"),
        Binding("escape", "close", "Close", id="drift_close"),
    ]

    def __init__(self, tracker: DriftTracker, config: Config, log_type: str | None = None) -> None:
        super().__init__()
        self.tracker = tracker
        self.config = config
        self.reports = {d.log_type: d for d in tracker.report()}
        self.log_type = log_type if log_type in self.reports else next(iter(self.reports), None)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe.content("Schema drift in live data — suggested patch (adds fields only)"), classes="pane-title")
            yield Select([(safe.content(name), name) for name in self.reports], value=self.log_type or Select.NULL,
                         allow_blank=self.log_type is None, id="drift-log-type")
            yield Static(id="drift-summary")
            yield SchemaEditor(id="drift-editor")
            yield Static(id="drift-problems")
            yield Static(safe.content("Ctrl+S save to the schema file · Ctrl+O open on the Schema screen · Esc close"),
                         classes="keys")

    def on_mount(self) -> None:
        self._show()

    @on(Select.Changed, "#drift-log-type")
    def _picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.log_type:
            self.log_type = event.value
            self._show()

    def _show(self) -> None:
        editor = self.query_one(SchemaEditor)
        if self.log_type is None:
            self.query_one("#drift-summary", Static).update(Text("No drift seen yet."))
            editor.load_text("")
            return
        self.query_one("#drift-summary", Static).update(drift_summary(self.reports[self.log_type]))
        patch = self.tracker.suggested_patch(self.log_type)
        if patch is None:
            schema = self.tracker.schemas.get(self.log_type)
            patch = schema.to_dict() if schema else {}
        editor.load_text(dump_schema_dict(patch))
        self._validate()

    @on(TextArea.Changed, "#drift-editor")
    def _validate(self) -> None:
        problems = validate_schema_text(self.query_one(SchemaEditor).text)
        self.query_one(SchemaEditor).set_problems(problems)
        self.query_one("#drift-problems", Static).update(
            safe.text("; ".join(str(p) for p in problems[:3]), limit=400) if problems else Text(""))

    def _schema(self) -> tuple[Schema | None, str]:
        text = self.query_one(SchemaEditor).text
        if validate_schema_text(text):
            safe.notify(self.app, "The patched schema has problems (shown under the editor); fix them first.",
                        severity="warning")
            return None, text
        return load_schema(text), text

    def action_save(self) -> None:
        from screens.presenters.schema_support import diff_against_file, schema_file
        from workbench.files import atomic_write

        schema, text = self._schema()
        if schema is None:
            return
        try:
            path, exists = schema_file(self.config.schema_dirs, schema.name or self.log_type or "")
        except WorkbenchError as e:
            safe.notify(self.app, str(e), severity="error")
            return

        def write(yes: bool | None) -> None:
            if not yes:
                return
            try:
                atomic_write(path, text, make_parents=True)
            except OSError as e:
                safe.notify(self.app, f"Could not save {path}: {e}", severity="error")
                return
            safe.notify(self.app, f"Saved {schema.name} to {path}; restart the live tail to parse with it.")

        diff = diff_against_file(path, text) if exists else []
        question = f"Overwrite {path} with the patched schema?" if exists else f"Create {path}?"
        self.app.push_screen(ConfirmScreen(question, diff[:30]), write)

    def action_open_schema(self) -> None:
        schema, _text = self._schema()
        if schema is None:
            return
        self.app.post_message(SessionUpdate(log_type=schema.name, schema=schema))
        self.dismiss(None)
        self.app.post_message(GotoScreen("schema"))

    def action_close(self) -> None:
        self.dismiss(None)
