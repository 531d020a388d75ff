"""A schema another screen puts in the session (the Live screen's drift patch) opens in the Schema editor as
an unsaved edit; the Schema screen's own re-parses do not bounce back into it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from screens.app import WorkbenchApp
from screens.flow.schema import DIRTY_KEY, SchemaScreen
from screens.widgets.schema_editor import SchemaEditor
from workbench.config import parse_config
from workbench.schema import load_schema

PATCHED = """\
schema: Custom.Drifted
fields:
  - name: ts
    type: timestamp
    timeFormats: [rfc3339]
    isEventTime: true
  - name: new_field_from_live
    type: string
"""


async def _settle(app, pilot) -> None:
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(w.is_finished for w in app.workers):
            return


@pytest.mark.asyncio
async def test_schema_from_another_screen_opens_as_unsaved_edit(tmp_path):
    config = replace(parse_config("sources: {}\n"), schema_dirs=(tmp_path / "schemas",))
    app = WorkbenchApp(config, start="schema")
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, SchemaScreen):
                break
        screen = app.screen
        assert isinstance(screen, SchemaScreen)
        patched = load_schema(PATCHED)
        app.update_session(schema=patched, log_type=patched.name)
        await _settle(app, pilot)
        text = screen.query_one(SchemaEditor).text
        assert "new_field_from_live" in text and "Custom.Drifted" in text
        assert app.dirty.is_dirty(DIRTY_KEY)
        # its own re-parse published a schema back into the session: the editor keeps the user's text
        screen.query_one(SchemaEditor).insert("# a comment the user typed\n", (0, 0))
        await _settle(app, pilot)
        assert screen.query_one(SchemaEditor).text.startswith("# a comment the user typed")
