"""The Schema screen starts from what format detection knows: each detected format's records are a "Start
from" choice, a detected format with a managed schema can be started from that schema (asking before unsaved
edits are dropped), and the group the user highlighted on Browse is the one inferred from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tuikit import open_schema, sample_panoptica, settle

from screens.app import WorkbenchApp
from screens.flow.schema import DIRTY_KEY, SchemaScreen
from screens.modals.confirm import ConfirmScreen
from screens.widgets.schema_editor import SchemaEditor
from workbench.config import parse_config
from workbench.model import Record
from workbench.source.formats import detect_groups
from workbench.source.sampling import SampleResult

SIZE = (160, 48)
TEXT = Path(__file__).resolve().parents[1] / "data" / "text"
pytestmark = pytest.mark.asyncio


def _records(path: Path, key: str) -> list[Record]:
    lines = [t for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]
    return [Record("local", key, i, t) for i, t in enumerate(lines, start=1)]


def sample() -> tuple[SampleResult, list]:
    """An unmapped bucket holding a web server's access log and sshd's syslog, as Browse would sample it."""
    records = (_records(TEXT / "sshd_rfc3164.log", "hosts/bastion/messages.log")
               + _records(TEXT / "nginx_access.log", "web/frontend/access.log"))
    result = SampleResult(records=records)
    return result, detect_groups(result)


async def _load(app, pilot, highlighted: str | None = None) -> tuple[SchemaScreen, list]:
    for _ in range(200):
        if isinstance(app.screen, SchemaScreen):
            break
        await pilot.pause(0.05)
    result, detections = sample()
    chosen = next((d for d in detections if d.format_id == highlighted), None) if highlighted else None
    app.update_session(sample=result, detections=detections, prefix="", detection=chosen)
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, SchemaScreen)
    return screen, detections


def _app(tmp_path) -> WorkbenchApp:
    config = replace(parse_config("sources: {}\n"), schema_dirs=(tmp_path / "schemas",))
    return WorkbenchApp(config, start="schema")


async def test_detected_formats_and_their_managed_schemas_are_start_from_choices(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen, detections = await _load(app, pilot)
        formats = {d.format_id: d for d in detections}
        assert {"syslog_3164", "apache_combined"} <= set(formats)
        labels = [g.label for g in screen.groups]
        # each detected format's records, and a start from the managed schema detection names
        web = next(g for g in screen.groups if g.detection is formats["apache_combined"] and g.managed is None)
        assert len(web.records) == 30 and all(r.key.startswith("web/") for r in web.records)
        assert any("infer from 30 Apache/nginx combined access log records in web/" in label for label in labels)
        managed = {g.managed.stem: g for g in screen.groups if g.managed is not None}
        assert {"Syslog.RFC3164", "Apache.AccessCombined"} <= set(managed)
        # Apache's managed parser runs code besides its schema file: the start keeps the managed name (a
        # renamed copy would parse without that step)
        assert managed["Apache.AccessCombined"].name == "Apache.AccessCombined"
        assert managed["Syslog.RFC3164"].name == "Syslog.RFC3164"
        assert "start from Panther's Apache.AccessCombined schema (30 " in managed["Apache.AccessCombined"].label


async def test_starting_from_a_managed_schema_asks_before_dropping_edits(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen, _detections = await _load(app, pilot, highlighted="apache_combined")
        editor = screen.query_one(SchemaEditor)
        inferred = editor.text
        editor.focus()
        editor.move_cursor((0, 0))
        await pilot.press(*"# mine", "enter")
        await pilot.pause(0.6)
        await settle(app, pilot)
        assert app.dirty.is_dirty(DIRTY_KEY)
        target = next(i for i, g in enumerate(screen.groups) if g.managed and g.managed.stem == "Apache.AccessCombined")
        select = screen.query_one("#schema-group")
        before = select.value
        select.value = target
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.details == [screen.groups[target].label]
        await pilot.press("n")
        await settle(app, pilot)
        assert editor.text.startswith("# mine") and select.value == before  # kept, and the choice went back
        select.value = target
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        text = editor.text
        assert text != inferred and text.startswith("schema: Apache.AccessCombined\n")
        assert "remote_host_ip_address" in text  # the managed schema's own fields and regex
        assert "parsed 30" in str(screen.query_one("#parse-counts").render())
        assert "failed 0" in str(screen.query_one("#parse-counts").render())
        assert not app.dirty.is_dirty(DIRTY_KEY)  # nothing edited yet: leaving it loses nothing
        assert "from Panther's Apache.AccessCombined" in str(screen.query_one("#schema-status").render())


async def test_the_group_highlighted_on_browse_is_inferred_from(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen, detections = await _load(app, pilot, highlighted="syslog_3164")
        assert screen.group.detection.format_id == "syslog_3164" and screen.group.managed is None
        assert all(r.key.startswith("hosts/") for r in screen.group.records)
        assert "timestamp" in screen.query_one(SchemaEditor).text
        # highlighting another group (no unsaved edits) switches to it
        web = next(d for d in detections if d.format_id == "apache_combined")
        app.update_session(detection=web)
        await settle(app, pilot)
        assert screen.group.detection is web and all(r.key.startswith("web/") for r in screen.group.records)


async def test_without_a_highlight_the_largest_group_comes_first(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen, _detections = await _load(app, pilot)
        assert screen.group is screen.groups[0]


@pytest.mark.demo
async def test_highlighting_a_group_on_browse_chooses_what_schema_infers_from(demo, tmp_path):
    from textual.widgets import Tree

    from screens.presenters.detection_view import GroupView

    config = replace(demo.config, schema_dirs=(tmp_path / "schemas",))
    app = WorkbenchApp(config, start="sources")
    async with app.run_test(size=SIZE) as pilot:
        browse = await sample_panoptica(app, pilot)
        assert app.session.detection is None  # filling the tree chooses nothing
        tree = browse.query_one("#group-tree", Tree)
        groups = [n for n in tree.root.children if isinstance(n.data, GroupView)]
        assert len(groups) >= 2
        tree.focus()
        last = groups[-1]
        tree.move_cursor(last)
        await pilot.pause()
        assert app.session.detection is last.data.detection
        screen = await open_schema(app, pilot)
        assert screen.group.detection is last.data.detection
        assert {r.key for r in screen.group.records} == {r.key for r in last.data.records}
        # and it follows the highlight, not a default: another group highlighted on Browse is the next start
        await pilot.press("2")
        await pilot.pause()
        first = groups[0]
        tree.focus()
        tree.move_cursor(first)
        await pilot.pause()
        await pilot.press("3")
        await settle(app, pilot)
        assert first.data.detection is not last.data.detection
        assert app.screen.group.detection is first.data.detection
        assert {r.key for r in app.screen.group.records} == {r.key for r in first.data.records}
