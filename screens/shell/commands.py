"""The command palette provider: every action of every screen, by name, once.

First the actions of the screen the palette was opened on (its bindings and the App's, as the footer and
help show them), then every other screen's as "Screen: action" — choosing one switches to that screen and
runs it. Bindings of widgets (a table's cursor keys) and the shared movement keys are not listed: they are
keys, not commands. A screen can add entries through `palette_commands()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from screens.app import WorkbenchApp

_SKIP = {"command_palette", "help_quit", "leave_input", "find", "side_panel", "focus_next", "focus_previous"}


def _listed(b: Binding) -> bool:
    return not b.system and bool(b.description) and (b.id or b.action) not in _SKIP \
        and not b.action.startswith("vim(") and b.action not in _SKIP


class ActionsProvider(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        from screens.shell.registry import SCREENS

        screen = self.screen
        app = self.app
        seen: set[str] = set()
        # the screen's and the App's own bindings (not `active_bindings`: a focused widget's Enter would hide
        # the screen's Enter action there)
        for node in (screen, app):
            for bindings in node._bindings.key_to_bindings.values():
                for b in bindings:
                    if not _listed(b) or b.description in seen:
                        continue
                    seen.add(b.description)
                    help_text = f"key: {app.get_key_display(b)}" + (f" — {b.tooltip}" if b.tooltip else "")
                    yield b.description, help_text, partial(app.run_action, b.action, node)
        extra = getattr(screen, "palette_commands", None)
        if extra is not None:
            for name, help_text, callback in extra():
                if name not in seen:
                    seen.add(name)
                    yield name, help_text, callback
        for entry in SCREENS:  # every other screen's actions, reachable from here
            if entry.mode == getattr(app, "current_mode", None):
                continue
            try:
                bindings = [b for b in entry.load().BINDINGS if isinstance(b, Binding) and _listed(b)]
            except Exception:  # a broken screen module must not break the palette
                continue
            for b in bindings:
                name = f"{entry.title}: {b.description}"
                if name in seen:
                    continue
                seen.add(name)
                help_text = f"on {entry.title} (key {entry.key}), then {app.get_key_display(b)}" + (
                    f" — {b.tooltip}" if b.tooltip else "")
                yield name, help_text, partial(self._run_on, entry.mode, b.action)

    def _run_on(self, mode: str, action: str) -> None:
        app = cast("WorkbenchApp", self.app)  # the palette runs inside the WorkbenchApp
        app.action_goto(mode)
        app.call_after_refresh(lambda: app.run_action(action, app.screen))

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
