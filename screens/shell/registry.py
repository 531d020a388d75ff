"""The workbench's screens, in the order of the onboarding flow. Adding a screen is adding one entry here.

Each entry names a module and a `Screen` class (imported lazily, the first time the user opens it), the
mode name used by `app.switch_mode`, and the key that jumps to it from anywhere (binding id `goto_<mode>`,
overridable from the config's `keymap:`).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class ScreenEntry:
    mode: str  # mode name, also the binding id suffix: goto_<mode>
    title: str
    key: str
    module: str
    cls: str
    description: str

    def load(self) -> type[Screen]:
        return getattr(importlib.import_module(self.module), self.cls)


def _available(entries: list[ScreenEntry]) -> list[ScreenEntry]:
    """Entries whose module exists (screens still being built by other work are skipped, not crashed on)."""
    return [e for e in entries if importlib.util.find_spec(e.module) is not None]


SCREENS: list[ScreenEntry] = _available([
    ScreenEntry("sources", "Sources", "1", "screens.flow.sources", "SourcesScreen",
                "Configured sources, their prefixes and the connection checklist"),
    ScreenEntry("browse", "Browse & sample", "2", "screens.flow.browse", "BrowseScreen",
                "Prefix tree, objects, and sampling with format detection"),
    ScreenEntry("schema", "Schema", "3", "screens.flow.schema", "SchemaScreen",
                "Edit the inferred schema and watch the samples re-parse"),
    ScreenEntry("events", "Events", "4", "screens.flow.events", "EventsScreen",
                "Parsed events with p_ fields: filter, sort, copy, export"),
    ScreenEntry("rules", "Rules", "5", "screens.flow.rules", "RulesScreen",
                "Detection rules run on the parsed events"),
    ScreenEntry("live", "Live", "6", "screens.flow.live", "LiveScreen",
                "New objects arriving through the notification queue"),
    ScreenEntry("replay", "Replay", "7", "screens.flow.replay", "ReplayScreen",
                "Run rules over weeks of history on Dask and count what would have fired"),
])
