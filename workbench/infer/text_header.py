"""One log line → its header pieces: where the timestamp is, then the tokens before the free-text message.

A line is read as: a few tokens before the timestamp (often none), the timestamp (found by trying the
layouts of `workbench.schema.timedetect` at each of the first token starts, inside a bracket too), then
tokens with the separators between them. Each token gets a kind (level, number, bracketed, tag with
`[pid]:`, dotted name, address, word, literal); `text_layout` decides, over many lines, which of those
columns are the header and where the message starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from workbench.schema.indicators import is_ip
from workbench.schema.timedetect import TimeMatch, read_time

MAX_PRE_TOKENS = 3  # tokens that may precede the timestamp
MAX_PIECES = 8  # header tokens read after it

LEVELS = frozenset(
    w.lower() for w in (
        "TRACE", "DEBUG", "DBG", "INFO", "INF", "NOTICE", "WARN", "WARNING", "WRN", "ERROR", "ERR", "CRIT",
        "CRITICAL", "ALERT", "EMERG", "EMERGENCY", "FATAL", "SEVERE", "FINE", "FINER", "FINEST", "CONFIG",
        "VERBOSE", "PANIC", "AUDIT", "SUCCESS", "FAILURE"))
LOGCAT_LEVELS = frozenset("VDIWEFA")
_DOTTED = re.compile(r"[A-Za-z_$][\w$-]*(?:\.[\w$-]+)+\Z")
_HOSTLIKE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\Z")
_TAG = re.compile(r"(?P<name>[^\s\[\]():]+(?:\([^()\s]*\))?)(?:\[(?P<pid>\d+)\])?:\Z")
_PRIORITY = re.compile(r"<\d{1,3}>\Z")
_OPENERS = {"[": "]", "(": ")", "<": ">", "{": "}"}


@dataclass(slots=True)
class Piece:
    kind: str  # level | num | bracket | paren | tag | dotted | ip | word | lit | priority
    text: str
    sep: str = ""  # the separator after the token


@dataclass(slots=True)
class LineHead:
    """One line split around its timestamp. `tail_at[i]` is where the rest of the line starts after piece i."""

    pre: list[Piece]
    time: TimeMatch
    time_text: str
    opener: str  # "[" when the timestamp sits in brackets, else ""
    after_time: str  # separator after the timestamp (and its closing bracket)
    pieces: list[Piece] = field(default_factory=list)
    tail_at: list[int] = field(default_factory=list)
    body_at: int = 0  # where the text after the timestamp's separator starts


def token_kind(tok: str) -> str:
    """What a header token looks like on its own."""
    bare = tok[:-1] if tok.endswith(":") else tok
    low = bare.lower()
    if low in LEVELS or (len(tok) == 1 and tok in LOGCAT_LEVELS):
        return "level"
    if tok.isdigit() and len(tok) <= 10:
        return "num"
    if _PRIORITY.match(tok):
        return "priority"
    if tok[0] == "[" and tok.endswith("]"):
        return "bracket"
    if tok[0] == "(" and tok.endswith(")"):
        return "paren"
    if tok.endswith(":") and len(tok) > 1 and _TAG.match(tok):
        return "tag"
    if is_ip(tok):
        return "ip"
    if _DOTTED.match(tok):
        return "dotted"
    if not any(ch.isalnum() for ch in tok):
        return "lit"
    return "word"


def read_token(s: str, i: int) -> int:
    """End of the token starting at i: up to whitespace or a `|`, with brackets read as balanced groups."""
    n = len(s)
    depth: list[str] = []
    j = i
    while j < n:
        c = s[j]
        if depth:
            if c == depth[-1]:
                depth.pop()
            elif c in "[(" :
                depth.append(_OPENERS[c])
        elif c in " \t|":
            break
        elif c in "[(" and (j == i or s[j - 1] not in " \t"):
            depth.append(_OPENERS[c])
        j += 1
    return j if not depth else _plain_end(s, i)


def _plain_end(s: str, i: int) -> int:
    j = i
    while j < len(s) and s[j] not in " \t|":
        j += 1
    return j


def read_sep(s: str, i: int) -> int:
    """End of the separator at i: blanks, optionally one delimiter (`|`, `;`, `,` or a spaced `-`) and blanks."""
    n = len(s)
    j = i
    while j < n and s[j] in " \t":
        j += 1
    if j < n and (s[j] == "|" or (s[j] in ",;" and (j + 1 == n or s[j + 1] in " \t"))
                  or (s[j] == "-" and j > i and j + 1 < n and s[j + 1] in " \t")):
        j += 1
        while j < n and s[j] in " \t":
            j += 1
    return j


def _token_starts(s: str, limit: int) -> list[int]:
    starts: list[int] = []
    i = 0
    while i < len(s) and len(starts) <= limit:
        starts.append(i)
        i = read_token(s, i)
        i = read_sep(s, i)
    return starts


def split_head(line: str, *, year_after: bool = True) -> LineHead | None:
    """The line's timestamp and the header pieces after it; None when no timestamp starts a leading token."""
    starts = _token_starts(line, MAX_PRE_TOKENS)
    for idx, st in enumerate(starts):
        opener = ""
        tm = read_time(line, st, year_after=year_after)
        if tm is None and line[st:st + 1] in ("[", "("):
            tm = read_time(line, st + 1, year_after=year_after)
            opener = line[st] if tm else ""
        if tm is None:
            continue
        end = tm.end
        if opener:
            if line[end:end + 1] != _OPENERS[opener]:
                continue
            end += 1
        elif end < len(line) and line[end] not in " \t|,;-":
            continue  # the time must end its token (or be followed by a delimiter)
        pre = []
        for a, b in pairwise(starts[:idx + 1]):
            t_end = read_token(line, a)
            pre.append(Piece(token_kind(line[a:t_end]), line[a:t_end], line[t_end:b]))
        sep_end = read_sep(line, end)
        head = LineHead(pre, tm, line[tm.start:tm.end], opener, line[end:sep_end], body_at=sep_end)
        _read_pieces(line, sep_end, head)
        return head
    return None


def _read_pieces(line: str, i: int, head: LineHead) -> None:
    n = len(line)
    while i < n and len(head.pieces) < MAX_PIECES:
        j = read_token(line, i)
        if j == i:
            break
        k = read_sep(line, j)
        head.pieces.append(Piece(token_kind(line[i:j]), line[i:j], line[j:k]))
        head.tail_at.append(k)
        i = k
