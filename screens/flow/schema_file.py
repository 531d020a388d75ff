"""The part of the Schema screen that deals with the schema file on disk: Ctrl+S saves the editor's text to
the config's schema directory (atomically; over an existing file only after showing the diff, or adding just
the new fields to a hand-written file), the saved file is watched for changes made elsewhere (Live's drift
patch, another editor), and schema tests live beside it (Ctrl+L adds the chosen samples, Ctrl+O runs them).

`SchemaReparseScreen` (schema_reparse.py), and `SchemaScreen` (schema.py) on that, build on it; this class
holds the state the file logic reads and writes: the last schema that validated, its problems, the saved
baseline and the status note.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.reactive import var
from textual.widgets import TabbedContent

from screens.flow.base import WorkbenchScreen
from screens.modals.schema_diff import SchemaDiffConfirm
from screens.modals.schema_disk import SchemaDiskChanged
from screens.presenters.schema_disk import disk_change
from screens.presenters.schema_support import FileWatch, plan_save, schema_file, schema_tests_file
from screens.shell import safe
from screens.widgets.schema_editor import SchemaEditor
from screens.widgets.schema_samples import SchemaSamples
from screens.widgets.schema_tests_view import SchemaTestsView
from workbench.errors import WorkbenchError
from workbench.files import atomic_write
from workbench.wording import plural

if TYPE_CHECKING:
    from workbench.schema import Schema, SchemaProblem

DIRTY_KEY = "schema"


class SchemaFileScreen(WorkbenchScreen):
    schema: var[Schema | None] = var(None, init=False, always_update=True)  # the last schema that validated
    problems: var[list[SchemaProblem]] = var(list, init=False, always_update=True)
    note: var[str] = var("", init=False, always_update=True)

    @dataclass(eq=False)
    class Saved(Message):
        """The save worker wrote `text` to `path`."""

        path: Path
        text: str

    def __init__(self) -> None:
        super().__init__()
        self.baseline = ""  # editor text as inferred or last saved: edits beyond it are unsaved work
        self._disk = FileWatch()  # the file the editor holds
        self._disk_asking = False

    def _editor_text(self) -> str:
        return self.query_one(SchemaEditor).text

    def _set_text(self, text: str) -> None:
        self.query_one(SchemaEditor).load_text(text)

    def _schedule_reparse(self, delay: float) -> None:
        """Validate the editor's text and re-parse the sample with it, after `delay` seconds of quiet."""
        raise NotImplementedError("SchemaReparseScreen re-parses")

    # -- saving ----------------------------------------------------------------------------------------------
    def action_save(self) -> None:
        schema = self.schema
        if self.problems or schema is None:
            safe.notify(self.app, "Fix the schema problems before saving (Ctrl+N goes to the first).", severity="warning")
            return
        text = self.query_one(SchemaEditor).text
        if not text.endswith("\n"):
            text += "\n"
        try:
            plan = plan_save(self.session.config.schema_dirs, text, schema)
        except WorkbenchError as e:
            safe.notify(self.app, e, severity="error")
            return
        if not plan.exists:
            self._start_save(plan.path, text)
            return
        if not plan.diff:
            self.baseline = self.query_one(SchemaEditor).text
            self.app.dirty.clear(DIRTY_KEY)
            self.note = ""
            safe.notify(self.app, f"{plan.path} already holds this schema; nothing to save.")
            return

        def answer(choice: bool | str | None) -> None:
            if choice == "add_new":
                self._add_new_fields(plan.path, schema)
            elif choice:
                self._start_save(plan.path, text)

        self.app.push_screen(SchemaDiffConfirm(plan.path, plan.diff, plan.added), answer)

    def _add_new_fields(self, path: Path, schema: Schema) -> None:
        """Keep the hand-written file; append only the fields it lacks, then edit that text from now on."""
        from workbench.schema.merge import add_new_fields

        try:
            merged, names = add_new_fields(path.read_text(encoding="utf-8"), schema)
        except (OSError, UnicodeDecodeError, WorkbenchError) as e:
            safe.notify(self.app, f"Could not add the fields: {e}", severity="error")
            return
        self._set_text(merged)
        self._start_save(path, merged)
        safe.notify(self.app, f"Added {plural(len(names), 'new field')} to {path.name}: {', '.join(names)}.")

    def _start_save(self, path: Path, text: str) -> None:
        self._disk.watch(None)  # our own write is not a change made elsewhere; watching resumes when it is done
        self.save(path, text)

    @work(thread=True, group="schema-save", exclusive=True, exit_on_error=False, description="Save schema")
    def save(self, path: Path, text: str) -> None:
        atomic_write(path, text, make_parents=True)
        self.post_message(self.Saved(path, text))

    def on_schema_file_screen_saved(self, message: Saved) -> None:
        current = self.query_one(SchemaEditor).text
        self.baseline = message.text if current.endswith("\n") else message.text[:-1]
        if current == self.baseline:
            self.app.dirty.clear(DIRTY_KEY)
        self.note = f"saved to {message.path}"
        self._disk.watch(message.path)
        safe.notify(self.app, f"Saved {message.path}")

    # -- the file behind the editor, watched for changes made elsewhere (Live's drift patch, another editor) --
    def _check_disk(self) -> None:
        if self._disk_asking:
            return
        path, change = self._disk.path, self._disk.poll()
        if change is None or path is None:
            return
        if change == "deleted":
            safe.notify(self.app, f"{path} was deleted on disk; Ctrl+S writes it again.", severity="warning")
            return
        if not self.app.dirty.is_dirty(DIRTY_KEY):
            self._reload_from_disk(path)
            return

        try:
            differs = disk_change(path, self.query_one(SchemaEditor).text)
        except (OSError, UnicodeDecodeError) as e:
            safe.notify(self.app, f"{path} changed on disk and cannot be read: {e.__class__.__name__}.", severity="error")
            return

        def answer(choice: str | tuple | None) -> None:  # keep mine, take the file's, or merge its new fields
            self._disk_asking = False
            if choice == "disk":
                self._reload_from_disk(path)
            elif isinstance(choice, tuple):
                self._merged_from_disk(path, differs.disk_text, choice[1], choice[2])
            else:
                self.note = f"{path.name} changed on disk; Ctrl+S shows the difference before overwriting it"

        self._disk_asking = True
        self.app.push_screen(SchemaDiskChanged(differs, self.query_one(SchemaEditor).text), answer)

    def _merged_from_disk(self, path: Path, disk_text: str, merged: str, names: list[str]) -> None:
        self.baseline = disk_text  # what the file holds now: the merge is unsaved until Ctrl+S
        self._set_text(merged)
        self._schedule_reparse(0)
        self.note = f"merged {path.name}: added {', '.join(names)}; Ctrl+S saves"
        safe.notify(self.app, f"Kept your edits and added {plural(len(names), 'field')} from {path.name}: {', '.join(names)}.")

    def _reload_from_disk(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            safe.notify(self.app, f"Cannot read {path}: {e.__class__.__name__}.", severity="error")
            return
        self.baseline = text
        self.app.dirty.clear(DIRTY_KEY)
        self._set_text(text)
        self.note = f"reloaded {path.name}: it changed on disk"
        self._schedule_reparse(0)

    # -- schema tests ----------------------------------------------------------------------------------------
    def _saved(self) -> tuple[Schema, Path] | None:
        """The schema in the editor and its saved file, or None (and a notice) when it has none yet."""
        if self.schema is None:
            return None
        try:
            path, exists = schema_file(self.session.config.schema_dirs, self.schema.name or "")
        except WorkbenchError as e:
            safe.notify(self.app, e, severity="error")
            return None
        if not exists:
            safe.notify(self.app, "Save the schema first (Ctrl+S): tests live beside the saved schema.", severity="warning")
            return None
        return self.schema, path

    def action_add_tests(self) -> None:
        saved = self._saved()
        if saved is None:
            return
        schema, path = saved
        if self.app.dirty.is_dirty(DIRTY_KEY):
            safe.notify(self.app, "Save first (Ctrl+S): tests are written from the saved schema and run against it.",
                        severity="warning")
            return
        samples = self.query_one(SchemaSamples)
        records = samples.chosen()
        if not records:
            safe.notify(self.app, "No samples chosen: in the Samples tab (m), Space selects records.", severity="warning")
            return
        samples.clear_selection()
        self.query_one(SchemaTestsView).add(schema, records, schema_tests_file(path))

    def action_run_tests(self) -> None:
        saved = self._saved()
        if saved is None:
            return
        _schema, path = saved
        if self.app.dirty.is_dirty(DIRTY_KEY):
            safe.notify(self.app, "The tests run against the saved schema; your unsaved edits are not in it.")
        tests = schema_tests_file(path)
        if not tests.exists():
            safe.notify(self.app, "This schema has no tests yet: select samples (m, Space) and press Ctrl+L.",
                        severity="warning")
            return
        self.query_one(SchemaTestsView).run(tests)

    def on_schema_tests_view_reported(self) -> None:
        self.query_one(TabbedContent).active = "tab-tests"
