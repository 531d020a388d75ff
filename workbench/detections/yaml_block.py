"""A faster path still for spec YAML: the block-style subset Panther specs are written in, read line by line.

libyaml hands Python one event object per token (yaml_fast.py builds the value from them): on a cold parse of
a big repository that is ~2 µs per line of the spec skeletons (test events are read by orjson, yaml_json.py).
Spec files are almost always block mappings and block lists of one-line scalars, which one pass over the lines
reads at about half that cost.

Only what reads unambiguously is taken; anything else gives NOT_PLAIN and the caller goes on to the event-built
loader (and from there to the full one, which words the errors):

- lines of printable characters only (no tabs, no CR, no control or line-separator characters), blank lines
  and whole-line comments;
- `key:` / `key: value` with keys of letters, digits and `_` (not starting with a digit) that resolve to
  text, `- value` and `- key: value` items; a key's value on the following lines (a deeper block, a list at
  the key's own indentation, or one scalar line);
- values: plain scalars that cannot start or end anything else (no leading indicator but a `-` before a
  digit or `.`, no `: `, no ` #`, no trailing `:`), resolved as the YAML 1.2 core schema (yaml_fast._plain);
  quoted scalars without escapes, quotes or line breaks inside; `[]` and `{}`;
- every line in the column of an open block, and nothing deeper after a one-line scalar (a continued scalar).
"""

from __future__ import annotations

import re
from typing import Any

from workbench.detections.yaml_fast import NOT_PLAIN, _plain, _Unsupported

# One line: its indentation, a `- ` item mark, then `key:` and its value, or a scalar (or nothing, or a
# comment). libyaml refuses a key of 1,024 characters or more: those are left to it.
_LINE = re.compile(r"^( *)(- +)?(?:([A-Za-z_][A-Za-z0-9_]{0,199}):(?: +(.*))?|(.*))$", re.MULTILINE)
# what no line may hold, on ASCII text (other text is checked with str.isprintable)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
# keys of letters and digits that do not resolve to text
_NOT_TEXT_KEYS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"})
# characters a plain scalar may not start with (c-indicator); `-` is let through before a digit or a dot
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_MAP, _SEQ = 0, 1
_PLAIN: dict[str, Any] = {}  # plain scalars already resolved (they repeat: true, false, severities, log types)


def load_block(text: str) -> Any:
    """The document in `text` as Python data, or NOT_PLAIN when it is not in the subset read here."""
    try:
        if (_CONTROL.search(text) is not None) if text.isascii() else not text.replace("\n", "").isprintable():
            return NOT_PLAIN  # tabs, CRs, controls, line separators, a BOM: libyaml's to judge
        return _load(text)
    except (_Unsupported, ValueError, IndexError):
        return NOT_PLAIN


def _load(text: str) -> Any:
    root: dict | None = None
    stack: list[list] = []  # open blocks, innermost last: [column, kind, container]
    pending: tuple[int, dict, str] | None = None  # a key whose value is on the lines below: (column, map, key)
    scalar_at = -1  # after a one-line scalar at this column, no line may be deeper (it would continue it)
    seq: list
    sub: dict
    for indent, dash, key, value, other in _LINE.findall(text):
        if not dash and not key and (not other or other[0] == "#"):
            continue  # a blank line or a comment
        col = len(indent)
        if 0 <= scalar_at < col:
            raise _Unsupported  # a scalar continued on the next line (or an error)
        scalar_at = -1
        if pending is not None:
            pcol, pmap, pkey = pending
            pending = None
            if col > pcol:
                if dash:
                    pmap[pkey] = seq = []
                    stack.append([col, _SEQ, seq])
                elif key:
                    pmap[pkey] = sub = {}
                    stack.append([col, _MAP, sub])
                else:  # the value on a line of its own
                    pmap[pkey] = _scalar(other)
                    scalar_at = pcol
                    continue
            elif col == pcol and dash:  # a list at the key's own indentation
                pmap[pkey] = seq = []
                stack.append([col, _SEQ, seq])
            else:
                pmap[pkey] = None
        if root is None:
            if col or dash:
                raise _Unsupported  # only a mapping at the top
            root = {}
            stack.append([0, _MAP, root])
        while stack[-1][0] > col:
            stack.pop()
            if not stack:
                raise _Unsupported
        top = stack[-1]
        if dash:
            if top[0] != col or top[1] != _SEQ:
                raise _Unsupported
            if not key:
                if not other or (other[0] == "-" and (other == "-" or other[1] == " ")):
                    raise _Unsupported  # an item on the lines below, a list in a list
                top[2].append(_scalar(other))
                scalar_at = col
                continue
            col += len(dash)  # `- key: value`: a mapping at the key's column
            sub = {}
            top[2].append(sub)
            top = [col, _MAP, sub]
            stack.append(top)
        elif not key:
            raise _Unsupported
        else:
            if top[1] == _SEQ and top[0] == col:
                stack.pop()  # the end of a list at its key's indentation
                if not stack:
                    raise _Unsupported
                top = stack[-1]
            if top[0] != col or top[1] != _MAP:
                raise _Unsupported
        if key in _NOT_TEXT_KEYS:
            raise _Unsupported  # `true:`, `null:`: not a text key
        if not value or not value.strip(" "):
            pending = (col, top[2], key)
        else:
            top[2][key] = _scalar(value)
            scalar_at = col
    if pending is not None:
        pending[1][pending[2]] = None
    if root is None:
        raise _Unsupported
    return root


def _scalar(text: str) -> Any:
    """A one-line value: a quoted or plain scalar, or an empty flow list or mapping."""
    v = text.rstrip(" ")
    hit = _PLAIN.get(v)
    if hit is not None:
        return hit
    first = v[0]
    if first == '"':
        inner = v[1:-1]
        if len(v) < 2 or v[-1] != '"' or '"' in inner or "\\" in inner:
            raise _Unsupported
        return inner
    if first == "'":
        inner = v[1:-1]
        if len(v) < 2 or v[-1] != "'" or "'" in inner:
            raise _Unsupported
        return inner
    if v == "[]":
        return []
    if v == "{}":
        return {}
    if first in _INDICATORS and not (first == "-" and len(v) > 1 and v[1] in "0123456789."):
        raise _Unsupported
    if ": " in v or " #" in v or v[-1] == ":":
        raise _Unsupported
    value = _plain(v)
    if value is not None and len(_PLAIN) < 4096:
        _PLAIN[v] = value  # immutable (text, a number, a boolean): safe to hand out again
    return value
