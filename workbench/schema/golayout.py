"""Go reference-time layouts (`layout=2006-01-02 15:04:05`), read as Go's time.Parse reads them.

Panther's own managed log types use them (tcodec/extension.go: a `layout=` tag is a Go layout). Rules kept:
`01`/`02`/`15`… take exactly two digits where Go requires them and one or two for `1`/`2`/`3`…; `_2` takes a
space-padded day; `2006` four digits, `06` two (69–99 → 19xx); `Jan`/`January`/`Mon`/`Monday` any case;
`-0700`, `-07:00`, `-07` and their `Z` forms; `MST` an abbreviation at offset zero; `.000`/`.999` fractions,
and a fraction right after the seconds is accepted even when the layout has none; ranges are checked
(no carrying over, unlike strftime).
"""

from __future__ import annotations

from functools import lru_cache

from workbench.schema.strftime import _LONG_DAYS, _LONG_MONTHS, _SHORT_DAYS, _SHORT_MONTHS, _zone_abbreviation

# longest first, as Go's nextStdChunk recognises them
_TOKENS = ("January", "Monday", "Z07:00:00", "-07:00:00", "Z070000", "-070000", "Z07:00", "-07:00", "Z0700",
           "-0700", "2006", "Jan", "Mon", "MST", "002", "Z07", "-07", "01", "02", "03", "04", "05", "06", "15",
           "_2", "PM", "pm", "1", "2", "3", "4", "5")


@lru_cache(maxsize=256)
def layout_chunks(layout: str) -> tuple[str, ...]:
    """The layout as a tuple of tokens and literal characters (fractions as `.000`/`.999` runs)."""
    out: list[str] = []
    i = 0
    while i < len(layout):
        c = layout[i]
        if c in ".," and i + 1 < len(layout) and layout[i + 1] in "09":
            k = i + 1
            while k < len(layout) and layout[k] == layout[i + 1]:
                k += 1
            if k == len(layout) or not layout[k].isdigit():
                out.append(layout[i:k])
                i = k
                continue
        for t in _TOKENS:
            if layout.startswith(t, i):
                # Go reads "Jan"/"Mon" only when not followed by a lower-case letter ("Janet" is literal)
                if t in ("Jan", "Mon") and layout[i + 3:i + 4].islower():
                    continue
                out.append(t)
                i += len(t)
                break
        else:
            out.append(c)
            i += 1
    return tuple(out)


def _digits(s: str, j: int, fixed: bool) -> tuple[int, int]:
    k = j
    while k < len(s) and k - j < 2 and "0" <= s[k] <= "9":
        k += 1
    if k == j or (fixed and k - j != 2):
        raise ValueError("bad number")
    return int(s[j:k]), k


def _name(s: str, j: int, names: tuple[str, ...]) -> tuple[int, int]:
    for i, n in enumerate(names):
        if s[j:j + len(n)].lower() == n.lower():
            return i + 1, j + len(n)
    raise ValueError("bad name")


def _offset(s: str, j: int, tok: str) -> tuple[int, int]:
    if tok[0] == "Z" and s[j:j + 1] == "Z":
        return 0, j + 1
    shape = tok.replace("Z", "-")
    width = len(shape)
    z = s[j:j + width]
    if len(z) != width or z[0] not in "+-":
        raise ValueError("bad zone offset")
    parts = [z[1:3], z[4:6] if ":" in shape else z[3:5]][: 1 if width == 3 else 2]
    if not all(p.isdigit() and p.isascii() for p in parts) or (":" in shape and z[3] != ":"):
        raise ValueError("bad zone offset")
    secs = int(parts[0]) * 3600 + (int(parts[1]) * 60 if len(parts) > 1 else 0)
    return (-secs if z[0] == "-" else secs), j + width


def parse_layout(value: str, layout: str) -> tuple[int, int, int, int, int, int, int, int]:
    """(year, month, day, hour, minute, second, nanosecond, offset seconds) of `value` under the Go layout."""
    year, month, day, hour, minute, sec, nsec, offset = 1, 1, 1, 0, 0, 0, 0, 0
    pm = None
    yday = 0
    j = 0
    chunks = layout_chunks(layout)
    for ci, tok in enumerate(chunks):
        if tok == "2006":
            if len(value) < j + 4 or not value[j:j + 4].isdigit():
                raise ValueError("bad year")
            year, j = int(value[j:j + 4]), j + 4
        elif tok == "06":
            yy, j = _digits(value, j, True)
            year = yy + (1900 if yy >= 69 else 2000)
        elif tok in ("01", "1"):
            month, j = _digits(value, j, tok == "01")
        elif tok == "Jan":
            month, j = _name(value, j, _SHORT_MONTHS)
        elif tok == "January":
            month, j = _name(value, j, _LONG_MONTHS)
        elif tok in ("02", "2", "_2"):
            if tok == "_2" and value[j:j + 1] == " ":
                j += 1
            day, j = _digits(value, j, tok == "02")
        elif tok == "002":
            if not value[j:j + 3].isdigit():
                raise ValueError("bad day of year")
            yday, j = int(value[j:j + 3]), j + 3
        elif tok == "15":
            hour, j = _digits(value, j, False)
        elif tok in ("03", "3"):
            hour, j = _digits(value, j, tok == "03")
            if hour > 12:
                raise ValueError("hour out of range")
        elif tok in ("04", "4"):
            minute, j = _digits(value, j, tok == "04")
        elif tok in ("05", "5"):
            sec, j = _digits(value, j, tok == "05")
            # a fraction right after the seconds is read even when the layout does not have one
            nxt = chunks[ci + 1] if ci + 1 < len(chunks) else ""
            if value[j:j + 1] in (".", ",") and value[j + 1:j + 2].isdigit() and nxt[:1] not in (".", ","):
                k = j + 1
                while k < len(value) and value[k].isdigit():
                    k += 1
                nsec, j = int((value[j + 1:k] + "000000000")[:9]), k
        elif tok in ("PM", "pm"):
            word = value[j:j + 2].upper()
            if word not in ("AM", "PM"):
                raise ValueError("bad AM/PM")
            pm, j = word == "PM", j + 2
        elif tok == "Mon":
            _, j = _name(value, j, _SHORT_DAYS)
        elif tok == "Monday":
            _, j = _name(value, j, _LONG_DAYS)
        elif tok == "MST":
            j = _zone_abbreviation(value, j)
        elif tok[0] in "Z-" and len(tok) > 1:
            offset, j = _offset(value, j, tok)
        elif len(tok) > 1 and tok[0] in ".,":
            digits = len(tok) - 1
            if value[j:j + 1] not in (".", ","):
                if tok[1] == "9":
                    continue  # .999 is optional
                raise ValueError("bad fraction")
            k = j + 1
            while k < len(value) and value[k].isdigit():
                k += 1
            if tok[1] == "0" and k - j - 1 != digits:
                raise ValueError("bad fraction")
            nsec, j = int((value[j + 1:k] + "000000000")[:9]), k
        else:
            if value[j:j + 1] != tok:
                raise ValueError(f"expected {tok!r}")
            j += 1
    if j != len(value):
        raise ValueError(f"extra text {value[j:]!r}")
    if pm is not None:
        if pm and hour < 12:
            hour += 12
        elif not pm and hour == 12:
            hour = 0
    if yday:
        from datetime import date, timedelta
        d = date(year, 1, 1) + timedelta(days=yday - 1)
        if d.year != year:
            raise ValueError("day of year out of range")
        month, day = d.month, d.day
    if not 1 <= month <= 12:
        raise ValueError("month out of range")
    if hour > 23 or minute > 59 or sec > 59:
        raise ValueError("time of day out of range")
    return year, month, day, hour, minute, sec, nsec, offset
