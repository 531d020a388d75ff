"""Browse: a detected group's "why:" (and "suggests:") line is one tree row, cut at the pane's edge even at
200 columns; highlighted, the whole reason shows wrapped below the tree, and Enter opens it in full."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_tui_snapshots import still_app
from textual.widgets import Tree
from tuikit import screen_text, settle

from screens.modals.detail import DetailScreen
from screens.presenters.browse_view import GroupNote

pytestmark = pytest.mark.asyncio
REASON = ("all 21 sampled lines are JSON objects with a stable key set (ts, event_type, outcome), "
          "the timestamps parse as RFC 3339 in every line, no line is cut at the line cap, "
          "and the key layout repeats per day and account; the last words of this reason are THE-VERY-END")


@pytest.mark.parametrize("size", [(200, 50), (80, 24)])
async def test_the_whole_reason_shows_when_highlighted_and_on_enter(size):
    app = still_app("browse")
    app.session.detections = [replace(d, reason=REASON) for d in app.session.detections]
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        tree = app.screen.query_one("#group-tree", Tree)
        line = next(i for i in range(tree.last_line + 1) if isinstance(tree.get_node_at_line(i).data, GroupNote))
        assert tree.get_node_at_line(line).data.label == "why"
        tree.cursor_line = line
        await pilot.pause()
        below = str(app.screen.query_one("#record-text").render())
        assert "THE-VERY-END" in below and "why:" in below
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "THE-VERY-END" in screen_text(app)  # wrapped in the detail view, not cut
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#group-tree") is tree and tree.has_focus  # no key swallowed on the way back
