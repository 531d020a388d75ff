"""The schema YAML editor: a syntax-highlighted `TextArea` that marks the lines validation complained about.

A schema can quote hostile log text (`rename: {from: …}`, `validate: {allow: […]}`), so control and bidi
characters in the document are drawn as U+FFFD; the document itself keeps them unchanged.

`set_problems(problems)` takes `workbench.schema.SchemaProblem`s (1-based line:column); each marked line gets an
error background and the problem's column is underlined, so the error sits where the user is typing. Escape
hands focus back to the screen (letter keys are typed into the editor while it has focus).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import TextArea

# what must never reach the terminal even from the user's own file: C0/C1 controls (not tab), bidi controls
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
ERROR_LINE = Style(bgcolor="#5f0000")
ERROR_COLUMN = Style(underline=True, bold=True, color="#ffffff", bgcolor="#af0000")


class SchemaEditor(TextArea):
    DEFAULT_CSS = """
    SchemaEditor { height: 1fr; border: round $primary; }
    SchemaEditor:focus { border: round $accent; }
    """
    BINDINGS: ClassVar = [
        Binding("escape", "leave", "Leave editor", id="schema_editor_leave",
                tooltip="Move focus out of the editor so single-letter keys work again"),
    ]

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(text, language="yaml", soft_wrap=False, tab_behavior="indent", show_line_numbers=True,
                         **kwargs)
        self.indent_width = 2
        self._marks: dict[int, int] = {}  # 0-based line -> 0-based column of the first problem on it

    @property
    def marked_lines(self) -> list[int]:
        """1-based lines currently marked as wrong (for tests and the status line)."""
        return sorted(line + 1 for line in self._marks)

    def set_problems(self, problems: Iterable) -> None:
        marks: dict[int, int] = {}
        for p in problems:
            if getattr(p, "line", 0) > 0:
                marks.setdefault(p.line - 1, max(0, getattr(p, "column", 1) - 1))
        if marks != self._marks:
            self._marks = marks
            self._line_cache.clear()  # the cache key does not know about our marks
            self.refresh()

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if _HIDDEN.search(line.plain):  # shown as �, one character each, so columns still line up
            line = Text(_HIDDEN.sub("\ufffd", line.plain), end="", no_wrap=True)
        column = self._marks.get(line_index)
        if column is not None:
            line.stylize(ERROR_LINE)
            if len(line.plain):
                column = min(column, len(line.plain) - 1)
                line.stylize(ERROR_COLUMN, column, column + 1)
        return line

    def goto_line(self, line: int, column: int = 1) -> None:
        """Move the cursor to a 1-based line:column and scroll it into view."""
        row = max(0, min(line - 1, self.document.line_count - 1))
        col = max(0, min(column - 1, len(self.document.get_line(row))))
        self.move_cursor((row, col), center=True)

    def action_leave(self) -> None:
        self.screen.focus_next()
