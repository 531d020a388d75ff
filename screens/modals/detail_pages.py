"""The detail modal over a list of items (a rule's matches and errors): n / → and p / ← page through them
without closing, and every jump acts on the item on show. `render(i)` builds item i's title and body when
it is shown, so a list of a thousand results costs nothing until it is paged to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.modals.detail import DetailScreen
from screens.shell import safe

if TYPE_CHECKING:
    from textual.await_complete import AwaitComplete

PageJump = tuple[str, str, Callable[[int], None]]  # (key, what it opens, how, given the item shown)


class PagedDetailScreen(DetailScreen):
    BINDINGS: ClassVar = [
        Binding("n,right,pagedown", "page(1)", "Next", id="detail_next"),
        Binding("p,left,pageup", "page(-1)", "Previous", id="detail_previous"),
        Binding("home", "page_to(0)", "First", show=False),
        Binding("end", "page_to(-1)", "Last", show=False),
    ]

    def __init__(self, render: Callable[[int], tuple[str, Text | str]], count: int, start: int = 0, *,
                 jumps: Sequence[PageJump] = (), on_close: Callable[[int], None] | None = None) -> None:
        self.render_item = render
        self.count = max(count, 1)
        self.index = min(max(start, 0), self.count - 1)
        self.on_close = on_close  # told which item was on show last (the list under the modal follows it)
        self.page_jumps = list(jumps)
        title, body = render(self.index)
        enter = next(((label, go) for key, label, go in self.page_jumps if key == "enter"), None)
        super().__init__(title, body, jump=(enter[0], lambda: enter[1](self.index)) if enter else None,
                         more=[(key, label, self._bound(go)) for key, label, go in self.page_jumps if key != "enter"])

    def _bound(self, go: Callable[[int], None]) -> Callable[[], None]:
        return lambda: go(self.index)

    def keys_line(self) -> str:
        return "   ".join(filter(None, [f"n/p: next/previous of {self.count:,}", super().keys_line()]))

    def _title(self, title: str) -> str:
        return f"{title}   ({self.index + 1:,} of {self.count:,})"

    def on_mount(self) -> None:
        self.query_one("#detail-title", Static).update(safe.content(self._title(self.title_text)))

    def action_page(self, step: int) -> None:
        self.action_page_to(min(max(self.index + step, 0), self.count - 1))

    def action_page_to(self, index: int) -> None:
        index = index % self.count
        if index == self.index:
            return
        self.index = index
        title, body = self.render_item(index)
        self.title_text = title
        self.query_one("#detail-title", Static).update(safe.content(self._title(title)))
        self.query_one("#detail-body", Static).update(self.body_text(body))
        self.query_one(VerticalScroll).scroll_home(animate=False)

    def dismiss(self, result: None = None) -> AwaitComplete:
        if self.on_close is not None:
            self.on_close(self.index)
        return super().dismiss(result)
