"""Timestamp codecs: Panther time formats (rfc3339, unix*, strftime) compiled into fast parsers.

Every parser turns an input value into Panther's stored text, `YYYY-MM-DD HH:MM:SS.fffffffff` in UTC
(nanosecond digits, so the text sorts like the instant). strptime is ~10 µs a call, so strftime formats
are compiled once into a regex plus integer assembly, and UTC results skip datetime entirely.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from workbench.schema.golayout import layout_chunks, parse_layout
from workbench.schema.strftime import SUPPORTED, days_in_month, normalised, parse_strftime

TimeParser = Callable[[object], str]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_CACHE_MAX = 65536
ZERO_TIME = "0001-01-01 00:00:00.000000000"  # Go's zero time: Panther writes it as null, so the field is dropped

# rfc3339 as Go's time.Parse(time.RFC3339Nano) reads it: upper-case 'T' and 'Z', any number of fraction digits
# (beyond nine they are truncated), Z or ±hh:mm.
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})\Z", re.ASCII)
# Panther's own stored text (also accepted wherever a timestamp is compared, e.g. in schema tests).
_PANTHER_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?\Z", re.ASCII)
_INT_TEXT = re.compile(r"[+-]?\d+\Z", re.ASCII)

_valid_dates: dict[tuple[int, int, int], bool] = {}
_valid_days: set[str] = set()  # 'YYYY-MM-DD' texts already checked


def _check_date(y: int, mo: int, d: int) -> None:
    key = (y, mo, d)
    if key in _valid_dates:
        return
    datetime(y, mo, d)  # raises ValueError for 2024-02-30 and friends
    if len(_valid_dates) < _CACHE_MAX:
        _valid_dates[key] = True


def utc_text(y: int, mo: int, d: int, h: int, mi: int, s: int, ns: int = 0) -> str:
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{ns:09d}"


def _shifted_text(y: int, mo: int, d: int, h: int, mi: int, s: int, ns: int, offset_s: int) -> str:
    dt = datetime(y, mo, d, h, mi, s) - timedelta(seconds=offset_s)
    return utc_text(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, ns)


def ns_to_text(ns: int) -> str:
    secs, frac = divmod(ns, 1_000_000_000)
    if not -62135596800 <= secs <= 253402300799:
        raise ValueError("out of the representable range (years 1-9999)")
    if secs >= 0:
        t = time.gmtime(secs)
        return utc_text(t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, frac)
    dt = _EPOCH + timedelta(seconds=secs)
    return utc_text(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, frac)


def _frac_ns(frac: str | None) -> int:
    return int((frac + "000000000")[:9]) if frac else 0


def _offset_seconds(z: str) -> int:
    if z in ("Z", "", "UTC", "GMT"):
        return 0
    sign = -1 if z[0] == "-" else 1
    digits = z[1:].replace(":", "")
    if len(digits) != 4 or not digits.isdigit():
        raise ValueError(f"bad zone offset {z!r}")
    h, m = int(digits[:2]), int(digits[2:])
    if h > 23 or m > 59:
        raise ValueError(f"bad zone offset {z!r}")
    return sign * (h * 3600 + m * 60)


def _assemble(y: int, mo: int, d: int, h: int, mi: int, s: int, ns: int, offset_s: int) -> str:
    if h > 23 or mi > 59 or s > 59:
        raise ValueError("time of day out of range")
    _check_date(y, mo, d)
    if offset_s:
        return _shifted_text(y, mo, d, h, mi, s, ns, offset_s)
    return utc_text(y, mo, d, h, mi, s, ns)


_fromiso = datetime.fromisoformat


def parse_rfc3339(value: object) -> str:
    if type(value) is not str:
        raise ValueError("expected an RFC 3339 string")
    n = len(value)
    if n == 20 and value[4::3] == "--T::Z" and value.isascii():
        # the commonest form (whole seconds, UTC), with as few Python steps as possible: one slice checks every
        # separator ('-' at 7 rules out ISO week dates, which fromisoformat would also accept), the C ISO
        # parser checks digits and ranges, and with only digits around them 'T' and 'Z' occur once each
        try:
            _fromiso(value)
        except ValueError:
            pass
        else:
            return value.replace("T", " ").replace("Z", ".000000000")
    if 22 <= n <= 30 and value[-1] == "Z" and value[4:20:3] == "--T::." and value.isascii():
        # UTC with a fraction: the C ISO parser validates digits and ranges (it rejects second 60, as Go does);
        # the stored text is then the input re-cut, fraction kept to the nanosecond
        frac = value[20:-1]
        if frac.isdigit():
            try:
                _fromiso(value)
            except ValueError:
                pass  # the slow path below says exactly what is wrong
            else:
                return value[:-1].replace("T", " ") + "000000000"[len(frac):]
    m = _RFC3339.match(value)
    if m is None:
        raise ValueError("not RFC 3339 (expected e.g. 2024-05-01T12:00:00Z)")
    y, mo, d, h, mi, s, frac, z = m.groups()
    if frac is not None and len(frac) > 9:
        frac = frac[:9]
    if z == "Z":
        # fast path: UTC text is a re-slicing of the input once the ranges check out
        if h > "23" or mi > "59" or s > "59":
            raise ValueError("time of day out of range")
        day = value[:10]
        if day not in _valid_days:
            _check_date(int(y), int(mo), int(d))
            if len(_valid_days) < _CACHE_MAX:
                _valid_days.add(day)
        if frac is None:
            return f"{day} {value[11:19]}.000000000"
        return f"{day} {value[11:19]}.{frac}{'000000000'[len(frac):]}"
    return _assemble(int(y), int(mo), int(d), int(h), int(mi), int(s), _frac_ns(frac), _offset_seconds(z))


def parse_any_text(value: object) -> str:
    """RFC 3339 or Panther's stored text (any fraction, optional zone) → stored text. For comparisons."""
    if type(value) is not str:
        raise ValueError("expected a timestamp string")
    m = _PANTHER_TEXT.match(value)
    if m is None:
        raise ValueError("not a timestamp text")
    y, mo, d, h, mi, s, frac, z = m.groups()
    return _assemble(int(y), int(mo), int(d), int(h), int(mi), int(s), _frac_ns(frac), _offset_seconds(z or ""))


# Go's strconv.ParseFloat text (no spaces; exponent, "inf" and "nan" forms; hex floats are left out) and
# strconv.ParseInt text.
_GO_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)


def _unix_seconds(value: object) -> str:
    """Seconds since the epoch as Panther computes them: the float64 value times 1e6, truncated to whole
    microseconds (tcodec/unix.go UnixSeconds), from a JSON number or a ParseFloat string."""
    # `type(...) is`, not isinstance: a JSON boolean is not a number here
    if type(value) is str:
        if not _GO_FLOAT.match(value):
            raise ValueError("not a number (unix seconds)")
        seconds = float(value)
    elif type(value) is int:
        return ns_to_text(value * 1_000_000_000)
    elif type(value) is float:
        seconds = value
    else:
        raise ValueError(f"expected a number, got {_kind(value)}")
    if seconds - seconds != 0.0:
        raise ValueError("not a finite number")
    return ns_to_text(int(seconds * 1_000_000) * 1000)


def _kind(value: object) -> str:
    """What a non-number is called in an error: JSON booleans by their JSON name."""
    return "a boolean" if type(value) is bool else type(value).__name__


def _unix_integer(scale: int, unit: str) -> TimeParser:
    """ms/us/ns since the epoch: integers only, as a JSON integer or a ParseInt string (tcodec/unix.go unixCodec)."""
    def parse(value: object) -> str:
        if type(value) is int:
            return ns_to_text(value * scale)
        if type(value) is str:
            if not _INT_TEXT.match(value):
                raise ValueError(f"not an integer ({unit})")
            return ns_to_text(int(value) * scale)
        if type(value) is float:
            raise ValueError(f"not an integer ({unit})")
        raise ValueError(f"expected a number, got {_kind(value)}")
    return parse


_UNIX_S = _unix_seconds
_UNIX_NS = _unix_integer(1, "unix_ns")
_CLOUDFLARE_MAX_SECONDS = 60_000_000_000  # a number at least this big cannot be seconds (year 3871): nanoseconds


def parse_cloudflare(value: object) -> str:
    """Cloudflare Logpush's timestamps as Panther reads them: RFC 3339 text, or integer unix seconds or
    nanoseconds told apart by size (Logpush's `timestamps=unix` / `unixnano` options)."""
    if type(value) is str:
        v = value.strip()
        if not v.lstrip("-").isdigit():
            return parse_rfc3339(value)
        number = int(v)
    elif type(value) is float and value.is_integer():
        number = int(value)
    elif type(value) is int:
        number = value
    else:
        raise ValueError("expected RFC 3339 text or integer unix seconds/nanoseconds")
    return _UNIX_S(number) if abs(number) < _CLOUDFLARE_MAX_SECONDS else _UNIX_NS(number)


_NAMED: dict[str, TimeParser] = {
    "rfc3339": parse_rfc3339,
    "unix": _UNIX_S,
    "unix_ms": _unix_integer(1_000_000, "unix_ms"),
    "unix_us": _unix_integer(1_000, "unix_us"),
    "unix_ns": _UNIX_NS,
    "cloudflare": parse_cloudflare,
}

_FIXED = {"Y": (4, r"\d{4}"), "m": (2, r"\d\d"), "d": (2, r"\d\d"), "H": (2, r"\d\d"), "M": (2, r"\d\d"),
          "S": (2, r"\d\d"), "b": (3, r"[A-Za-z]{3}"), "z": (5, r"[+-]\d{4}")}


def _fixed_width(fmt: str, slow: TimeParser) -> TimeParser | None:
    """For formats made only of fixed-width directives (e.g. '%d/%b/%Y:%H:%M:%S %z'): check the shape with one
    group-less regex, then slice at known offsets. About 3× cheaper than a regex with named groups.

    Values that do not have the shape go to `slow` (the general parser). Dates repeat far more than seconds
    do, so the checked date text is cached per distinct date span; a UTC value whose date is cached becomes
    its stored text by slicing alone.
    """
    pos = 0
    slots: dict[str, tuple[int, int]] = {}
    rx = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            d = fmt[i + 1] if i + 1 < len(fmt) else ""
            if d not in _FIXED or d in slots:
                return None
            width, pat = _FIXED[d]
            slots[d] = (pos, pos + width)
            rx.append(pat)
            pos += width
            i += 2
        else:
            rx.append(re.escape(fmt[i]))
            pos += 1
            i += 1
    if not {"Y", "d", "H", "M", "S"} <= set(slots) or not ({"m", "b"} & set(slots)):
        return None
    shape = re.compile("".join(rx), re.ASCII).fullmatch
    Y, M, D, H, MI, S = (slots[k] for k in ("Y", "m" if "m" in slots else "b", "d", "H", "M", "S"))
    Z = slots.get("z")
    z0, z1 = Z if Z is not None else (0, 0)
    lo, hi = min(Y[0], M[0], D[0]), max(Y[1], M[1], D[1])  # a span holding the whole date
    days: dict[str, str] = {}  # date span text → checked 'YYYY-MM-DD'

    def parse(value: object) -> str:
        if type(value) is not str or shape(value) is None:
            return slow(value)
        day = days.get(value[lo:hi])
        if day is not None and (Z is None or value[z0:z1] == "+0000"):
            h, mi, s = value[H[0]:H[1]], value[MI[0]:MI[1]], value[S[0]:S[1]]
            # two-character digit strings compare like the numbers; anything else takes the checked path
            if h <= "23" and mi <= "59" and s <= "59":
                return f"{day} {h}:{mi}:{s}.000000000"
        out = slow(value)
        if (Z is None or value[z0:z1] == "+0000") and len(days) < _CACHE_MAX and \
                value[H[0]:H[1]] <= "23" and value[MI[0]:MI[1]] <= "59" and value[S[0]:S[1]] <= "59":
            days[value[lo:hi]] = out[:10]  # no carry from the time of day: the date span alone gives the date
        return out
    return parse


def _check_strftime(fmt: str) -> None:
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            d = fmt[i + 1:i + 2]
            if d not in SUPPORTED:
                raise ValueError(f"unsupported strftime directive %{d}" if d else "stray % at the end of the format")
            i += 2
        else:
            i += 1


def _cached(read: Callable[[str], tuple], what: str) -> TimeParser:
    """A parser from a field reader (strftime or Go layout), with a per-format cache of value → stored text."""
    cache: dict[str, str] = {}

    def parse(value: object) -> str:
        if type(value) is not str:
            raise ValueError(f"expected text matching {what}")
        hit = cache.get(value)
        if hit is not None:
            return hit
        try:
            y, mo, d, h, mi, s, ns, off = read(value)
        except ValueError as e:
            raise ValueError(f"does not match time format {what} ({e})") from None
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        out = cache[value] = _text(y, mo, d, h, mi, s, ns, off)
        return out
    return parse


def _text(y: int, mo: int, d: int, h: int, mi: int, s: int, ns: int, off: int) -> str:
    dt = normalised(y, mo, d, h, mi, s, off)
    return utc_text(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, ns)


def compile_strftime(fmt: str) -> TimeParser:
    """A parser for one strftime format, with the rules of timefmt-go (see workbench.schema.strftime)."""
    _check_strftime(fmt)
    return _fixed_width(fmt, _cached(lambda v: parse_strftime(v, fmt), repr(fmt))) or \
        _cached(lambda v: parse_strftime(v, fmt), repr(fmt))


_LAYOUT_FIXED = {"2006": "%Y", "01": "%m", "02": "%d", "2": "%d", "Jan": "%b", "15": "%H", "04": "%M", "05": "%S",
                 "-0700": "%z"}


def _layout_as_fixed(layout: str) -> str | None:
    """The fixed-width strftime shape of a Go layout, when every element has one (`2/Jan/2006:15:04:05 -0700`
    → `%d/%b/%Y:%H:%M:%S %z`): values of that exact shape take `_fixed_width`'s sliced fast path."""
    out = []
    for tok in layout_chunks(layout):
        if tok in _LAYOUT_FIXED:
            out.append(_LAYOUT_FIXED[tok])
        elif len(tok) == 1 and not tok.isalnum():
            out.append("%%" if tok == "%" else tok)
        else:
            return None
    return "".join(out)


def compile_layout(layout: str) -> TimeParser:
    """A parser for a Go reference-time layout (`layout=…`), ranges checked as Go's time.Parse does."""
    def read(v: str) -> tuple:
        y, mo, d, h, mi, s, ns, off = parse_layout(v, layout)
        if not 1 <= d <= days_in_month(y, mo):
            raise ValueError("day out of range")
        return y, mo, d, h, mi, s, ns, off
    slow = _cached(read, f"layout={layout!r}")
    fixed = _layout_as_fixed(layout)
    # the fast path only slices values whose date the slow path has checked and whose time of day is in range,
    # so it gives what the layout gives; everything else (offsets, other shapes, bad values) goes to `slow`
    return (_fixed_width(fixed, slow) if fixed else None) or slow


def compile_time_format(fmt: str) -> TimeParser:
    if fmt in _NAMED:
        return _NAMED[fmt]
    if fmt.startswith("layout="):
        return compile_layout(fmt[len("layout="):])
    return compile_strftime(fmt)


def compile_time_formats(formats: Iterable[str]) -> TimeParser:
    """One parser trying each format in order (the first that reads the value wins)."""
    parsers = [compile_time_format(f) for f in formats]
    if not parsers:
        return parse_rfc3339
    if len(parsers) == 1:
        return parsers[0]
    names = list(formats)

    def parse(value: object) -> str:
        for p in parsers:
            try:
                return p(value)
            except ValueError:
                continue
        raise ValueError(f"matches none of the time formats {names}")

    return parse


# --- detection (used by inference) --------------------------------------------------------------------------

def detect_text_format(values: Iterable[str]) -> tuple[str, list[str]] | None:
    """The one format that reads every value (see `timedetect` for how formats are recognised), with the
    parsed texts; None when no single format reads them all."""
    from workbench.schema.timedetect import choose_formats

    values = list(values)
    choice = choose_formats(values, min_share=1.0)
    if choice is None or len(choice.formats) != 1:
        return None
    p = compile_time_format(choice.formats[0])
    try:
        return choice.formats[0], [p(v) for v in values]
    except ValueError:
        return None


# Unix magnitudes: a value in one of these ranges is plausibly that unit (years ~2001 – ~2100).
UNIX_RANGES = (
    ("unix", 1_000_000_000, 4_102_444_800),
    ("unix_ms", 1_000_000_000_000, 4_102_444_800_000),
    ("unix_us", 1_000_000_000_000_000, 4_102_444_800_000_000),
    ("unix_ns", 1_000_000_000_000_000_000, 4_102_444_800_000_000_000),
)


def unix_unit(lo: float, hi: float) -> str | None:
    """The unit whose plausible range holds every value between lo and hi, if any."""
    for name, a, b in UNIX_RANGES:
        if a <= lo and hi <= b:
            return name
    return None
