"""Themes: the picker marks the one in use, and the choice is remembered between runs.

The choice goes to `ui-state.json` beside the config file (not into the config, which is the user's own text);
the config's `theme:` still wins when it is set."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual.command import DiscoveryHit, Hit, Hits, Provider

from screens.shell.ui_state import load_state, save_state


def remembered_theme(config_path: Path | None) -> str | None:
    value = load_state(config_path).get("theme")
    return value if isinstance(value, str) else None


def remember_theme(config_path: Path | None, theme: str) -> None:
    save_state(config_path, theme=theme)


class MarkedThemeProvider(Provider):
    """Every theme; the current one first and marked ●."""

    def _themes(self) -> list[tuple[str, str]]:
        current = self.app.theme
        names = sorted(self.app.available_themes, key=lambda n: (n != current, n))
        return [(("● " if n == current else "  ") + n, n) for n in names]

    def _set(self, name: str) -> None:
        self.app.theme = name

    async def discover(self) -> Hits:
        for label, name in self._themes():
            yield DiscoveryHit(label, partial(self._set, name), help="in use" if label.startswith("●") else None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, name in self._themes():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._set, name))
