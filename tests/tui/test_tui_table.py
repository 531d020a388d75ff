"""The shared Table never shows its header at widths it has outgrown: a frame painted after rows were added
but before the table measured them (on idle) used to keep its header row, drawn at the labels' widths, in
DataTable's line cache above rows drawn at the measured widths (seen in snapshots when another app had run
earlier in the process)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from screens.widgets.table import Table

pytestmark = pytest.mark.asyncio


class OneTable(App):
    CSS = "DataTable { height: 8; }"  # sized by the layout, as on every screen (a table that grows resizes)

    def __init__(self, table: DataTable) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table


async def header_after_a_frame_painted_before_the_measure(table: DataTable) -> str:
    app = OneTable(table)
    async with app.run_test(size=(80, 10)) as pilot:
        table.add_columns("Prefix", "Objects")
        await pilot.pause()
        table.add_row("Panoptica/auth/", "1,234")
        table.render_line(0)  # a frame painted now, before the idle measure: the labels' widths
        await pilot.pause()  # the measure
        assert table.columns[table.ordered_columns[0].key].content_width == len("Panoptica/auth/")
        return table.render_line(0).text


async def test_the_header_is_drawn_again_at_the_measured_widths():
    header = await header_after_a_frame_painted_before_the_measure(Table())
    assert header.startswith(" Prefix" + " " * (len("Panoptica/auth/") - len("Prefix")) + "  Objects ")


async def test_textuals_own_table_keeps_the_stale_header():
    """Why Table exists: when this starts failing, Textual fixed it and Table can go."""
    header = await header_after_a_frame_painted_before_the_measure(DataTable())
    assert header.startswith(" Prefix  Objects ")
