"""The one path from untrusted data (log values, object keys, AWS errors, rule output) to a widget.

Everything shown on screen that did not come from our own source code goes through these helpers:
`workbench.safetext.clean` strips terminal control sequences, bidi overrides and NULs, then the result is
wrapped in `rich.text.Text` or `textual.content.Content`, which are never parsed as markup.

- `text(v)`      → `Text` for DataTable cells, Tree labels, Static bodies built from several parts.
- `content(v)`   → `Content` for Static/Label/OptionList/Select/border titles.
- `template(m, **values)` → our own markup with data inserted literally (`Content.from_markup` variables).
- `notify(app, message)` → a plain-text toast (markup off, one line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.content import Content

from workbench.safetext import clean, one_line

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

DEFAULT_LIMIT = 4096


def plain(value: object, *, single_line: bool = True, limit: int | None = DEFAULT_LIMIT) -> str:
    """The cleaned string itself, for sinks that never parse markup (Input values, Log lines, clipboard text)."""
    if value is None:
        return ""
    return clean(value, single_line=single_line, limit=limit)


def text(value: object, style: str = "", *, single_line: bool = True, limit: int | None = DEFAULT_LIMIT) -> Text:
    """A `rich.text.Text` holding the cleaned value literally."""
    return Text(plain(value, single_line=single_line, limit=limit), style=style, no_wrap=single_line, end="")


def cell(value: object, style: str = "", limit: int = 512) -> Text:
    """A one-line table cell or tree label."""
    return text(value, style, single_line=True, limit=limit)


def content(value: object, *, single_line: bool = True, limit: int | None = DEFAULT_LIMIT) -> Content:
    """A `Content` holding the cleaned value literally (for Static, Label, titles, options)."""
    return Content(plain(value, single_line=single_line, limit=limit))


def template(markup: str, **values: object) -> Content:
    """Our own (trusted) markup with untrusted values inserted as literal text.

    `template("[b]$key[/b] failed: $why", key=k, why=err)` — values never become tags.
    """
    return Content.from_markup(markup, **{k: plain(v) for k, v in values.items()})


def join(*parts: tuple[object, str] | object) -> Text:
    """Concatenate values (each cleaned) into one Text; a part may be `(value, style)`."""
    out = Text(no_wrap=True, end="")
    for part in parts:
        if isinstance(part, tuple):
            value, style = part
            out.append(plain(value, single_line=False), style=style)
        else:
            out.append(plain(part, single_line=False))
    return out


def notify(app: App, message: object, *, severity: SeverityLevel = "information", title: str = "",
           timeout: float | None = None) -> None:
    """A toast with plain (one-line, cleaned) text; never markup."""
    kwargs = {"timeout": timeout} if timeout is not None else {}
    app.notify(one_line(message, 400), title=one_line(title, 80), severity=severity, markup=False, **kwargs)
