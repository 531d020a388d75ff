"""Helpers shared by the Pilot tests of the TUI: wait for the app to settle, and read what it composed."""

from __future__ import annotations

from typing import ClassVar

from screens.app import WorkbenchApp


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


async def tables_measured(app, pilot) -> None:
    """DataTables measure new rows' column widths on idle; a loaded machine can snapshot before that."""
    from textual.widgets import DataTable

    for _ in range(200):
        pending = [t for t in app.screen.query(DataTable)
                   if t._require_update_dimensions or t._updated_cells or t._new_rows]
        if not pending:
            await pilot.pause()
            return
        await pilot.pause(0.02)


def screen_text(app) -> str:
    """Exactly the characters Textual composes for the terminal (what a user would see)."""
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())
