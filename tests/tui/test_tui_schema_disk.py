"""A schema changed on disk while the editor holds unsaved edits (Live's drift patch, another editor): the
modal shows the diff from the edits to the file and offers keep mine, take the file's, or merge (keep the
edits, add the file's new top-level fields)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from test_tui_snapshots import REPO, SnapshotApp, fixed_sample
from textual.widgets import Select, TextArea
from tuikit import screen_text, settle

from screens.modals.schema_disk import SchemaDiskChanged
from screens.presenters.schema_disk import disk_change, merge_disk_fields
from workbench.config import parse_config
from workbench.schema import load_schema

NAME = "Custom.Panoptica.Auth.yml"
NEW_FIELD = "- name: drift_added\n  type: string\n  description: added by the drift patch\n"  # the file's indentation


def with_new_field(text: str) -> str:
    return text.rstrip("\n") + "\n" + NEW_FIELD


def test_disk_change_diffs_the_edits_against_the_file_and_names_its_new_fields(tmp_path):
    path = tmp_path / NAME
    mine = "# my note\n" + (REPO / "schemas" / NAME).read_text()
    path.write_text(with_new_field((REPO / "schemas" / NAME).read_text()))
    change = disk_change(path, mine)
    assert change.new_fields == ["drift_added"]
    assert "-# my note" in change.diff and "+- name: drift_added" in change.diff
    merged, names = merge_disk_fields(mine, change.disk_text)
    assert names == ["drift_added"] and merged.startswith("# my note\n")  # every byte of the edits kept
    assert [f.name for f in load_schema(merged).fields][-1] == "drift_added"
    broken = disk_change(path, "schema: [unclosed\n")
    assert broken.new_fields == [] and "not a valid schema" in broken.merge_note


def open_saved(tmp_path: Path) -> SnapshotApp:
    """The Schema screen on the fixed Panoptica sample, the shipped auth schema saved in `tmp_path`."""
    shutil.copy(REPO / "schemas" / NAME, tmp_path / NAME)
    config = parse_config(f"""
schemas: {tmp_path}
sources:
  demo:
    bucket: wb-demo-logs
    prefixes:
      Panoptica/auth/: Custom.Panoptica.Auth
""")
    app = SnapshotApp(config, start="schema")
    app.session.sample, app.session.detections = fixed_sample()
    app.session.prefix = "Panoptica/auth/"
    return app


async def show_saved(app, pilot, path: Path) -> TextArea:
    """Choose the group whose schema is saved at `path`: the editor then holds the file."""
    await settle(app, pilot)
    screen = app.screen
    select = screen.query_one("#schema-group", Select)
    select.value = next(i for i, g in enumerate(screen.groups) if g.saved is not None)
    await settle(app, pilot)
    editor = screen.query_one("#schema-editor", TextArea)
    assert editor.text == path.read_text()
    return editor


async def asked_about(app, pilot) -> None:
    """Wait for the question about the file changed on disk."""
    for _ in range(40):
        await pilot.pause(0.1)
        if isinstance(app.screen, SchemaDiskChanged):
            break
    assert isinstance(app.screen, SchemaDiskChanged)  # edits: asked (with the diff), never silently dropped
    await pilot.pause(0.2)  # painted


@asynccontextmanager
async def disk_changed_while_editing(tmp_path: Path, size: tuple[int, int]) -> AsyncIterator[tuple]:
    """The user edits the saved schema, then the file gains a field on disk: yields (app, pilot, editor) with
    the question on screen."""
    app = open_saved(tmp_path)
    path = tmp_path / NAME
    async with app.run_test(size=size) as pilot:
        editor = await show_saved(app, pilot, path)
        editor.insert("# my edit\n", (0, 0))
        await settle(app, pilot)
        assert app.dirty
        path.write_text(with_new_field(path.read_text()))
        await asked_about(app, pilot)
        yield app, pilot, editor


@pytest.mark.asyncio
async def test_without_edits_the_file_is_reloaded_and_with_edits_no_keeps_them(tmp_path):
    """Live's drift patch (or another editor) saving the open schema: reloaded when there are no edits,
    a question when there are."""
    app = open_saved(tmp_path)
    path = tmp_path / NAME
    async with app.run_test(size=(160, 40)) as pilot:
        editor = await show_saved(app, pilot, path)
        path.write_text(path.read_text().replace("description:", "description: changed elsewhere;", 1))
        for _ in range(30):
            await pilot.pause(0.1)
            if "changed elsewhere" in editor.text:
                break
        assert "changed elsewhere" in editor.text and not app.dirty  # no edits: simply reloaded
        editor.insert("# my edit\n", (0, 0))
        await settle(app, pilot)
        assert app.dirty
        path.write_text(path.read_text() + "\n")
        await asked_about(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert editor.text.startswith("# my edit") and app.dirty


@pytest.mark.asyncio
async def test_merge_keeps_the_edits_and_adds_the_files_new_fields(tmp_path):
    async with disk_changed_while_editing(tmp_path, (120, 40)) as (app, pilot, editor):
        shown = screen_text(app)
        assert "changed on disk" in shown and "+- name: drift_added" in shown and "-# my edit" in shown
        assert "m: merge" in shown and "drift_added" in shown
        await pilot.press("m")
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert not isinstance(app.screen, SchemaDiskChanged)
        assert editor.text.startswith("# my edit\n") and "name: drift_added" in editor.text
        assert app.dirty  # merged, not saved: the file still lacks the edit
        assert "drift_added" in {f.name for f in app.screen.schema.fields}  # the merge re-parsed
        # no second question for the file we already answered about
        await pilot.pause(1.5)
        assert not isinstance(app.screen, SchemaDiskChanged)


@pytest.mark.asyncio
async def test_take_the_file_drops_the_edits(tmp_path):
    async with disk_changed_while_editing(tmp_path, (80, 24)) as (app, pilot, editor):
        assert "t: take the file" in screen_text(app)  # the keys are on screen at 80×24 too
        await pilot.press("t")
        await pilot.pause(0.3)
        await settle(app, pilot)
        assert editor.text == (tmp_path / NAME).read_text() and not app.dirty


@pytest.mark.asyncio
async def test_escape_keeps_the_edits_and_the_screens_keys_work_again(tmp_path):
    async with disk_changed_while_editing(tmp_path, (80, 24)) as (app, pilot, editor):
        await pilot.press("escape")  # the App's priority Escape does not swallow the modal's
        await pilot.pause(0.3)
        assert not isinstance(app.screen, SchemaDiskChanged)
        assert editor.text.startswith("# my edit\n") and "drift_added" not in editor.text and app.dirty
        assert "changed on disk" in app.screen.note
        await pilot.press("escape", "1")  # out of the editor, then a screen key
        await settle(app, pilot)
        assert app.current_mode == "sources"
