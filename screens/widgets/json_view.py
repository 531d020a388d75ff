"""An event as pretty JSON, highlighted, in a scrollable pane. The JSON text is cleaned before display and
highlighting only adds styles: no value is ever parsed as markup."""

from __future__ import annotations

import json
from typing import Any

import orjson
from rich.highlighter import JSONHighlighter
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.shell import safe

_HIGHLIGHT = JSONHighlighter()
MAX_CHARS = 200_000


def pretty_json(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode()
    except TypeError:  # e.g. integers beyond 64 bits, which JSON logs do carry
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)


class JsonView(VerticalScroll):
    DEFAULT_CSS = """
    JsonView { border: round $primary; padding: 0 1; }
    JsonView > Static { width: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="json-body")

    def show(self, value: Any, title: str = "") -> None:
        body = self.query_one("#json-body", Static)
        if value is None:
            body.update(safe.content(""))
        else:
            text = safe.text(pretty_json(value), single_line=False, limit=MAX_CHARS)
            _HIGHLIGHT.highlight(text)
            body.update(text)
        if title:
            self.border_title = safe.content(title)
