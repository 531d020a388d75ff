"""Nothing the user needs is cut at 80×24: the rows and columns each screen keeps on a small terminal.

Driven on the fixed data of the snapshot tests (no AWS), reading exactly the characters Textual composes."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from test_tui_snapshots import fixed_events, still_app
from textual.widgets import DataTable, SelectionList
from tuikit import screen_text, settle, tables_measured

from screens.modals.detail import DetailScreen
from workbench.model import Record

pytestmark = pytest.mark.asyncio
SMALL = (80, 24)
LARGE = (200, 50)
LONG_PATH = "userIdentity.sessionContext.sessionIssuer.principalId"


async def steady(app, pilot) -> None:
    await settle(app, pilot)
    await tables_measured(app, pilot)
    await pilot.pause()


def lines_of(app, widget) -> list[str]:
    """The screen lines a widget covers, cut to its columns."""
    region = widget.region
    rows = screen_text(app).splitlines()[region.y:region.bottom]
    return [row[region.x:region.right] for row in rows]


def wide_schema_app():
    """The schema screen on records with a dozen fields, one of them a long nested path (CloudTrail-like)."""
    app = still_app("schema")
    sample = app.session.sample
    records = []
    for i, r in enumerate(sample.records):
        body = {"eventTime": f"2024-05-01T0{i % 10}:00:00Z", "eventName": "GetObject", "awsRegion": "us-east-1",
                "sourceIPAddress": f"198.51.100.{i}", "userAgent": "aws-cli/2.15", "requestID": f"r{i}",
                "eventID": f"e{i}", "readOnly": True, "eventType": "AwsApiCall", "recipientAccountId": "111122223333",
                "userIdentity": {"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"principalId": f"AROA{i}"}}}}
        records.append(Record(r.bucket, r.key, r.line, json.dumps(body)))
    app.session.sample = dataclasses.replace(sample, records=records)
    return app


async def test_schema_field_list_keeps_rows_and_whole_columns_at_80x24():
    app = wide_schema_app()
    async with app.run_test(size=SMALL) as pilot:
        await steady(app, pilot)
        table = app.screen.query_one("#field-table", DataTable)
        assert table.row_count >= 12
        assert table.scrollable_content_region.height - 1 >= 6  # six fields or more in view, not one
        panel = lines_of(app, table)
        # column priorities: Field, Type, then Present, which gives way to long paths (the detail has it)
        assert "Type" in panel[0] and "Present" not in panel[0]
        await pilot.press("G")
        await steady(app, pilot)
        row = next(line for line in lines_of(app, table) if "principalId" in line)
        assert "…" in row and "string" in row  # the path keeps its end, the type is whole
        detail = lines_of(app, app.screen.query_one("#field-detail"))
        assert LONG_PATH in "".join(line.rstrip() for line in detail[:3])  # whole in the detail, wrapped
        # the Failures/Samples/Tests tabs are folded to their bar, and open when one of them takes the focus
        failures = app.screen.query_one("#parse-failures", DataTable)
        assert failures.region.height == 0
        await pilot.press("x")
        await steady(app, pilot)
        assert app.focused is failures and failures.region.height >= 5
        await pilot.press("f")
        await steady(app, pilot)
        assert app.focused is table and table.scrollable_content_region.height - 1 >= 6
        # "Start from" is one row: the editor gets the two rows back
        assert app.screen.query_one("#schema-group-row").region.height == 1


async def test_schema_short_paths_keep_every_column_at_80x24():
    app = still_app("schema")
    async with app.run_test(size=SMALL) as pilot:
        await steady(app, pilot)
        head, *rows = lines_of(app, app.screen.query_one("#field-table"))
        assert re.search(r"Field\s+Type\s+Present", head)
        assert any(re.search(r"ts\s+timestamp\s+100%", row) for row in rows)


async def test_schema_failures_keep_field_and_reason_whole_at_80x24():
    app = still_app("schema")
    async with app.run_test(size=SMALL) as pilot:
        await steady(app, pilot)
        editor = app.screen.query_one("#schema-editor")
        # outcome ("failure"/"success") retyped as a number: every line fails on that field
        editor.load_text(re.sub(r"(name: outcome\n(?:.*\n)*?\s+type: )string", r"\1bigint", editor.text, count=1))
        await pilot.pause(0.6)
        await steady(app, pilot)
        await pilot.press("x")
        await steady(app, pilot)
        failures = app.screen.query_one("#parse-failures", DataTable)
        assert failures.row_count == 21
        reason = str(failures.get_row_at(0)[1])
        head, first = lines_of(app, failures)[:2]
        assert head.split()[:2] == ["Field", "Reason"]
        assert first.split()[0] == "outcome" and reason[:12] in first  # the reason keeps at least 12 cells
        # Value and Where gave way (no sideways scrolling); the pane under the list has the reason in full first
        assert failures.virtual_size.width <= failures.content_region.width
        detail = " ".join(" ".join(lines_of(app, app.screen.query_one("#parse-line"))[:2]).split())
        assert detail.startswith(f"outcome {reason}")


async def test_schema_keeps_every_pane_at_200x50():
    app = wide_schema_app()
    async with app.run_test(size=LARGE) as pilot:
        await steady(app, pilot)
        assert app.screen.query_one("#field-table").region.height >= 8
        assert app.screen.query_one("#parse-failures").region.height >= 5
        await pilot.press("G")  # the last row (g/G go to the first/last row of a table, not sideways)
        await steady(app, pilot)
        assert LONG_PATH in "\n".join(lines_of(app, app.screen.query_one("#field-table")))


async def test_replay_picker_shows_whole_rule_ids_while_focused_at_80x24():
    app = still_app("replay")
    async with app.run_test(size=SMALL) as pilot:
        await steady(app, pilot)
        picker = app.screen.query_one("#replay-rules", SelectionList)
        assert app.focused is picker and picker.option_count > 10
        shown = "\n".join(lines_of(app, picker))
        in_view = [picker.get_option_at_index(i).value for i in range(picker.scrollable_content_region.height)]
        assert "Panoptica.File.ConfidentialSharedExternally" in [picker.get_option_at_index(i).value
                                                                 for i in range(picker.option_count)]
        for rule_id in in_view:
            assert rule_id in shown, rule_id
        # the form is one row per box when short: Start is on screen with the list under it
        assert app.screen.query_one("#start").region.height == 1
        # the picker and the results stack at the full width; the focused one gets most of the height
        table = app.screen.query_one("#replay-table", DataTable)
        assert picker.region.width == table.region.width + 2 >= 78  # the table sits in a padded pane
        assert picker.region.height > table.region.height
        table.add_row("AWS.S3.ServerAccess.ThreatIntelSource", "1,234", "0", "17", "9", key="x")
        table.add_row("Panoptica.File.ConfidentialSharedExternally", "12", "3", "4", "5", key="y")
        table.focus()
        await steady(app, pilot)
        assert table.region.height > picker.region.height
        head, *rows = lines_of(app, table)
        assert re.search(r"Rule\s+Matches\s+Errors\s+Groups\s+Alerts", head), head
        assert re.search(r"AWS.S3.ServerAccess.ThreatIntelSource\s+1,234\s+0\s+17\s+9\b", rows[0]), rows[0]
        assert re.search(r"Panoptica.File.Confidential\S*\s+12\s+3\s+4\s+5\b", rows[1]), rows[1]


async def test_rules_table_keeps_its_counts_whole_with_every_log_type_at_80x24():
    app = still_app("rules")
    extra = [{**e, "p_log_type": log_type, "p_row_id": f"{log_type}{i}"}
             for log_type in ("Custom.Panoptica.FileAccess", "AWS.S3ServerAccess")
             for i, e in enumerate(fixed_events(3))]
    app.session.events = fixed_events() + extra
    app.session.log_type = None  # every log type at once
    async with app.run_test(size=SMALL) as pilot:
        await steady(app, pilot)
        table = app.screen.query_one("#rules-table", DataTable)
        assert table.row_count == 6
        assert "3 log types" in str(table.border_title)
        lines = lines_of(app, table)
        assert re.search(r"Severity\s+Matched\s+Alerts\s+Errors\s+Tests", lines[1]), lines[1]
        for line in lines[2:2 + min(table.row_count, len(lines) - 3)]:
            # every visible rule row ends in its tests count, whole, before the border (and a scrollbar)
            assert re.search(r"\d+\s+\d+\s+\d+\s+\d+\s+[▁-█ ]*│$", line), line
        assert any("Panoptica.File.Confidential" in line for line in lines)
        # the Rule pane is folded at 80 columns: Enter on a rule shows it in full, Enter again goes to its matches
        assert not app.screen.query_one("#rules-info-scroll").display
        table.focus()
        await pilot.press("g", "enter")
        await steady(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        rule_id = str(table.get_row_at(0)[0])
        text = screen_text(app)
        assert f"Rule {rule_id}" in text and "file " in text and "log types" in text
        await pilot.press("enter")
        await steady(app, pilot)
        assert app.focused is app.screen.query_one("#rules-results")


async def test_events_keep_the_log_type_whole_at_80x24():
    app = still_app("events")
    app.session.events = [{**e, "p_log_type": "Custom.Panoptica.FileAccess"} for e in fixed_events()]
    async with app.run_test(size=SMALL) as pilot:
        await steady(app, pilot)
        text = "\n".join(lines_of(app, app.screen.query_one("#event-table")))
        assert "Custom.Panoptica.FileAccess" in text


async def test_sources_checklist_scrolls_to_the_failing_check_at_80x24():
    app = still_app("sources")
    async with app.run_test(size=SMALL) as pilot:
        await steady(app, pilot)
        assert "Bucket notification" not in screen_text(app)  # below the fold at 24 rows …
        await pilot.press("tab", "end")  # … and the pane scrolls to it
        await steady(app, pilot)
        text = screen_text(app)
        assert "Bucket notification" in text and "fix:" in text
