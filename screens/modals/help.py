"""The help screen (`?` / F1), generated from the bindings active where it was opened.

It shows the screen's how-to (`WorkbenchScreen.HELP`), then every key grouped by where it applies: the
focused widget, the screen, and the whole app (including the jump keys of every screen).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from screens.shell import safe

INTRO = (
    "log-workbench help: keys and bindings. Everything is reachable from the keyboard; "
    "Ctrl+P opens the command palette with every action by name. Escape closes this help. "
    "Rebind any key in the config file: `keymap: {<keymap id>: <key>}`."
)


def paragraphs(text: str) -> list[str]:
    """Help text as paragraphs: blank lines separate them, and a line starting "Next:" starts a new one."""
    out: list[list[str]] = []
    for line in text.strip().splitlines():
        line = line.strip()
        if not line or line.startswith("Next:") or not out:
            out.append([])
        if line:
            out[-1].append(line)
    return [" ".join(p) for p in out if p]


def binding_rows(screen: Screen) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """[(group title, [(key display, description, keymap id), ...]), ...] for the bindings active on `screen`."""
    app = screen.app
    groups: dict[str, list[tuple[str, str, str]]] = {}
    seen: set[tuple[str, str]] = set()
    for key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        if binding.system or binding.action in ("help_quit",):
            continue
        node = active.node
        if node is app:
            group = "Everywhere"
        elif node is screen:
            group = f"This screen ({type(screen).__name__})"
        else:
            group = f"Focused: {type(node).__name__}"
        description = binding.description or binding.tooltip or binding.action
        if (group, binding.action) in seen:
            continue
        seen.add((group, binding.action))
        display = ", ".join(app.get_key_display(b) for b in _same_action(screen, binding, key))
        groups.setdefault(group, []).append((display, description, binding.id or ""))
    order = sorted(groups, key=lambda g: (g.startswith("Everywhere"), g.startswith("This"), g))
    return [(g, groups[g]) for g in order]


def _same_action(screen: Screen, binding: Binding, key: str) -> list[Binding]:
    """Every active binding that runs the same action on the same node (e.g. `?` and F1)."""
    out = []
    for active in screen.active_bindings.values():
        if active.binding.action == binding.action and active.node is not None:
            out.append(active.binding)
    return out or [binding]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 95%; height: 85%;
        border: thick $primary; background: $surface; padding: 0 2;
    }
    HelpScreen .help-title { text-style: bold; color: $accent; margin: 1 0; }
    HelpScreen .how-to { margin-bottom: 1; }
    """
    BINDINGS: ClassVar = [
        Binding("escape,q,question_mark,f1", "close", "Close help", id="help_close"),
    ]

    def __init__(self, for_screen: Screen) -> None:
        super().__init__()
        self.for_screen = for_screen

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(safe.content("Help — keys and bindings"), classes="help-title")
            yield Static(safe.content(INTRO, single_line=False), classes="how-to")
            for paragraph in paragraphs(getattr(self.for_screen, "HELP", "")):
                yield Static(safe.content(paragraph, single_line=False), classes="how-to")
            yield Static(self._table())

    def _table(self) -> Text:
        out = Text(end="")
        for group, rows in binding_rows(self.for_screen):
            out.append(safe.plain(group) + "\n", style="bold underline")
            for key, description, binding_id in rows:
                out.append(f"  {safe.plain(key):<18}", style="bold")
                out.append(f"{safe.plain(description):<34}")
                out.append((f"keymap: {safe.plain(binding_id)}" if binding_id else "") + "\n", style="dim")
            out.append("\n")
        return out

    def action_close(self) -> None:
        self.dismiss(None)
