"""Pilot tests driving the screens on the real demo (moto server): sources and checklist, browse and sample,
events with p_ fields, filter, sort, copy and export — what a user sees, asserted on widget state."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable, Tree

from screens.app import WorkbenchApp
from screens.widgets.checklist import Checklist
from screens.widgets.event_table import EventTable
from screens.widgets.histogram import TimeHistogram
from workbench.schema import load_schema

pytestmark = [pytest.mark.demo, pytest.mark.asyncio]
SIZE = (160, 48)

AUTH_SCHEMA = """
schema: Custom.Panoptica.Auth
fields:
  - {name: ts, type: timestamp, timeFormats: [rfc3339], isEventTime: true}
  - {name: event_type, type: string}
  - {name: event_id, type: string}
  - {name: account_id, type: string}
  - name: actor
    type: object
    fields:
      - {name: email, type: string, indicators: [email]}
      - {name: user_id, type: string}
      - {name: roles, type: array, element: {type: string}}
      - {name: mfa, type: boolean}
  - {name: outcome, type: string}
  - {name: method, type: string}
  - name: client
    type: object
    fields:
      - {name: ip, type: string, indicators: [ip]}
      - {name: user_agent, type: string}
      - {name: geo, type: json}
  - {name: session_id, type: string}
  - {name: failure_reason, type: string}
  - {name: context, type: json}
"""


async def settle(app, pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()


def tree_node(tree: Tree, label_start: str):
    for node in tree.root.children:
        if str(node.label).startswith(label_start):
            return node
    raise AssertionError(f"no node {label_start!r} in {[str(n.label) for n in tree.root.children]}")


async def test_sources_screen_shows_prefixes_and_green_checklist(demo):
    app = WorkbenchApp(demo.config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#prefix-table", DataTable)
        prefixes = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert {"Panoptica/", "AWSLogs/", "s3-access/", "app/"} <= prefixes
        checklist = app.screen.query_one(Checklist)
        # the 8 connection checks, then the prefix mapping (the demo's maps every prefix to a schema)
        assert len(checklist.results) == 8 and checklist.failed == 0
        assert [(r.name, r.ok) for r in checklist.extra] == [("prefix mapping", True)]
        assert "prefix mapping: 6 prefix(es), each mapped" in str(checklist.render())
        assert "✓" in str(checklist.render())
        await pilot.press("c")
        await settle(app, pilot)
        assert checklist.failed == 0 and not checklist.running


async def test_sources_screen_reports_the_mapping_once_per_prefix(demo):
    """A misspelled log type (with the close match) fails the checklist; a folder no prefix maps is named."""
    from dataclasses import replace

    from workbench.config import PrefixMapping

    prefixes = tuple(PrefixMapping("AWSLogs/", ("AWS.CloudTrial",)) if m.prefix == "AWSLogs/" else m
                     for m in demo.source.prefixes if m.prefix != "s3-access/")
    source = replace(demo.source, prefixes=prefixes)
    app = WorkbenchApp(replace(demo.config, sources={source.name: source}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        checklist = app.screen.query_one(Checklist)
        found = [(r.name, r.ok, r.detail, r.fix) for r in checklist.extra]
        assert ("prefix mapping", False, "prefix 'AWSLogs/' is mapped to AWS.CloudTrial, which has no schema",
                "did you mean AWS.CloudTrail?") in found
        assert [f[2] for f in found if f[0] == "unmapped objects"] == [
            "objects under 's3-access/' match no mapped prefix and are not parsed"]
        assert checklist.failed == 1
        assert "did you mean AWS.CloudTrail?" in str(checklist.render())


async def sample_prefix(app, pilot, path: list[str], limit: str = "12") -> None:
    """Open Browse, walk the tree along `path` (labels), set the sample size, press s."""
    await pilot.press("2")
    await settle(app, pilot)
    screen = app.screen
    tree = screen.query_one("#prefix-tree", Tree)
    node = tree.root
    for label in path:
        node = next(n for n in node.children if str(n.label).startswith(label))
        tree.move_cursor(node)
        node.expand()
        await settle(app, pilot)
    limit_input = screen.query_one("#limit")
    limit_input.value = limit
    tree.focus()
    await pilot.press("s")
    await settle(app, pilot, 4)


async def test_browse_folds_date_partitions_and_samples_with_detection(demo):
    app = WorkbenchApp(demo.config)
    async with app.run_test(size=SIZE) as pilot:
        await sample_prefix(app, pilot, ["Panoptica/", "auth/"])
        screen = app.screen
        auth = screen.query_one("#prefix-tree", Tree).cursor_node
        fold = [str(n.label) for n in auth.children if "date partitions" in str(n.label)]
        assert fold, [str(n.label) for n in auth.children]
        objects = screen.query_one("#object-table", DataTable)
        assert objects.row_count > 0
        result = app.session.sample
        assert result is not None and result.records and app.session.prefix == "Panoptica/auth/"
        assert all(r.key.startswith("Panoptica/auth/") for r in result.records)
        groups = screen.query_one("#group-tree", Tree)
        labels = [str(n.label) for n in groups.root.children]
        assert any("JSON" in label and "confidence" in label for label in labels), labels
        first = groups.root.children[0]
        assert any(str(leaf.label).startswith("why: ") for leaf in first.children)
        assert screen.query_one(TimeHistogram).times
        assert "records" in str(screen.query_one("#sample-status").render())


async def test_browse_and_events_say_which_sampled_objects_were_not_read_whole(demo):
    """The demo's hostile folder (an empty object, zstd behind .gz, invalid UTF-8): Browse's sample line and
    the Events screen's status name them, as `sample` and `parse` do."""
    from workbench.source.s3 import list_objects
    from workbench.source.sampling import sample

    hostile = [r.key for r in list_objects(demo.aws, demo.source, prefix="Panoptica/auth/") if "/hostile-" in r.key]
    folder = hostile[0].rsplit("/", 1)[0] + "/"
    app = WorkbenchApp(demo.config, start="browse")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        result = sample(demo.aws, demo.source, prefix=folder, limit=50)
        app.update_session(sample=result, schema=load_schema(AUTH_SCHEMA))
        app.screen._show_sample(result)
        status = str(app.screen.query_one("#sample-status").render())
        assert "1 empty" in status and "with compression not matching the key" in status
        assert "invalid UTF-8 repaired in 1 object" in status
        await pilot.press("4")
        await settle(app, pilot, 4)
        await pilot.press("p")
        await settle(app, pilot, 4)
        status = str(app.screen.query_one("#events-status").render())
        assert app.session.events and "objects: " in status and "1 empty" in status


async def test_events_screen_filter_sort_copy_export(demo):
    app = WorkbenchApp(demo.config)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=SIZE) as pilot:
        app.update_session(schema=load_schema(AUTH_SCHEMA))
        await sample_prefix(app, pilot, ["Panoptica/", "auth/"], limit="15")
        await pilot.press("4")
        await settle(app, pilot, 4)
        events = app.session.events
        assert events and all(e["p_log_type"] == "Custom.Panoptica.Auth" for e in events)
        table = app.screen.query_one(EventTable)
        assert table.columns[:2] == ["p_event_time", "p_log_type"]
        assert "p_any_ip_addresses" in table.columns and "p_any_emails" in table.columns
        assert len(table.rows) == len(events)
        # the detail pane shows the highlighted event as JSON
        await pilot.press("down")
        assert '"p_event_time"' in str(app.screen.query_one("#json-body").render())
        # filter: field = value
        await pilot.press("slash", *"outcome = failure", "enter")
        await pilot.pause(0.5)
        await settle(app, pilot)
        shown = [events[i] for i in table.rows]
        assert shown and len(shown) < len(events) and all(e["outcome"] == "failure" for e in shown)
        # p_any_* membership
        ip = shown[0]["p_any_ip_addresses"][0]
        filter_input = app.screen.query_one("#filter")
        filter_input.value = f"p_any_ip_addresses = {ip}"
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert table.rows and all(ip in events[i]["p_any_ip_addresses"] for i in table.rows)
        filter_input.value = ""
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert len(table.rows) == len(events)
        # sort by the cursor's column (p_event_time), then reversed
        table.focus()
        table.move_to(0, 0)
        await pilot.press("o")
        await settle(app, pilot)
        times = [str(events[i]["p_event_time"]) for i in table.rows]
        assert times == sorted(times)
        await pilot.press("o")
        await settle(app, pilot)
        assert [str(events[i]["p_event_time"]) for i in table.rows] == sorted(times, reverse=True)
        # copy cell and event
        await pilot.press("c", "y")
        assert copied[0] == str(events[table.rows[0]]["p_event_time"])
        assert json.loads(copied[1])["p_row_id"] == events[table.rows[0]]["p_row_id"]
        # export NDJSON next to the config
        await pilot.press("x")
        await settle(app, pilot)
        exported = sorted((demo.config_path.parent / "exports").glob("Custom.Panoptica.Auth-*.ndjson"))
        assert exported
        lines = exported[-1].read_text().splitlines()
        assert len(lines) == len(events) and all("p_event_time" in json.loads(line) for line in lines)


async def test_switching_source_reloads_sources_screen(demo):
    from dataclasses import replace

    second = replace(demo.source, name="demo-copy")
    config = replace(demo.config, sources={**demo.config.sources, "demo-copy": second})
    app = WorkbenchApp(config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.session.source.name == "demo"
        await pilot.press("down")
        await settle(app, pilot)
        assert app.session.source.name == "demo-copy" and app.sub_title == "demo-copy"
        assert app.screen.query_one(Checklist).failed == 0
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "browse"


async def test_escape_cancels_a_running_sample(demo, monkeypatch):
    import workbench.source.sampling
    from workbench.source.sampling import SampleResult

    started = []

    def slow_sample(aws, source, prefix=None, since=None, until=None, limit=None, progress=None, cancel=None, **kw):
        started.append(prefix)
        progress(1, 10)
        cancel.wait()  # a long sample that stops when asked
        return SampleResult(cancelled=cancel.is_set())

    monkeypatch.setattr(workbench.source.sampling, "sample", slow_sample)
    app = WorkbenchApp(demo.config, start="browse")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        while not started:
            await pilot.pause()
        await pilot.pause()
        assert "-hidden" not in app.screen.query_one("#sample-progress").classes
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.session.sample is not None and app.session.sample.cancelled
        assert "-hidden" in app.screen.query_one("#sample-progress").classes
        assert "cancelled" in str(app.screen.query_one("#sample-status").render())


async def test_screen_keys_work_on_arrival_at_replay(demo):
    """Replay used to focus its Since input on arrival: 1 typed into it (14d became 1) instead of going to Sources."""
    from textual.widgets import Input

    app = WorkbenchApp(demo.config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("7")
        await settle(app, pilot)
        assert app.current_mode == "replay"
        since = app.screen.query_one("#since", Input)
        assert not since.has_focus
        await pilot.press("1")
        await settle(app, pilot)
        assert app.current_mode == "sources"
        assert since.value == "14d"
