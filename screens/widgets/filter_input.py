"""The filter box of the Events and Live views: the filter language (`workbench.events.filter`) with field-name
completion as you type (shown dimmed; Tab or → accepts it), Up/Down through the filters used before, and a
`-active` class while a filter is applied (the border turns to the warning colour: a visible chip)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input

HISTORY = 50  # filters remembered per box


class FieldSuggester(Suggester):
    """Completes the last word of the filter to a field name (or `and`/`or` after a whole condition)."""

    def __init__(self, fields: Callable[[], Iterable[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.fields = fields

    async def get_suggestion(self, value: str) -> str | None:
        from workbench.events.filter import complete

        return complete(value, self.fields())


class FilterInput(Input):
    DEFAULT_CSS = """
    FilterInput.-active { border: tall $warning; }
    FilterInput.-error { border: tall $error; }
    """
    BINDINGS: ClassVar = [
        Binding("tab", "complete", "Complete", show=False),
        Binding("up", "history(-1)", "Earlier filter", show=False),
        Binding("down", "history(1)", "Later filter", show=False),
    ]

    def __init__(self, fields: Callable[[], Iterable[str]], **kwargs: Any) -> None:
        super().__init__(suggester=FieldSuggester(fields), **kwargs)
        self.history: list[str] = []
        self._at = 0  # position in history while browsing it with Up/Down

    def remember(self, expression: str) -> None:
        expression = expression.strip()
        if expression:
            if expression in self.history:
                self.history.remove(expression)
            self.history.append(expression)
            del self.history[:-HISTORY]
        self._at = len(self.history)

    def show_state(self, *, active: bool, error: str | None = None) -> None:
        """Colour the box: a filter is applied (warning) or the text is not a valid filter (error)."""
        self.set_class(active and not error, "-active")
        self.set_class(bool(error), "-error")
        self.tooltip = error

    def action_complete(self) -> None:
        if self._suggestion and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._at = max(0, min(len(self.history), self._at + step))
        self.value = self.history[self._at] if self._at < len(self.history) else ""
        self.cursor_position = len(self.value)
