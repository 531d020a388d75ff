"""Dates hidden in S3 keys: recognise date partitions so history is dated by key and a time window lists
only the folders it needs.

Layouts recognised, as whole path segments:

* ``YYYY-MM-DD`` (also with ``dt=``, ``date=``, ``day=`` in front), e.g. ``Panoptica/auth/2024-05-01/…``;
* ``YYYY/MM/DD`` (and ``YYYY/MM``, ``YYYY``), e.g. CloudTrail's ``AWSLogs/<acct>/CloudTrail/<region>/2024/05/01/``;
* Hive style ``year=YYYY/month=MM/day=DD[/hour=HH]``;
* ``YYYYMMDD`` as a whole segment.

File names often carry a finer time, which wins when it agrees with the folders: CloudTrail's
``…_20240501T1205Z_…`` and S3 server access logs' ``2024-05-01-12-05-00-<UNIQUE>``.

moto (and a bucket restored from backup) sets LastModified to the upload time, so a key's own date is the
best evidence of when its events happened; LastModified is only the fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

# One path segment holding a whole date, optionally behind a Hive-style name.
_SEG_DAY = re.compile(r"^(?:(?:dt|date|day|ds|partition_date)=)?(\d{4})-?(\d{2})-?(\d{2})$")
_SEG_YEAR = re.compile(r"^(?:year=|y=)?((?:19|20)\d{2})$")
_SEG_MONTH = re.compile(r"^(?:month=|m=)?(\d{1,2})$")
_SEG_DAYNUM = re.compile(r"^(?:day=|d=)?(\d{1,2})$")
_SEG_HOUR = re.compile(r"^(?:(?:hour=|h=)(\d{1,2})|(\d{2}))$")  # bare hours must be zero-padded
# Finer times inside a file name (searched, not anchored).
_NAME_TIMES = (
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z"),  # CloudTrail, many AWS services
    re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})(?!\d)"),  # S3 server access logs
    re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})[T_ ](\d{2})[:\-]?(\d{2})[:\-]?(\d{2})?"),  # ISO-ish stamps
)


@dataclass(frozen=True, slots=True)
class KeyTime:
    """When a key says its data was written: a span [start, end) at the resolution the key allows."""

    start: datetime
    end: datetime
    source: str  # "key" or "last_modified"

    def overlaps(self, since: datetime | None, until: datetime | None) -> bool:
        return (since is None or self.end > since) and (until is None or self.start < until)


def _day(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def segment_kinds(segments: list[str]) -> list[str | None]:
    """Label each folder segment as "day", "year", "month", "daynum", "hour" or None (not a date part).

    Numbers only count as month/day/hour when they follow a year (or month, or day) segment, so account ids
    and plain numeric folders are not mistaken for dates.
    """
    kinds: list[str | None] = []
    prev: str | None = None
    for seg in segments:
        kind: str | None = None
        m = _SEG_DAY.match(seg)
        if m and _day(int(m[1]), int(m[2]), int(m[3])) and (len(seg) != 8 or seg.startswith(("19", "20"))):
            kind = "day"
        elif _SEG_YEAR.match(seg):
            kind = "year"
        elif prev == "year" and (mm := _SEG_MONTH.match(seg)) and 1 <= int(mm[1]) <= 12:
            kind = "month"
        elif prev == "month" and (dm := _SEG_DAYNUM.match(seg)) and 1 <= int(dm[1]) <= 31:
            kind = "daynum"
        elif prev in ("day", "daynum") and _SEG_HOUR.match(seg) and _num(seg) <= 23:
            kind = "hour"
        kinds.append(kind)
        prev = kind
    return kinds


def _num(seg: str) -> int:
    return int(seg.rsplit("=", 1)[-1])


def folder_span(segments: list[str]) -> tuple[datetime, datetime] | None:
    """The time span that a folder path pins down, or None when it has no date part.

    ``["AWSLogs", "1234", "CloudTrail", "us-east-1", "2024", "05"]`` → all of May 2024.
    """
    kinds = segment_kinds(segments)
    y = mo = d = h = None
    for seg, kind in zip(segments, kinds, strict=True):
        if kind == "day":
            m = _SEG_DAY.match(seg)
            assert m is not None  # segment_kinds said so
            y, mo, d, h = int(m[1]), int(m[2]), int(m[3]), None
        elif kind == "year":
            ym = _SEG_YEAR.match(seg)
            assert ym is not None  # segment_kinds said so
            y, mo, d, h = int(ym[1]), None, None, None
        elif kind == "month":
            mo = _num(seg)
        elif kind == "daynum":
            d = _num(seg)
        elif kind == "hour":
            h = _num(seg)
    if y is None:
        return None
    if mo is None:
        return datetime(y, 1, 1, tzinfo=UTC), datetime(y + 1, 1, 1, tzinfo=UTC)
    if d is None:
        start = datetime(y, mo, 1, tzinfo=UTC)
        return start, datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=UTC)
    day = _day(y, mo, d)
    if day is None:
        return None
    if h is None:
        return _midnight(day), _midnight(day) + timedelta(days=1)
    start = _midnight(day) + timedelta(hours=h)
    return start, start + timedelta(hours=1)


def _name_time(name: str) -> datetime | None:
    for rx in _NAME_TIMES:
        m = rx.search(name)
        if m:
            parts = [int(p) if p else 0 for p in m.groups()]
            try:
                return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5] if len(parts) > 5 else 0, tzinfo=UTC)
            except ValueError:
                continue
    return None


def key_time(key: str) -> KeyTime | None:
    """The span a key's date partition (and file name) pins down, or None when the key carries no date."""
    segments = key.split("/")
    folders, name = segments[:-1], segments[-1]
    span = folder_span(folders)
    stamp = _name_time(name)
    if stamp is not None and (span is None or span[0] <= stamp < span[1]):
        return KeyTime(stamp, stamp + timedelta(minutes=1), "key")
    if span is None:
        # a bare date as the file name, e.g. logs/2024-05-01.json.gz
        m = _SEG_DAY.match(name.split(".", 1)[0])
        if m and (day := _day(int(m[1]), int(m[2]), int(m[3]))):
            return KeyTime(_midnight(day), _midnight(day) + timedelta(days=1), "key")
        return None
    return KeyTime(span[0], span[1], "key")


def object_time(key: str, last_modified: datetime | None) -> datetime | None:
    """When an object's data was written: the key's date partition when it has one, else LastModified."""
    kt = key_time(key)
    if kt is not None:
        return kt.start
    if last_modified is not None and last_modified.tzinfo is None:
        return last_modified.replace(tzinfo=UTC)
    return last_modified


def in_window(key: str, last_modified: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    """Whether an object belongs to [since, until): by its key's date when it has one, else by LastModified."""
    if since is None and until is None:
        return True
    kt = key_time(key)
    if kt is not None:
        return kt.overlaps(since, until)
    if last_modified is None:
        return True
    lm = last_modified if last_modified.tzinfo else last_modified.replace(tzinfo=UTC)
    return (since is None or lm >= since) and (until is None or lm < until)


def pattern_segment(seg: str, kind: str | None) -> str:
    """How a folder segment looks in a group pattern: dates become placeholders, the rest stays literal."""
    if kind == "day":
        m = re.match(r"^([a-z_]+=)?", seg)
        return f"{m[1] or ''}{{date}}" if m else "{date}"
    if kind is not None:
        name = {"year": "yyyy", "month": "mm", "daynum": "dd", "hour": "hh"}[kind]
        prefix = seg.split("=", 1)[0] + "=" if "=" in seg else ""
        return f"{prefix}{{{name}}}"
    return seg


_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^(?:us|eu|ap|ca|sa|me|af|il|mx|cn|us-gov)-[a-z]+-\d$")
_EXT = re.compile(r"((?:\.(?:json|jsonl|ndjson|log|txt|csv|tsv|parquet|avro|xml))?(?:\.(?:gz|gzip|zst|zstd|bz2))?)$", re.I)


def key_pattern(key: str) -> str:
    """A key's group: its folders with dates, account ids and regions as placeholders, then ``*`` + extension.

    ``AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/x.json.gz`` →
    ``AWSLogs/{account}/CloudTrail/{region}/{yyyy}/{mm}/{dd}/*.json.gz``. Objects of one log type share a
    pattern, so detection and stratified sampling work per pattern.
    """
    segments = key.split("/")
    folders, name = segments[:-1], segments[-1]
    out = []
    for seg, kind in zip(folders, segment_kinds(folders), strict=True):
        if kind is not None:
            out.append(pattern_segment(seg, kind))
        elif _ACCOUNT.match(seg):
            out.append("{account}")
        elif _REGION.match(seg):
            out.append("{region}")
        else:
            out.append(seg)
    ext = _EXT.search(name)
    out.append("*" + (ext[1].lower() if ext else ""))
    return "/".join(out)
