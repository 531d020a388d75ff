"""Test events written as JSON inside spec YAML, read by orjson instead of the YAML parser.

Panther-style content writes most unit-test events as indented JSON under `Log:`; on a big repository
those events are over four fifths of the YAML, and libyaml hands every token of them to Python as an event
object (most of a cold `rules test`). JSON read as YAML is the same value when it is one flow node, so
each such event is cut out of the text, read by orjson, and the rest (a small skeleton with a placeholder
scalar where each event was) goes through the usual loader; the events are then put back in place.

An event is cut out only when nothing can tell the two readings apart (anything doubtful stays YAML):

- it is the `{…}` value of a `Log:` key at the start of a line (after its indentation and an optional
  `- `), running until the next line indented no deeper than the key, and orjson reads all of it (after
  dropping the commas that end a line before a closing bracket, as Prettier writes them): so it is one
  JSON object, and YAML's flow scanner, whose double-quoted strings end where JSON's do, sees the
  same tokens and the same closing brace; the line after it does not go on with `:`, `,`, `]` or `}` (a
  flow collection around the event, where a placeholder could read differently);
- no character libyaml refuses or reads as a line break (controls, DEL, C1, U+2028/9, BOM), no escaped
  UTF-16 surrogate (libyaml refuses those), no key separated from its `:` by a line break and no line of
  1,000 characters or more (libyaml drops a key that long or split: a different mapping or an error),
  no integer orjson would turn into a float (20 digits, or 19 after a minus);
- every placeholder comes back exactly once, as the whole `Log` value of one of the file's `Tests`
  entries (one that lands inside a string or elsewhere means the cut was not a node: the whole text is
  read as YAML instead); the placeholders carry a per-process random token absent from the text.
"""

from __future__ import annotations

import os
import re
from typing import Any

import orjson

# `Log:` then `{` on that line or a later one; what stands before `Log` on its line is checked apart (a
# pattern starting with a literal is found much faster than one anchored at every line start). All the
# work is on the UTF-8 bytes: Python's patterns scan bytes several times faster than text.
_LOG_KEY = re.compile(rb"Log:[ ]*(?:\r?\n[ \r\n]*)?(?=\{)")
_LINE_LEAD = re.compile(rb"[ ]*(?:-[ ]+)?")
_ODD_CHARS = re.compile(  # DEL, C1 controls, U+2028/9, BOM, U+FFFE/F (orjson refuses what is below 0x20)
    rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]|\xef\xbb\xbf|\xef\xbf[\xbe\xbf]")
_SURROGATE = re.compile(rb"\\u[dD][89abAB]")
# a line long enough to hold a key libyaml gives up on (a pattern opening with a literal scans fastest: a
# bare CR also ends a line for libyaml, rare enough for the slower pattern)
_LONG_LINE = re.compile(rb"\n[^\r\n]{1000}")
_LONG_LINE_CR = re.compile(rb"[\r\n][^\r\n]{1000}")
# the event's bytes with blanks dropped, CR as LF and digits as 0: a ':' opening a line is a key whose ':'
# is on a later line, and 20 digits (19 after a minus) an integer beyond 64 bits, a float to orjson
_SHAPE = bytes.maketrans(b"\r123456789", b"\n000000000")
# a line after the event starting with one of these continues a flow collection around it (or is an
# error): a placeholder there could read differently from the event, so such an event stays YAML
_FLOW_NEXT = (b":", b",", b"]", b"}")
# a comma after a value (a number, true/false/null, a string, an object or list), then only blanks to the
# end of its line and up to the closing bracket
_TRAILING_COMMA = re.compile(rb"(?<=[0-9el\"\]}]),(?=[ \t\r]*\n[ \t\r\n]*[}\]])")
_TOKEN = "wbjson" + os.urandom(8).hex()  # os, not secrets: that module costs ~3 ms to import
_ENDS: dict[int, re.Pattern[bytes]] = {}


def _end_after(col: int) -> re.Pattern[bytes]:
    """The start of the next non-blank line indented `col` columns or fewer."""
    pattern = _ENDS.get(col)
    if pattern is None:
        pattern = _ENDS[col] = re.compile(rb"\n(?= {0,%d}[^ \r\n])" % col)
    return pattern


def split_json_logs(text: str) -> tuple[str, list[Any]] | None:
    """(the text with each JSON event replaced by a placeholder, the events), or None when there is none."""
    if "Log:" not in text or _TOKEN in text:
        return None
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: not from a file, and YAML's to judge
        return None
    pieces: list[bytes] = []
    events: list[Any] = []
    token = _TOKEN.encode()
    done = 0
    # without CRs, every check of `_doubtful` that fires on a part fires on the whole too (a line of the part
    # lies in a line of the whole; the shape is made byte by byte): a file where it finds nothing needs no
    # check per event
    clean = b"\r" not in data and not _doubtful(data)
    for m in _LOG_KEY.finditer(data):
        start = m.end()
        if start < done:
            continue  # inside an event already cut out
        line_start = data.rfind(b"\n", 0, m.start()) + 1
        col = m.start() - line_start
        if _LINE_LEAD.fullmatch(data, line_start, m.start()) is None:
            continue
        nxt = _end_after(col).search(data, start)
        region = data[start:nxt.start() + 1 if nxt else len(data)].rstrip(b" \r\n")
        if (nxt and data[nxt.end():nxt.end() + 1 + col].lstrip(b" ")[:1] in _FLOW_NEXT) or (
                not clean and _doubtful(region)):
            continue
        try:
            event = orjson.loads(region)
        except orjson.JSONDecodeError:
            # Prettier-formatted content (panther-analysis) ends the last entry of a multi-line object or
            # list with a comma, which YAML's flow collections allow and JSON does not. A comma that ends a
            # line is never inside a string (strings do not span lines); after a value, dropping it leaves
            # what YAML reads.
            fixed, dropped = _TRAILING_COMMA.subn(b"", region)
            if not dropped:
                continue
            try:
                event = orjson.loads(fixed)
            except orjson.JSONDecodeError:
                continue
        pieces.append(data[done:start])
        pieces.append(b"%s_%d" % (token, len(events)))
        events.append(event)
        done = start + len(region)
    if not events:
        return None
    pieces.append(data[done:])
    return b"".join(pieces).decode(), events


def _doubtful(region: bytes) -> bool:
    if _long_line(region):
        return True
    if b"\\u" in region and _SURROGATE.search(region):
        return True
    if b"\x7f" in region or (not region.isascii() and _ODD_CHARS.search(region)):
        return True
    shape = region.translate(_SHAPE, b" \t")
    return b"\n:" in shape or b"00000000000000000000" in shape or b"-0000000000000000000" in shape


def _long_line(region: bytes) -> bool:
    """A line of 1,000 bytes or more (a bare CR ends a line too)."""
    if b"\r" not in region:
        # such a line covers a whole 500-byte block from a multiple of 500: every block holding a line break
        # rules it out, with one scan each (the pattern below tries at every line)
        if all(region.find(b"\n", k, k + 500) >= 0 for k in range(0, len(region) - 499, 500)):
            return False
        long_line = _LONG_LINE
    else:
        long_line = _LONG_LINE_CR
    first_line = region.find(b"\n")
    return (first_line if first_line >= 0 else len(region)) >= 1000 or long_line.search(region) is not None


def put_back(value: Any, events: list[Any]) -> bool:
    """Replace each placeholder `Tests[i].Log` in `value` by its event; False when any placeholder is not
    found exactly once in such a place (the text must then be read as YAML whole)."""
    tests = value.get("Tests") if type(value) is dict else None
    if type(tests) is not list:
        return False
    prefix = _TOKEN + "_"
    found = 0
    for case in tests:
        if type(case) is not dict:
            continue
        log = case.get("Log")
        if type(log) is str and log.startswith(prefix):
            index = log[len(prefix):]
            if not (index.isascii() and index.isdigit()) or int(index) >= len(events) or events[int(index)] is _USED:
                return False
            case["Log"] = events[int(index)]
            events[int(index)] = _USED
            found += 1
    return found == len(events)


_USED = object()
