"""The command palette provider: every action bound on the current screen (and app), by name.

Driven by screen state: it lists the bindings active where the palette was opened, so it always matches
the footer and the help screen, plus any extra entries a screen offers through `palette_commands()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

_SKIP = {"command_palette", "help_quit"}


class ActionsProvider(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        screen = self.screen
        app = self.app
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            b = active.binding
            if b.system or b.action in _SKIP or not active.enabled:
                continue
            name = b.description or b.action
            if name in seen:
                continue
            seen.add(name)
            namespace = active.node
            help_text = f"key: {app.get_key_display(b)}" + (f" — {b.tooltip}" if b.tooltip else "")
            yield name, help_text, partial(app.run_action, b.action, namespace)
        extra = getattr(screen, "palette_commands", None)
        if extra is not None:
            for name, help_text, callback in extra():
                if name not in seen:
                    seen.add(name)
                    yield name, help_text, callback

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
