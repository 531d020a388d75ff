"""A scrollable plain-text modal for the full item behind a list row (an event, an alert, a parse failure,
an error's traceback). Escape closes it; when the item has a natural next place (an alert's rule, a
failure's schema field) Enter jumps there, and further places can have keys of their own (`more`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.shell import safe

Jump = tuple[str, Callable[[], None]]  # (what it opens, how)
KeyedJump = tuple[str, str, Callable[[], None]]  # (key, what it opens, how)


class DetailScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    DetailScreen { align: center middle; }
    DetailScreen > VerticalScroll {
        width: 90%; height: 80%; border: thick $error; background: $surface; padding: 0 1;
    }
    DetailScreen .title { text-style: bold; margin-bottom: 1; }
    DetailScreen .jump { color: $accent; margin-bottom: 1; }
    """
    BINDINGS: ClassVar = [
        Binding("escape,q", "close", "Close", id="detail_close"),
        Binding("enter", "jump", "Go there", id="detail_jump", show=False),
        Binding("j", "scroll('down')", "Down", show=False),
        Binding("k", "scroll('up')", "Up", show=False),
    ]

    def __init__(self, title: str, body: str | Text, *, jump: Jump | None = None,
                 more: Sequence[KeyedJump] = ()) -> None:
        """`body` as a str is untrusted text (shown literally); a `Text` is already made safe by its builder."""
        super().__init__()
        self.title_text = title
        self.body = body
        self.jump = jump
        self.more = {key: (label, go) for key, label, go in more}

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(safe.content(self.title_text), classes="title", id="detail-title")
            keys = self.keys_line()
            if keys:
                yield Static(safe.content(keys), classes="jump", id="detail-keys")
            yield Static(self.body_text(self.body), id="detail-body")

    def keys_line(self) -> str:
        parts = [f"Enter: {self.jump[0]}"] if self.jump is not None else []
        parts += [f"{key}: {label}" for key, (label, _) in self.more.items()]
        return "   ".join([*parts, "Escape: close"]) if parts else ""

    @staticmethod
    def body_text(body: str | Text) -> Text:
        return body if isinstance(body, Text) else safe.text(body, single_line=False, limit=100_000)

    def on_key(self, event: events.Key) -> None:
        if event.key in self.more:
            event.stop()
            go = self.more[event.key][1]
            self.dismiss(None)
            go()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one(VerticalScroll)
        scroller.scroll_down() if direction == "down" else scroller.scroll_up()

    def action_jump(self) -> None:
        if self.jump is None:
            return
        go = self.jump[1]
        self.dismiss(None)
        go()
