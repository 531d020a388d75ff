"""Filter expressions over parsed events, as typed in the Events view (and usable from any CLI).

Grammar (conditions joined by `and`; case-insensitive operators):

    field = value        equal (dotted path into nested objects); on a list field (e.g. p_any_ip_addresses)
                         it means "the list contains value"
    field != value       not equal / list does not contain
    field ~ text         the field's value contains text (case-insensitive)
    text                 any value in the event contains text (case-insensitive)

Values may be quoted with "..." or '...'. Numbers and booleans compare by their text (`status = 200` matches
200 and "200"). A malformed expression raises one-sentence `WorkbenchError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workbench.errors import WorkbenchError

_COND = re.compile(r"^\s*([A-Za-z_@$][\w.@$:-]*)\s*(!=|=|~)\s*(.*?)\s*$")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_MISSING = object()

Predicate = Callable[[dict], bool]


def get_path(event: Any, path: str) -> Any:
    """The value at a dotted path (`actor.email`), or None. A literal key containing dots wins."""
    if isinstance(event, dict) and path in event:
        return event[path]
    cur = event
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part, _MISSING)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
        if cur is _MISSING:
            return None
    return cur


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    return s


def _values(v: Any):
    """Every scalar inside a value, for 'contains anywhere' searches."""
    if isinstance(v, dict):
        for x in v.values():
            yield from _values(x)
    elif isinstance(v, list):
        for x in v:
            yield from _values(x)
    else:
        yield v


def _condition(text: str) -> Predicate:
    m = _COND.match(text)
    if m is None:
        needle = _unquote(text.strip()).lower()
        if not needle:
            raise WorkbenchError("Empty filter condition: write `field = value`, `field ~ text` or just text.")
        return lambda e: any(needle in _text(v).lower() for v in _values(e))
    field, op, raw = m.group(1), m.group(2), _unquote(m.group(3))
    if op == "~":
        needle = raw.lower()
        return lambda e: any(needle in _text(v).lower() for v in _values(get_path(e, field)))

    def equal(e: dict) -> bool:
        v = get_path(e, field)
        if isinstance(v, list):
            return any(_text(x) == raw for x in v)
        if raw == "" and v is None:
            return True
        return v is not None and _text(v) == raw

    return equal if op == "=" else (lambda e: not equal(e))


def compile_filter(expression: str) -> Predicate | None:
    """A predicate for `expression`, or None when it is blank (no filtering)."""
    if not expression or not expression.strip():
        return None
    preds = [_condition(part) for part in _AND.split(expression.strip())]
    if len(preds) == 1:
        return preds[0]
    return lambda e: all(p(e) for p in preds)


def sort_key(value: Any) -> tuple:
    """Sort numbers numerically, everything else by text; missing values last."""
    if value is None:
        return (2, "")
    if isinstance(value, bool):
        return (1, str(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, _text(value) if not isinstance(value, dict | list) else repr(value))
