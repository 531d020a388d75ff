"""The focus model and the flow, driven with the keyboard only on fixed data (no AWS): Escape always leaves an
input, j/k/g/G move in lists, the footer is whole at 80 columns, Enter opens the full item and jumps where the
next question lives, the filter box shows its state, and a walk through all seven screens never gets stuck."""

from __future__ import annotations

import pytest
from test_tui_snapshots import SCREENS, still_app
from textual.widgets import DataTable, Input, OptionList, TextArea, Tree
from tuikit import screen_text, settle

from screens.modals.detail import DetailScreen
from screens.widgets.filter_input import FilterInput
from screens.widgets.live_stream import LiveStream

pytestmark = pytest.mark.asyncio
SMALL = (80, 24)


def typing_into(app) -> bool:
    return isinstance(app.focused, Input | TextArea)


async def until(pilot, check, what: str) -> None:
    for _ in range(100):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def goto(app, pilot, key: str, mode: str) -> None:
    await pilot.press(key)
    await settle(app, pilot)
    assert app.current_mode == mode, f"{key} should open {mode}"


async def test_footer_is_whole_at_80_columns_on_every_screen():
    app = still_app("sources")
    async with app.run_test(size=SMALL) as pilot:
        for n, mode in enumerate(SCREENS, 1):
            await goto(app, pilot, str(n), mode)
            if typing_into(app):
                await pilot.press("escape")
            footer = screen_text(app).splitlines()[-1]
            assert "? Help" in footer and "q Quit" in footer, (mode, footer)


@pytest.mark.parametrize(("mode", "box", "main"), [
    ("browse", "#since", "#prefix-tree"), ("events", "#filter", "#event-table"),
    ("live", "#live-filter", "#live-stream"), ("replay", "#scheduler", "#replay-table"),
    ("schema", "#schema-editor", "#field-table"),
])
async def test_escape_leaves_every_input_for_the_main_pane(mode, box, main):
    app = still_app(mode)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        app.screen.query_one(box).focus()
        await pilot.press("x", "escape")
        assert app.focused is app.screen.query_one(main)
        await pilot.press("1")  # keys are the screen's again, not typed into the box
        await settle(app, pilot)
        assert app.current_mode == "sources"


async def test_vim_keys_move_in_lists():
    app = still_app("replay")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        rules = app.screen.query_one("#replay-rules", OptionList)
        assert app.focused is rules and rules.option_count > 3
        await pilot.press("g", "j", "j")
        assert rules.highlighted == 2
        await pilot.press("k")
        assert rules.highlighted == 1
        await pilot.press("G")
        assert rules.highlighted == rules.option_count - 1
    app = still_app("browse")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        tree = app.screen.query_one("#prefix-tree", Tree)
        await pilot.press("G")
        assert tree.cursor_line == tree.last_line > 0
        await pilot.press("g")
        assert tree.cursor_line == 0
        await pilot.press("j")
        assert tree.cursor_line == 1


async def test_slash_finds_a_row_in_a_list_without_a_filter():
    app = still_app("rules")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one("#rules-table", DataTable)
        table.focus()
        await pilot.press("slash")
        await pilot.press(*"suspicious", "enter")
        await settle(app, pilot)
        assert "SuspiciousLogin" in str(table.get_row_at(table.cursor_row)[0])


async def test_side_panel_folds_when_narrow_and_b_unfolds_it():
    app = still_app("events")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        detail = app.screen.query_one("#event-detail")
        assert not detail.display  # folded: the table gets the width
        await pilot.press("b")
        assert detail.display
    app = still_app("events")
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one("#event-detail").display


async def test_events_filter_box_shows_its_state_completes_and_cycles_log_types():
    app = still_app("events")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        box = app.screen.query_one(FilterInput)
        await pilot.press("slash", *"outc", "tab")  # Tab completes the field name
        assert box.value == "outcome"
        await pilot.press(*" = failure", "enter")
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert box.has_class("-active")
        assert "● filtered 10 / 40" in str(app.screen.query_one("#events-count").render())
        box.value = "outcome == failure"
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert box.has_class("-error") and "Unknown operator '=='" in app.screen.note
        box.value = ""
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert not box.has_class("-active") and not box.has_class("-error")
        box.focus()
        await pilot.press("up")  # history
        assert box.value == "outcome = failure"
        await pilot.press("escape", "l")
        assert box.value == "p_log_type = Custom.Panoptica.Auth"
        await pilot.press("l")
        assert box.value == ""


async def test_enter_on_a_live_alert_shows_it_and_jumps_to_its_rule():
    app = still_app("live")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        stream = app.screen.query_one(LiveStream)
        await until(pilot, lambda: stream.line_count > 3, "the buffer's lines (read on a timer)")
        assert app.focused is stream
        await pilot.press("home", "j")  # the second line is the first alert
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "rule: Panoptica.Auth.RepeatedFailures" in text and '"outcome": "failure"' in text
        await pilot.press("enter")  # the jump: the alert's rule on the Rules screen
        await settle(app, pilot)
        assert app.current_mode == "rules"
        await settle(app, pilot)
        table = app.screen.query_one("#rules-table", DataTable)
        assert app.screen.rule_id == "Panoptica.Auth.RepeatedFailures"
        assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == app.screen.rule_id


async def test_live_filter_and_pause_badges():
    app = still_app("live")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        stream = app.screen.query_one(LiveStream)
        await until(pilot, lambda: stream.line_count > 3, "the buffer's lines (read on a timer)")
        await pilot.press("slash", *"kind = alert", "enter")
        await settle(app, pilot)
        assert {k for _, k in stream.lines()} == {"alert"}
        await pilot.press("space")
        await pilot.pause()
        status = str(app.screen.query_one("#live-status").render())
        assert "PAUSED" in status and "FILTERED" in status


async def test_the_whole_flow_with_the_keyboard_never_gets_stuck_in_an_input():
    """1 → 7 by number keys, into each screen's input and out with Escape, with the screen's keys working
    after every step; at 80×24."""
    app = still_app("sources")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await goto(app, pilot, "2", "browse")
        await pilot.press("w", *"7d")  # the time window box
        assert typing_into(app) and app.focused.value.endswith("7d")
        await pilot.press("escape")
        assert not typing_into(app)
        await pilot.press("r")  # the records tree
        assert isinstance(app.focused, Tree)
        await goto(app, pilot, "3", "schema")
        await pilot.press("e", "escape")  # into the editor and out
        assert not typing_into(app)
        await pilot.press("i", "escape")  # "Start from" and out
        assert not typing_into(app)
        await goto(app, pilot, "4", "events")
        await pilot.press("slash", *"outcome = success", "enter")
        assert not typing_into(app)
        await pilot.press("slash", "escape")
        assert not typing_into(app)
        await goto(app, pilot, "5", "rules")
        await goto(app, pilot, "6", "live")
        await pilot.press("slash", *"alert", "escape")
        assert not typing_into(app)
        await goto(app, pilot, "7", "replay")
        await pilot.press("tab")
        await pilot.press("escape")
        assert not typing_into(app)
        await goto(app, pilot, "1", "sources")
        await pilot.press("question_mark")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        await goto(app, pilot, "4", "events")


async def test_a_parse_failure_opens_in_full_and_jumps_to_its_schema_field():
    from screens.modals.failures import FailuresScreen
    from workbench.parse import ParseError

    app = still_app("schema")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        record = app.session.sample.records[4]
        app.session.parse_errors = [ParseError(record.key, record.line, "outcome", "sucess", "not one of the values",
                                               "Custom.Panoptica.Auth")]
        await goto(app, pilot, "4", "events")
        await pilot.press("f")
        await settle(app, pilot)
        assert isinstance(app.screen, FailuresScreen)
        text = screen_text(app)
        assert "not one of the values" in text and record.text[:40] in text  # the raw line as sampled
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "schema"
        editor = app.screen.query_one("#schema-editor")
        assert app.focused is editor
        line = editor.document.get_line(editor.cursor_location[0])
        assert "type:" in line  # the `type:` line of the `outcome` field
        above = "\n".join(editor.document.get_line(i) for i in range(editor.cursor_location[0]))
        assert above.rstrip().splitlines()[-1].strip().endswith("outcome") or "name: outcome" in above.splitlines()[-2]


async def test_enter_on_a_sampled_record_shows_it_and_its_whole_group():
    app = still_app("browse")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        tree = app.screen.query_one("#group-tree", Tree)
        line = next(i for i in range(tree.last_line + 1) if hasattr(tree.get_node_at_line(i).data, "text"))
        tree.cursor_line = line
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "the other 20 records of this group" in text and '"event_type":"auth"' in text


async def test_saving_an_inferred_schema_over_a_hand_written_one_can_add_the_new_fields_only(tmp_path):
    from test_tui_snapshots import SnapshotApp, fixed_sample

    from screens.modals.schema_diff import SchemaDiffConfirm
    from workbench.config import parse_config
    from workbench.schema import load_schema

    saved = tmp_path / "Custom.Panoptica.Auth.yml"
    saved.write_text("# ours: keep\nschema: Custom.Panoptica.Auth\nfields:\n  - name: ts\n    type: timestamp\n"
                     "    timeFormats: [rfc3339]\n    isEventTime: true\n    description: hand-written\n")
    config = parse_config(f"schemas: {tmp_path}\nsources:\n  demo:\n    bucket: b\n    prefixes:\n"
                          "      Panoptica/auth/: Custom.Panoptica.Auth\n")
    app = SnapshotApp(config, start="schema")
    app.session.sample, app.session.detections = fixed_sample()
    app.session.prefix = "Panoptica/auth/"
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await pilot.pause(0.5)
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SchemaDiffConfirm)
        assert "a: add only the new fields (event_type, outcome)" in screen_text(app)
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.pause(0.3)
    text = saved.read_text()
    assert text.startswith("# ours: keep\n") and "description: hand-written" in text
    assert [f.name for f in load_schema(text).fields] == ["ts", "event_type", "outcome"]


async def test_sources_shows_the_next_step_and_the_flagged_objects_with_their_records():
    from dataclasses import replace

    app = still_app("sources")
    sample = app.session.sample
    key = sample.objects[2].key
    sample.summaries[key] = replace(sample.summaries[key], flags=("invalid_utf8",))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        assert "Next: press 3 (Schema)" in screen_text(app)
        assert "Flagged objects in the sample: 1" in str(app.screen.query_one("#flagged-title").render())
        table = app.screen.query_one("#flagged-table", DataTable)
        assert table.row_count == 1 and "invalid_utf8" in str(table.get_row_at(0)[1])
        table.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        assert ": 3 records" in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "browse"


async def test_enter_on_an_event_opens_it_in_full():
    app = still_app("events")
    async with app.run_test(size=SMALL) as pilot:  # narrow: the JSON pane is folded, Enter is the way in
        await settle(app, pilot)
        await pilot.press("j", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        assert '"ts": "2024-05-01 00:17:00.000000000"' in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.current_mode == "events" and not isinstance(app.screen, DetailScreen)
