"""Helpers shared by the Pilot tests of the TUI: wait for the app to settle, and read what it composed."""

from __future__ import annotations

from typing import ClassVar

from screens.app import WorkbenchApp
from screens.flow.rules import RulesScreen
from screens.flow.schema import SchemaScreen


class HostileApp(WorkbenchApp):
    """The app, recording the actions hostile markup might trigger (app.pwn, app.quit) instead of running them."""

    actions_run: ClassVar[list[str]] = []

    def action_pwn(self) -> None:
        self.actions_run.append("pwn")

    async def action_quit(self) -> None:
        self.actions_run.append("quit")


async def settle(app, pilot) -> None:
    """Wait until no worker runs and every posted message is handled."""
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(w.is_finished for w in app.workers):
            await pilot.pause()
            return


async def wait_for(pilot, condition, what: str, attempts: int = 1500) -> None:
    """Let the app run until `condition()` holds; fail saying `what` never happened (no silent snapshot of a
    half-drawn screen). The attempts bound only a hang: the wait ends as soon as the condition holds."""
    for _ in range(attempts):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"the app never reached this state: {what}")


def _measured(table) -> bool:
    """Every column of a DataTable is at least as wide as its widest cell (DataTable measures new rows on
    idle, after they are drawn once at the old widths), and no measure is pending."""
    from textual.widgets._data_table import default_cell_formatter, measure

    if table._require_update_dimensions or table._updated_cells or table._new_rows:
        return False
    console = table.app.console
    for key, column in table.columns.items():
        widest = max((measure(console, default_cell_formatter(cell), 1) for cell in table.get_column(key)), default=0)
        if column.content_width < widest:
            return False
    return True


async def tables_measured(app, pilot) -> None:
    """Wait until every DataTable of the screen has measured its rows (a loaded machine can snapshot before)."""
    from textual.widgets import DataTable

    await wait_for(pilot, lambda: all(_measured(t) for t in app.screen.query(DataTable)),
                   "every table measured its rows")
    await pilot.pause()


def screen_text(app) -> str:
    """Exactly the characters Textual composes for the terminal (what a user would see)."""
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


async def open_rules(app, pilot, events) -> RulesScreen:
    """Hand the session Custom.Panoptica.Auth events and go to the Rules screen (key 5) once it has run them."""
    app.update_session(events=events, log_type="Custom.Panoptica.Auth")
    await pilot.press("5")
    await settle(app, pilot)
    assert isinstance(app.screen, RulesScreen)
    return app.screen


async def sample_panoptica(app, pilot):
    """On Browse & sample (key 2), sample 12 records under Panoptica/ of the demo as a user would; returns the
    Browse screen."""
    await pilot.press("2")
    await pilot.pause()
    browse = app.screen
    browse._prefix = "Panoptica/"  # what highlighting the Panoptica/ node in the prefix tree sets
    browse.query_one("#limit").value = "12"
    await settle(app, pilot)
    browse.query_one("#prefix-tree").focus()
    await pilot.press("s")
    await settle(app, pilot)
    assert app.session.sample is not None and app.session.sample.records
    return browse


async def open_schema(app, pilot) -> SchemaScreen:
    """Go to the Schema screen (key 3) once it has inferred from the session's sample."""
    await pilot.press("3")
    await settle(app, pilot)
    assert isinstance(app.screen, SchemaScreen)
    return app.screen


async def highlight_rule(pilot, screen: RulesScreen, rule_id: str) -> None:
    """Move the Rules table's cursor to `rule_id`, as the arrow keys would: its results fill the lower table."""
    table = screen.query_one("#rules-table")
    table.focus()
    table.move_cursor(row=[s.rule_id for s in screen.run_result.specs].index(rule_id))
    await pilot.pause()
