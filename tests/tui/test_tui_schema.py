"""The Schema screen on the demo, driven like a user: sample Panoptica on Browse & sample, see the inferred
schema, change a field's type and watch the re-parse, save (atomically, asking before an overwrite), get
events with p_ fields in the session, add samples as schema tests and run them; unsaved edits block quitting."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tuikit import open_schema, sample_panoptica, settle

from screens.app import WorkbenchApp
from screens.flow.rules import RulesScreen
from screens.modals.confirm import ConfirmScreen
from screens.modals.field_type_picker import FieldTypePicker
from screens.modals.schema_diff import SchemaDiffConfirm
from screens.presenters.schema_support import field_lines
from screens.widgets.field_panel import FieldPanel
from screens.widgets.schema_editor import SchemaEditor
from screens.widgets.schema_samples import SchemaSamples
from workbench.schema import load_schema

SIZE = (160, 48)
pytestmark = [pytest.mark.demo, pytest.mark.asyncio]


@pytest.fixture
def config(demo, tmp_path):
    """The demo config with its own empty schema directory, so saving never touches the repository."""
    return replace(demo.config, schema_dirs=(tmp_path / "schemas",))


def parse_counts(screen) -> str:
    return str(screen.query_one("#parse-counts").render())


async def test_sample_infer_edit_type_reparse_save_events(config):
    app = WorkbenchApp(config, start="sources")
    async with app.run_test(size=SIZE) as pilot:
        await sample_panoptica(app, pilot)
        screen = await open_schema(app, pilot)
        editor = screen.query_one(SchemaEditor)
        assert editor.is_syntax_aware and editor.language == "yaml"
        # the biggest configured log type of the sample is inferred first
        assert screen.group.name.startswith("Custom.Panoptica.")
        assert editor.text.startswith(f"schema: {screen.group.name}\n")
        records = len(screen.group.records)
        assert f"parsed {records:,}" in parse_counts(screen) and "failed 0" in parse_counts(screen)
        assert str(screen.query_one("#schema-problems").render()) == "✓ schema is valid"  # not "no schema yet"
        # the session now has events with p_ fields for the Events and Rules screens
        assert app.session.log_type == screen.group.name
        assert len(app.session.events) == records
        assert {"p_log_type", "p_row_id", "p_event_time", "p_parse_time", "p_source_file"} <= set(app.session.events[0])
        assert not app.dirty

        # change a string field to int through the field panel's type picker: the sample re-parses and fails
        panel = screen.query_one(FieldPanel)
        target = next(v for v in panel.views if v.type == "string" and v.required and "." not in v.path)
        screen.query_one("#field-table").focus()
        panel.select(target.path)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, FieldTypePicker)
        app.screen.dismiss("int")
        await pilot.pause()
        await pilot.pause(0.6)
        await settle(app, pilot)
        assert "type: int" in editor.text
        assert "failed 0" not in parse_counts(screen)
        failures = screen.query_one("#parse-failures")
        assert failures.row_count > 0
        assert target.path in str(failures.get_row_at(0)[0])  # Field is the first column
        assert app.dirty  # quitting would ask now

        # undo (ctrl+z in the editor) brings the schema back; every record parses again
        editor.focus()
        await pilot.press("ctrl+z")
        await pilot.pause(0.6)
        await settle(app, pilot)
        assert "failed 0" in parse_counts(screen)

        # a broken line is marked where it is, with line:column under the editor
        editor.focus()
        editor.move_cursor((1, 0))
        await pilot.press(*"bogus: [")
        await pilot.pause(0.6)
        await settle(app, pilot)
        assert editor.marked_lines
        problems = str(screen.query_one("#schema-problems").render())
        assert "✗" in problems and f"{editor.marked_lines[0]}:" in problems
        await pilot.press("ctrl+z")
        await pilot.pause(0.6)
        await settle(app, pilot)
        assert not editor.marked_lines

        # save: a new file in the config's schema directory, read back identically
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        saved = config.schema_dirs[0] / f"{screen.group.name}.yml"
        assert saved.exists()
        assert load_schema(saved).name == screen.group.name
        assert saved.read_text().rstrip("\n") == editor.text.rstrip("\n")
        assert not app.dirty
        assert not list(saved.parent.glob("*.tmp"))

        # an edit then a save asks before overwriting, showing the diff; "n" keeps the file as it was
        before = saved.read_text()
        line, _path, _type_line = next(x for x in field_lines(editor.text) if x[1] == target.path)
        editor.focus()
        indent = editor.document.get_line(line - 1).index("-")
        editor.move_cursor((line - 1, 0))
        editor.insert(" " * indent + "- name: added_by_hand\n" + " " * indent + "  type: string\n")
        await pilot.pause(0.6)
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SchemaDiffConfirm)
        assert any(d.startswith("+") and "- name: added_by_hand" in d for d in app.screen.diff)
        await pilot.press("n")
        await settle(app, pilot)
        assert saved.read_text() == before and app.dirty
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert "added_by_hand" in saved.read_text() and not app.dirty

        # the Events screen shows the events of this schema
        await pilot.press("escape", "4")
        await settle(app, pilot)
        assert app.current_mode == "events"
        assert app.session.events and app.session.events[0]["p_log_type"] == screen.group.name

        # the Rules screen runs the demo rules for this log type over those events, and their unit tests
        await pilot.press("5")
        await settle(app, pilot)
        rules = app.screen
        assert isinstance(rules, RulesScreen)
        run = rules.run_result
        assert run is not None and run.log_types[0] == screen.group.name and run.events == records
        assert run.specs and all(screen.group.name in s.log_types for s in run.specs)
        assert rules.query_one("#rules-table").row_count == len(run.specs)
        assert f"over {records:,} events" in str(rules.query_one("#rules-status").render())
        rules.query_one("#rules-table").focus()
        await pilot.press("u")
        await settle(app, pilot)
        report = str(rules.query_one("#rules-detail").render())
        assert "unit tests:" in report and run.specs[0].rule_id in report


async def test_samples_become_schema_tests_that_pass(config):
    app = WorkbenchApp(config, start="sources")
    async with app.run_test(size=SIZE) as pilot:
        await sample_panoptica(app, pilot)
        screen = await open_schema(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("escape", "m")
        await pilot.pause()
        samples = screen.query_one(SchemaSamples)
        assert samples.has_focus and samples.row_count == min(len(screen.group.records), 1000)
        await pilot.press("space", "space", "space")
        assert len(samples.chosen()) == 3
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        tests = next(config.schema_dirs[0].glob("*_tests.yml"))
        assert tests.read_text().count("logType:") == 3
        report = str(screen.query_one("#schema-tests").render())
        assert "3 passed, 0 failed" in report
        # adding more appends; running them again passes all
        await pilot.press("m", "space")
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert tests.read_text().count("logType:") == 4
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        assert "4 passed, 0 failed" in str(screen.query_one("#schema-tests").render())


async def test_unsaved_edit_asks_before_quitting(config):
    app = WorkbenchApp(config, start="sources")
    async with app.run_test(size=SIZE) as pilot:
        await sample_panoptica(app, pilot)
        screen = await open_schema(app, pilot)
        editor = screen.query_one(SchemaEditor)
        editor.focus()
        editor.move_cursor((0, 0))
        await pilot.press(*"# my note", "enter")
        await pilot.pause(0.6)
        await settle(app, pilot)
        await pilot.press("escape", "q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert any("unsaved" in d for d in app.screen.details)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and "# my note" in editor.text
