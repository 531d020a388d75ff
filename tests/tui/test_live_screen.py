"""The Live screen driven with Pilot on the demo: arrivals shown and highlighted, pause with a count, filter,
drift patch, hostile strings kept as text, and nothing left in AWS after quitting."""

from __future__ import annotations

import asyncio
import time

import pytest
from livekit import LOG_TYPE, RULE_ID, WAIT, Puts, _ours

from screens.app import WorkbenchApp
from screens.flow.live import LiveScreen, item_line
from screens.modals.drift_patch import DriftPatchScreen
from screens.widgets.live_stream import LiveStream
from workbench.live.buffer import ALERT, EVENT, PARSE_ERROR, LiveItem

pytestmark = pytest.mark.demo


async def _until(pilot, check, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


@pytest.mark.asyncio
async def test_live_screen_streams_highlights_pauses_filters_and_cleans_up(demo, live_config):
    app = WorkbenchApp(live_config, "demo", start="live")
    puts = Puts(demo, 21)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            screen = app.screen
            assert isinstance(screen, LiveScreen)
            await _until(pilot, lambda: screen.tail is not None, "the tail to start")
            assert screen.tail.mode == "own-queue" and _ours(demo)[0]
            stream = screen.query_one(LiveStream)

            _key, n = puts.auth()
            await _until(pilot, lambda: stream.line_count >= 2 * n, "events and alerts on screen")
            kinds = [k for _, k in stream.lines()]
            assert kinds.count("hit") == n and kinds.count("alert") == n  # rule hits highlighted
            assert LOG_TYPE in str(screen.query_one("#live-rates").render())
            assert RULE_ID in str(screen.query_one("#live-rule-rates").render())  # its own section
            # each name on its own line, in full (they used to run together on one line, cut at the panel's edge)
            assert LOG_TYPE in str(screen.query_one("#live-rates").render()).splitlines()
            assert RULE_ID in str(screen.query_one("#live-rule-rates").render()).splitlines()
            assert sum(screen.query_one("#live-spark").data) >= n

            await pilot.press("space")
            assert screen.paused
            shown = stream.line_count
            _key2, n2 = puts.auth()
            await _until(pilot, lambda: screen.pending >= 2 * n2, "items counted while paused")
            assert stream.line_count == shown
            assert f"{screen.pending:,} new item" in str(screen.query_one("#live-paused").render())
            await pilot.press("space")
            assert not screen.paused and stream.line_count == shown + 2 * n2

            screen.query_one("#live-filter").value = "alert"
            await pilot.pause()
            assert stream.line_count == n + n2 and {k for _, k in stream.lines()} == {"alert"}
            screen.query_one("#live-filter").value = ""
            await pilot.pause()
            stream.focus()

            await _until(pilot, lambda: screen.tail.drift.report(), "drift")
            await pilot.press("d")
            await _until(pilot, lambda: isinstance(app.screen, DriftPatchScreen), "the drift modal")
            editor_text = app.screen.query_one("#drift-editor").text
            assert "schema: Custom.Panoptica.Auth" in editor_text and "name: session_id" in editor_text
            await pilot.press("escape")
            await _until(pilot, lambda: app.screen is screen, "the modal to close")

            await pilot.press("s")  # stop: the temporary queue is removed
            await _until(pilot, lambda: _ours(demo) == ([], []), "the queue to be removed")
            await pilot.press("s")  # and start again; quitting must clean up too
            await _until(pilot, lambda: bool(_ours(demo)[0]), "a new queue")
        await asyncio.sleep(0)
        assert _ours(demo) == ([], [])
    finally:
        puts.cleanup()


def test_hostile_values_become_plain_one_line_text():
    hostile = "[/]\x1b]0;pwned\x07[@click=app.quit]x[/]\u202e\nnext"
    for item in (
        LiveItem(1, EVENT, "Custom.X", "b", "k[/]", event={"msg": hostile, "p_log_type": "Custom.X"}, rules=("R[/]",)),
        LiveItem(2, ALERT, "Custom.X", "b", "k", event={}, rule_id="R", title=hostile, severity="High"),
        LiveItem(3, PARSE_ERROR, "Custom.X", "b", hostile, line=3, reason=hostile),
    ):
        text, kind, haystack = item_line(item)
        assert "\x1b" not in text and "\u202e" not in text and "\n" not in text and "\x07" not in text
        assert "[/]" in text or "[/]" in haystack  # kept literally, never interpreted
        assert kind in ("hit", "alert", "parse_error")


@pytest.mark.asyncio
async def test_mode_key_switches_sources_and_peek_needs_a_yes(demo, live_config):
    """m opens a picker of the three modes (the current one marked); peek still asks first."""
    from screens.modals.confirm import ConfirmScreen
    from screens.modals.mode_picker import ModePicker

    async def pick(pilot, mode: str) -> None:
        await pilot.press("m")
        await _until(pilot, lambda: isinstance(app.screen, ModePicker), "the mode picker")
        modes = app.screen.query_one("#modes")
        modes.highlighted = modes.get_option_index(mode)
        await pilot.press("enter")

    app = WorkbenchApp(live_config, "demo", start="live")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        await _until(pilot, lambda: screen.tail is not None and screen.tail.mode == "own-queue", "own-queue")
        await pick(pilot, "poll")
        await _until(pilot, lambda: screen.tail.mode == "poll", "poll mode")
        await _until(pilot, lambda: _ours(demo) == ([], []), "the temporary queue to go")
        assert "poll" in str(screen.query_one("#live-status").render())  # the status says the mode in use
        await pick(pilot, "peek")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the peek warning")
        await pilot.press("n")
        await _until(pilot, lambda: app.screen is screen, "the warning to close")
        assert screen.tail.mode == "poll"
        await pick(pilot, "peek")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the peek warning again")
        await pilot.press("y")
        await _until(pilot, lambda: screen.tail.mode == "peek", "peek mode")
        assert "never deleted" in str(screen.query_one("#live-problems").render()) or any(
            "never deleted" in p.reason for p in screen.tail.buffer.problems)
    assert _ours(demo) == ([], [])
