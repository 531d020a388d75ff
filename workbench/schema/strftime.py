"""strftime time formats read with the rules of the library Panther uses (itchyny/timefmt-go `Parse`).

The rules that differ from Python's strptime: a format without a year gives year 1900 (and month/day 1);
numeric fields take 1 to their width in digits; values out of range are carried over as Go's time.Date does
(day 32 → the 1st of next month, hour 24 → next day); `%p` PM adds 12 hours to whatever hour was read;
`%y` is in the current century; `%f` reads up to 6 digits (microseconds); `%z` is exactly `±hhmm`; `%Z` reads
upper-case letters as Go's time.Parse("MST") does, at offset zero; literal text must match exactly.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from datetime import datetime, timedelta

_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")
_SHORT_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_LONG_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_COMPOSITE = {"D": "m/d/y", "x": "m/d/y", "F": "Y-m-d", "v": "e-b-Y", "R": "H:M", "r": "I:M:S p", "T": "H:M:S",
              "X": "H:M:S", "c": "a b e H:M:S Y"}
_NUMBERS = {"Y": 4, "y": 2, "C": 2, "m": 2, "d": 2, "e": 2, "j": 3, "H": 2, "k": 2, "I": 2, "l": 2, "M": 2, "S": 2,
            "f": 6}
SUPPORTED = frozenset("YyCmBbhAawdejHkIlpMSfZztn%") | frozenset(_COMPOSITE)


def _number(s: str, j: int, width: int, d: str) -> tuple[int, int]:
    k = j
    while k < len(s) and k - j < width and "0" <= s[k] <= "9":
        k += 1
    if k == j:
        raise ValueError(f"cannot parse %{d}")
    return int(s[j:k]), k


def _lookup(s: str, j: int, names: tuple[str, ...], d: str) -> tuple[int, int]:
    for i, name in enumerate(names):
        if s[j:j + len(name)].lower() == name.lower():
            return i + 1, j + len(name)
    raise ValueError(f"cannot parse %{d}")


def _zone_abbreviation(s: str, j: int) -> int:
    """End of a zone abbreviation Go's time.Parse("MST", …) accepts: 3 upper-case letters, 4 ending in T
    (or WITA), 5 ending in T, or UTC/ChST/MeST."""
    k = j
    while k < len(s) and "A" <= s[k] <= "Z":
        k += 1
    word = s[j:k]
    n = len(word)
    if n == 3 or (n == 4 and (word[3] == "T" or word == "WITA")) or (n == 5 and word[4] == "T"):
        return k
    raise ValueError(f"unknown time zone {word!r}")


def parse_strftime(value: str, fmt: str, this_year: Callable[[], int] = lambda: time.gmtime().tm_year) -> tuple:
    """(year, month, day, hour, minute, second, nanosecond, offset seconds) as timefmt-go reads `value`."""
    year, month, day, hour, minute, sec, nsec, offset = 1900, 1, 1, 0, 0, 0, 0, 0
    century = yday = 0
    pm = False
    j, n = 0, len(value)
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            if j >= n or value[j] != c:
                raise ValueError(f"expected {c!r}")
            j += 1
            i += 1
            continue
        i += 1
        if i == len(fmt):
            raise ValueError("stray %")
        pending = _COMPOSITE.get(fmt[i], fmt[i])
        i += 1
        for p, d in enumerate(pending):
            if len(pending) > 1 and p % 2:  # the separator inside a composite (%T is H:M:S)
                if j >= n or value[j] != d:
                    raise ValueError(f"expected {d!r}")
                j += 1
                continue
            if d in "ekl" and j < n and value[j] == " ":
                j += 1
            if d in _NUMBERS:
                got, k = _number(value, j, _NUMBERS[d], d)
                if d == "f":
                    nsec = got * 1000 * 10 ** (6 - (k - j))
                elif d == "Y":
                    year = got
                elif d == "y":
                    year = got + this_year() // 100 * 100
                elif d == "C":
                    century = got
                elif d == "m":
                    month = got
                elif d in "de":
                    day = got
                elif d == "j":
                    yday = got
                elif d in "HkIl":
                    hour = got
                elif d == "M":
                    minute = got
                else:
                    sec = got
                j = k
            elif d == "B":
                month, j = _lookup(value, j, _LONG_MONTHS, d)
            elif d in "bh":
                month, j = _lookup(value, j, _SHORT_MONTHS, "b")
            elif d == "A":
                _, j = _lookup(value, j, _LONG_DAYS, d)
            elif d == "a":
                _, j = _lookup(value, j, _SHORT_DAYS, d)
            elif d == "w":
                if j >= n or not "0" <= value[j] <= "6":
                    raise ValueError("cannot parse %w")
                j += 1
            elif d == "p":
                ampm, j = _lookup(value, j, ("AM", "PM"), d)
                pm = ampm == 2
            elif d == "Z":
                j = _zone_abbreviation(value, j)  # an abbreviation Go does not know is a zone at offset 0
            elif d == "z":
                z = value[j:j + 5]
                if len(z) < 5 or z[0] not in "+-" or not z[1:].isdigit() or not z[1:].isascii():
                    raise ValueError("cannot parse %z")
                offset = (int(z[1:3]) * 60 + int(z[3:5])) * 60 * (-1 if z[0] == "-" else 1)
                j += 5
            elif d in "tn%":
                want = {"t": "\t", "n": "\n", "%": "%"}[d]
                if j >= n or value[j] != want:
                    raise ValueError(f"expected {want!r}")
                j += 1
            else:
                raise ValueError(f'unexpected format: "%{d}"')
    if j < n:
        raise ValueError(f"unconverted text {value[j:]!r}")
    if pm:
        hour += 12
    if century > 0:
        year = century * 100 + year % 100
    if yday > 0:
        month, day = 1, yday
    return year, month, day, hour, minute, sec, nsec, offset


def normalised(year: int, month: int, day: int, hour: int, minute: int, sec: int, offset: int) -> datetime:
    """Go's time.Date: out-of-range fields carried into the next larger unit, then shifted to UTC."""
    y, mo = divmod(month - 1, 12)
    base = datetime(year + y, mo + 1, 1)
    if not 1 <= base.year <= 9999:
        raise ValueError("year out of range")
    return base + timedelta(days=day - 1, hours=hour, minutes=minute, seconds=sec - offset)


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
