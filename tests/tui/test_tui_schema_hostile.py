"""The Schema screen on fixed local records (no AWS): hostile strings in field values and names render literally
everywhere the screen shows them (field statistics, failing lines, sample records, the editor), no action runs,
no control sequence reaches the terminal; and an SVG snapshot of the screen in that stable state."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from tuikit import HostileApp, screen_text, settle, tables_measured

from screens.flow.schema import SchemaScreen
from screens.widgets.field_panel import FieldPanel
from screens.widgets.schema_editor import SchemaEditor
from workbench.config import parse_config
from workbench.model import Record
from workbench.source.sampling import SampleResult

SIZE = (160, 48)

MARKUP = "[bold red]pwned[/] [@click=app.pwn]click me[/] [link=https://evil.example]x[/link] [/]"
ANSI = "\x1b[2J\x1b[31mred\x1b[0m \x1b]0;owned-title\x07 \x1b]52;c;ZXZpbA==\x07 \u202egnp.exe\u202c \x00nul"
HOSTILE = [MARKUP, ANSI, "[/]", "[@click=app.quit]", "a\u202eb", "nul\x00here", "\x9b31mC1"]
HOSTILE_KEY = "k[/]\x1b[31m\u202e[@click=app.pwn]"  # a field name: inference renames it, `rename.from` keeps it
FORBIDDEN = ("\x1b", "\x9b", "\u202e", "\u202c", "\x00", "\x07")



def records() -> list[Record]:
    """Twenty-one fixed JSON lines: a time, a hostile string field, a number, a nested object."""
    out = []
    for i in range(21):
        event = {"ts": f"2026-01-02T03:{i:02d}:05Z", "note": HOSTILE[i % len(HOSTILE)], "size": i * 10,
                 "user": {"name": f"user{i % 3}", "tag": HOSTILE[(i + 1) % len(HOSTILE)]},
                 HOSTILE_KEY: "key"}
        out.append(Record("local", f"Panoptica/auth/2026-01-02/acct/obj-{i // 7}.json", i % 7 + 1, json.dumps(event)))
    return out


def hostile_app(tmp_path) -> HostileApp:
    HostileApp.actions_run = []
    config = replace(parse_config("sources: {}\n"), schema_dirs=(tmp_path / "schemas",))
    return HostileApp(config, start="schema")



def assert_clean(app) -> str:
    text = screen_text(app)
    for bad in FORBIDDEN:
        assert bad not in text, f"{bad!r} reached the screen"
    assert app.is_running and HostileApp.actions_run == []
    return text



async def load_sample(app, pilot) -> SchemaScreen:
    for _ in range(200):  # the app switches to its start mode just after it mounts
        if isinstance(app.screen, SchemaScreen):
            break
        await pilot.pause(0.05)
    app.update_session(sample=SampleResult(records=records()), prefix="Panoptica/auth/")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, SchemaScreen)
    return screen


@pytest.mark.asyncio
async def test_hostile_values_render_literally_everywhere(tmp_path):
    app = hostile_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await load_sample(app, pilot)
        assert screen.group.name == "Custom.Panoptica.Auth"
        assert "parsed 21" in str(screen.query_one("#parse-counts").render())
        editor = screen.query_one(SchemaEditor)
        assert "\u202e[@click=app.pwn]" in editor.text  # the document keeps the real key for `rename: from:`
        panel = screen.query_one(FieldPanel)
        renamed = next(v for v in panel.views if v.path.startswith("k_"))
        assert renamed.stats is not None and renamed.stats.present == 21  # statistics follow the rename
        editor.move_cursor((editor.document.line_count - 1, 0))  # the `rename: from:` line is on screen
        await pilot.pause()
        assert "\ufffd[@click=app.pwn]" in assert_clean(app)
        # the hostile field's top values: literal markup, no escapes
        panel.select("note")
        await pilot.pause()
        detail = str(screen.query_one("#field-detail").render())
        assert "[@click=app.pwn]click me[/]" in detail and "[/]" in detail
        assert_clean(app)
        for path in ("user.tag", "size", "ts"):
            panel.select(path)
            await pilot.pause()
            assert_clean(app)
        # make the hostile field fail to parse: the failing lines show the values literally
        await pilot.press("f")
        panel.select("note")
        await pilot.press("t")
        await pilot.pause()
        app.screen.dismiss("int")
        await pilot.pause(0.6)
        await settle(app, pilot)
        assert "failed 21" in str(screen.query_one("#parse-counts").render())
        text = assert_clean(app)
        assert "[/]" in text and "not an integer" in text
        # the failing line's raw record is shown under the list; Enter takes the editor to the field
        await pilot.press("x")
        line = str(screen.query_one("#parse-line").render())
        assert "obj-0.json:1" in line and '"note"' in line
        await pilot.press("enter")
        assert editor.has_focus and editor.document.get_line(editor.cursor_location[0]).strip() == "type: int"
        await pilot.press("escape")
        # the sample records, with their hostile text
        await pilot.press("m")
        await pilot.pause()
        text = assert_clean(app)
        assert "[@click=app.quit]" in text
        # clicking around the screen runs nothing
        await pilot.click("#schema-parse", offset=(10, 3))
        await pilot.click("#field-panel", offset=(10, 3))
        assert_clean(app)


@pytest.mark.asyncio
async def test_editor_marks_the_problem_line_and_column(tmp_path):
    app = hostile_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await load_sample(app, pilot)
        editor = screen.query_one(SchemaEditor)
        assert editor.is_syntax_aware
        lines = editor.text.split("\n")
        row = next(i for i, line in enumerate(lines) if line.strip() == "type: timestamp")
        editor.focus()
        editor.move_cursor((row, len(lines[row])))
        await pilot.press("backspace", "backspace", "backspace")  # "timesta": not a type
        await pilot.pause(0.6)
        await settle(app, pilot)
        assert editor.marked_lines == [row + 1]
        problems = str(screen.query_one("#schema-problems").render())
        assert f"{row + 1}:" in problems and "timesta" in problems
        # the schema in the session is the last valid one; Ctrl+S refuses to save an invalid schema
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not list((tmp_path / "schemas").glob("*.yml"))
        await pilot.press("escape", "ctrl+n")
        assert editor.has_focus and editor.cursor_location[0] == row


@pytest.mark.asyncio
async def test_saved_schema_opens_from_infer_from(tmp_path):
    app = hostile_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await load_sample(app, pilot)
        editor = screen.query_one(SchemaEditor)
        editor.focus()
        editor.move_cursor((0, 0))
        editor.insert("# kept by hand\n")
        await pilot.pause(0.6)
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        saved = tmp_path / "schemas" / "Custom.Panoptica.Auth.yml"
        assert saved.read_text().startswith("# kept by hand\n")
        # a new sample: the inferred schema is shown, and "Start from" offers the saved file too
        await load_sample(app, pilot)
        assert not editor.text.startswith("# kept by hand")
        labels = [g.label for g in screen.groups]
        assert any("open the saved Custom.Panoptica.Auth.yml" in label for label in labels)
        await pilot.press("escape", "i")
        assert screen.query_one("#schema-group").has_focus_within, app.focused
        screen.query_one("#schema-group").value = next(i for i, g in enumerate(screen.groups) if g.saved)
        await settle(app, pilot)
        assert editor.text == saved.read_text()
        assert "parsed 21" in str(screen.query_one("#parse-counts").render()) and not app.dirty
        assert "saved file" in str(screen.query_one("#schema-status").render())


@pytest.mark.asyncio
async def test_help_explains_the_schema_screen_and_its_keys(tmp_path):
    from screens.modals.help import HelpScreen

    app = hostile_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await load_sample(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        for words in ("re-parsed", "Ctrl+S", "Save", "Set type", "Re-infer", "Add tests", "Run tests", "Start from"):
            assert words in text, words
        await pilot.press("escape")



def test_schema_screen_snapshot(tmp_path, snap_compare):
    app = hostile_app(tmp_path)

    async def run_before(pilot) -> None:
        await load_sample(app, pilot)
        app.screen.query_one(FieldPanel).select("size")
        await pilot.pause()
        await tables_measured(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
