"""Recognising time formats in data: a value (or the head of a log line) → the Panther time formats that read it.

A timestamp is read as parts — optional weekday, a date in one of many shapes (ISO, slashed, dotted,
month names, compact digits, yearless), a join (`T`, space, `-`, `:`, `_`), a time (`:` or `.`
separated, or compact), a fraction (`.`, `,` or `:`), AM/PM, a zone, a trailing year — and the strftime
format is built from what was read, so layouts nobody listed are found too. Formats follow what Panther's
strftime reader (timefmt-go) accepts: a literal space matches one space (`%e` absorbs a padding space),
`%f` reads at most 6 digits, `%z` is `±hhmm`; a `T` date-time with a zone is `rfc3339`.

Ambiguous numeric dates (`03/04/2024`, `17/06/09`) give every reading that is valid; `choose_formats`
then keeps the reading that holds for the most values.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

_WD = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_FULL = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}

_WEEKDAY = re.compile(rf"(?P<wd>{_WD})(?P<wc>,?) ")
_EPOCH = re.compile(r"(?P<e>\d{10}|\d{13})(?:\.(?P<ef>\d{1,9}))?(?![\d.:/-])")
# date shapes: (name, regex). Groups a/b/c are the numbers in reading order, mon a month name.
_DATES = (
    ("Ymd", re.compile(r"(?P<a>\d{4})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<c>\d{1,2})(?![\d.])")),
    ("xxY", re.compile(r"(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<c>\d{4})(?![\d.])")),
    ("xxx", re.compile(r"(?P<a>\d{2})(?P<s>[-/.])(?P<b>\d{2})(?P=s)(?P<c>\d{2})(?![\d.])")),
    ("dbY", re.compile(rf"(?P<a>\d{{1,2}})(?P<s>[-/ ])(?P<mon>{_MON})(?P=s)(?P<c>\d{{4}})(?!\d)")),
    ("bd", re.compile(rf"(?P<mon>{_FULL}|{_MON})(?P<sp> {{1,2}})(?P<a>\d{{1,2}})(?:(?P<yc>,? )(?P<c>\d{{4}})(?=[ T:]))?(?!\d)")),
    ("compact8", re.compile(r"(?P<c>\d{4})(?P<b>\d{2})(?P<a>\d{2})(?=[ T_:-]?\d{2}:?\d{2}:?\d{2})")),
    ("compact6", re.compile(r"(?P<c>\d{2})(?P<b>\d{2})(?P<a>\d{2})(?= \d{6}(?!\d))")),
    ("md", re.compile(r"(?P<b>\d{2})(?P<s>[-/.])(?P<a>\d{2})(?=[ T:_-]\d{1,2}:\d{2})")),
)
_JOIN = re.compile(r"[T ]|[-:_@/](?=\d)")
_CLOCK = re.compile(r"(?P<H>\d{1,2})(?P<ts>[:.])(?P<M>\d{2})(?:(?P=ts)(?P<S>\d{2}))?(?!\d)")
_COMPACT_CLOCK = re.compile(r"(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})(?!\d)")
_FRACTION = re.compile(r"(?P<fs>[.,:])(?P<f>\d{1,9})(?!\d)")
_AMPM = re.compile(r" (?P<p>[AaPp][Mm])\b")
_ZONE = re.compile(r"(?P<z>Z(?![A-Za-z])|[+-]\d{2}:?\d{2}(?!\d))| (?P<z2>[+-]\d{4})(?!\d)| (?P<Z>UTC|GMT)\b")
_YEAR_AFTER = re.compile(r" (?P<Y>(?:19|20)\d{2})(?![\d:.])")


@dataclass(frozen=True, slots=True)
class TimeMatch:
    """A timestamp read from `start` to `end` of a text, with every format that reads it (preferred first)."""

    start: int
    end: int
    formats: tuple[str, ...]


def _valid(y: int, mo: int, d: int) -> bool:
    try:
        datetime(y, mo, d)
        return True
    except ValueError:
        return False


def _date_readings(kind: str, m: re.Match) -> list[tuple[str, int, int, int]]:
    """(strftime date part, year, month, day) for each valid reading of one date shape."""
    g = m.groupdict()
    s = g.get("s") or ""
    out: list[tuple[str, int, int, int]] = []
    if kind == "Ymd":
        y, b, c = int(g["a"]), int(g["b"]), int(g["c"])
        out = [(f"%Y{s}%m{s}%d", y, b, c)]  # year-first dates are year-month-day in practice
    elif kind == "xxY":
        a, b, y = int(g["a"]), int(g["b"]), int(g["c"])
        out = [(f"%m{s}%d{s}%Y", y, a, b), (f"%d{s}%m{s}%Y", y, b, a)]
    elif kind == "xxx":
        a, b, c = int(g["a"]), int(g["b"]), int(g["c"])
        # US month first, then year first (Spark's yy/MM/dd), then day first
        out = [(f"%m{s}%d{s}%y", 2000 + c, a, b), (f"%y{s}%m{s}%d", 2000 + a, b, c), (f"%d{s}%m{s}%y", 2000 + c, b, a)]
    elif kind == "dbY":
        out = [(f"%d{s}%b{s}%Y", int(g["c"]), _MONTHS[g["mon"][:3].lower()], int(g["a"]))]
    elif kind == "bd":
        mon = g["mon"]
        mo = _MONTHS[mon[:3].lower()]
        month_fmt = "%b" if len(mon) == 3 else "%B"
        day = "%e" if len(g["sp"]) == 2 else "%d"
        if len(g["sp"]) == 2 and len(g["a"]) == 2:
            return []  # two spaces before a two-digit day is not padding
        year = int(g["c"]) if g.get("c") else 2000  # 2000: a leap year, so Feb 29 stays a valid yearless date
        part = f"{month_fmt} {day}" + (f"{g['yc']}%Y" if g.get("c") else "")
        out = [(part, year, mo, int(g["a"]))]
    elif kind == "compact8":
        out = [("%Y%m%d", int(g["c"]), int(g["b"]), int(g["a"]))]
    elif kind == "compact6":
        out = [("%y%m%d", 2000 + int(g["c"]), int(g["b"]), int(g["a"]))]
    elif kind == "md":
        out = [(f"%m{s}%d", 2000, int(g["b"]), int(g["a"]))]
    return [r for r in out if 1 <= r[2] <= 12 and _valid(r[1], r[2], r[3])]


def read_time(text: str, pos: int = 0, *, year_after: bool = True) -> TimeMatch | None:
    """The longest timestamp starting exactly at `pos`, or None. A date alone counts; a time alone does not.

    `year_after=False`: a yearless date-time is not extended by a following 4-digit number (in a log whose
    lines mostly have none, such a number is a pid or a count, not `ctime`'s trailing year)."""
    head = ""
    p = pos
    wd = _WEEKDAY.match(text, p)
    if wd:
        head = f"%a{wd.group('wc')} "
        p = wd.end()
    else:
        ep = _EPOCH.match(text, p)
        if ep:
            digits = ep.group("e")
            if len(digits) == 10 and 946_684_800 <= int(digits) <= 4_102_444_800:
                return TimeMatch(pos, ep.end(), ("unix",))
            if len(digits) == 13 and not ep.group("ef") and 946_684_800_000 <= int(digits) <= 4_102_444_800_000:
                return TimeMatch(pos, ep.end(), ("unix_ms",))
    for kind, rx in _DATES:
        m = rx.match(text, p)
        if m is None:
            continue
        readings = _date_readings(kind, m)
        if not readings:
            continue
        has_year = kind != "md" and (kind != "bd" or bool(m.group("c")))
        end, tail = _read_clock(text, m.end(), compact=kind.startswith("compact"), has_year=has_year or not year_after)
        if tail is None and (not has_year or kind == "xxx"):
            continue  # a month and day (or two-digit-year date) with no time is too weak to be a timestamp
        formats = [_named(head + part + (tail or "")) for part, *_ in readings]
        formats = [f for f in formats if "%:z" not in f]  # a ±hh:mm offset outside RFC 3339: no Panther format
        return TimeMatch(pos, end, tuple(formats)) if formats else None
    return None


def _read_clock(text: str, p: int, *, compact: bool, has_year: bool) -> tuple[int, str | None]:
    """After a date: join, clock, fraction, AM/PM, zone, trailing year → (end, format tail) or (p, None)."""
    j = _JOIN.match(text, p)
    if j is None:
        return p, None
    join = j.group()
    q = j.end()
    c = (_COMPACT_CLOCK if compact else _CLOCK).match(text, q)
    if c is None and compact:
        c = _CLOCK.match(text, q)
    if c is None:
        return p, None
    g = c.groupdict()
    if int(g["H"]) > 23 or int(g["M"]) > 59 or (g["S"] is not None and int(g["S"]) > 60):
        return p, None
    ts = g.get("ts") or ""
    tail = f"{'%%' if join == '%' else join}%H{ts}%M" + (f"{ts}%S" if g["S"] is not None else "")
    q = c.end()
    if g["S"] is not None:
        f = _FRACTION.match(text, q)
        if f:
            tail += f"{f.group('fs')}%f"
            q = f.end()
    ap = _AMPM.match(text, q)
    if ap:
        tail = tail.replace("%H", "%I") + " %p"
        q = ap.end()
    z = _ZONE.match(text, q)
    if z:
        if z.group("z") in ("Z", "z"):
            tail += "Z"  # a literal: timefmt-go's %z reads only ±hhmm
        elif z.group("z"):
            tail += "%:z" if ":" in z.group("z") else "%z"  # ±hh:mm: only RFC 3339 reads it
        elif z.group("z2"):
            tail += " %z"
        else:
            tail += " %Z"
        q = z.end()
    if not has_year:
        y = _YEAR_AFTER.match(text, q)
        if y:
            tail += " %Y"
            q = y.end()
    return q, tail


def _named(fmt: str) -> str:
    """ISO date-times with a `T` and a zone are what Go's RFC 3339 reader takes (any fraction digits, ±hh:mm)."""
    if fmt in ("%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%dT%H:%M:%S.%f%:z", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        return "rfc3339"
    return fmt


def value_formats(value: str) -> tuple[str, ...]:
    """Every format that reads the whole of `value` (preferred first); () when it is not a time."""
    v = value.strip() if isinstance(value, str) else ""
    if not v or not any(ch.isdigit() for ch in v[:12]):
        return ()
    m = read_time(v, 0)
    if m is None or m.end != len(v):
        return ()
    return m.formats


PROBE = 256  # distinct values read by the recogniser in `choose_formats`


@dataclass
class FormatChoice:
    """The formats chosen for a set of values, and what they leave out."""

    formats: tuple[str, ...]
    times: int  # values read by one of the formats
    total: int  # non-empty values examined
    not_times: list[str]  # distinct values no format reads (a few, for the explanation)

    @property
    def share(self) -> float:
        return self.times / self.total if self.total else 0.0


def choose_formats(values: Iterable[str] | Counter, *, min_share: float = 0.95) -> FormatChoice | None:
    """Formats that together read at least `min_share` of the non-empty values, most values first.

    Greedy cover: the format reading the most values, then the one reading the most of the rest, … (each
    must read at least one more value). `%e` replaces `%d` when both occur, as it reads both.
    """
    if isinstance(values, Counter):
        counts = values
        if any(type(v) is not str or not v.strip() for v in counts):
            counts = Counter({v: c for v, c in values.items() if isinstance(v, str) and v.strip()})
    else:
        counts = Counter(v for v in values if isinstance(v, str) and v.strip())
    total = sum(counts.values())
    if not total:
        return None
    # the recogniser reads a spread probe of the distinct values; every other value is checked against the
    # formats found there with one compiled pattern each (C speed; the caller parses to confirm)
    distinct = list(counts)
    step = max(1, len(distinct) // PROBE)
    probe = distinct[::step]
    readers: dict[str, set[str]] = {}
    for v in probe:
        for f in value_formats(v):
            readers.setdefault(f, set()).add(v)
    if readers and len(probe) < len(distinct):
        checks = [(f, re.compile(format_regex(f)).fullmatch) for f in readers]
        seen = set(probe)
        for v in distinct:
            if v in seen:
                continue
            s = v.strip()
            for f, full in checks:
                if full(s):
                    readers[f].add(v)
    _merge_padded_days(readers)
    chosen: list[str] = []
    covered: set[str] = set()
    while True:
        best = max(readers, key=lambda f: (sum(counts[v] for v in readers[f] - covered), -len(f)), default=None)
        if best is None:
            break
        gain = readers.pop(best) - covered
        if not gain:
            break
        chosen.append(best)
        covered |= gain
    times = sum(counts[v] for v in covered)
    if not chosen or times < min_share * total:
        return None
    rest = [v for v in counts if v not in covered]
    return FormatChoice(tuple(chosen), times, total, rest[:5])


def _merge_padded_days(readers: dict[str, set[str]]) -> None:
    for f in list(readers):
        if "%e" in f:
            plain = f.replace("%e", "%d")
            if plain in readers:
                readers[f] |= readers.pop(plain)


def is_yearless(fmt: str) -> bool:
    if fmt.startswith("layout="):  # a Go layout: its year is written 2006 or 06
        return "06" not in fmt
    if "%" not in fmt:  # a named format (rfc3339, unix*, cloudflare …) carries its year
        return False
    return not any(d in fmt for d in ("%Y", "%y", "%s", "%c", "%D", "%F", "%x"))


PANTHER_DEFAULT_YEAR = 1900  # timefmt-go, Panther's strftime reader, starts from 1900-01-01 for absent parts


def recorded_year(fmt: str) -> int | None:
    """The year Panther records for a value of a yearless strftime format (None when the format has a year)."""
    return PANTHER_DEFAULT_YEAR if is_yearless(fmt) else None


def parser_year(fmt: str) -> int | None:
    """The year this project's parser records for a value of a yearless format (None when it has a year)."""
    if not is_yearless(fmt):
        return None
    from workbench.schema.timeformats import compile_time_format

    sample = (fmt.replace("%a", "Mon").replace("%b", "Jan").replace("%B", "January").replace("%e", "1")
              .replace("%d", "01").replace("%m", "01").replace("%H", "00").replace("%I", "01").replace("%M", "00")
              .replace("%S", "00").replace("%f", "0").replace("%p", "AM").replace("%z", "+0000").replace("%Z", "UTC"))
    try:
        return int(compile_time_format(fmt)(sample)[:4])
    except ValueError:
        return None


_DIRECTIVE_RX = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "e": r" ?\d{1,2}", "H": r"\d{1,2}",
    "I": r"\d{1,2}", "M": r"\d{2}", "S": r"\d{2}", "f": r"\d{1,9}", "b": _MON, "B": _FULL, "a": _WD,
    "p": r"[AaPp][Mm]", "z": r"[+-]\d{4}", "Z": r"[A-Z]{1,5}", "%": "%",
}
_NAMED_RX = {
    "rfc3339": r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})",
    "unix": r"\d{10}(?:\.\d{1,9})?", "unix_ms": r"\d{13}",
}


def format_regex(fmt: str) -> str:
    """A regex (no groups) matching exactly the texts of one format, for a log line's header pattern."""
    if fmt in _NAMED_RX:
        return _NAMED_RX[fmt]
    out = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            out.append(_DIRECTIVE_RX[fmt[i + 1]])
            i += 2
        else:
            out.append("\\" + fmt[i] if fmt[i] in "\\.^$*+?{}[]|()" else fmt[i])
            i += 1
    return "".join(out)


def formats_regex(formats: Iterable[str]) -> str:
    parts = list(dict.fromkeys(format_regex(f) for f in formats))
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
