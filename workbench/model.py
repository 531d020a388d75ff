"""Plain frozen data that crosses module boundaries: objects in a bucket and the records read from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One S3 object, as listed or as announced by a notification."""

    bucket: str
    key: str
    size: int = -1  # -1 when unknown (e.g. from a notification without a size)
    last_modified: datetime | None = None
    etag: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True, slots=True)
class Record:
    """One raw event read from an object, with where it came from.

    `line` is 1-based within the decoded stream; `offset` is the byte offset of the record's start in the
    decoded stream. `flags` name repairs made while decoding (e.g. "invalid_utf8", "line_truncated").
    """

    bucket: str
    key: str
    line: int
    text: str
    time: datetime | None = None
    offset: int = 0
    flags: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        """The provenance shape `workbench sample` writes: {"bucket","key","line","time","text"}."""
        out = {
            "bucket": self.bucket,
            "key": self.key,
            "line": self.line,
            "time": self.time.isoformat() if self.time else None,
            "text": self.text,
        }
        if self.flags:
            out["flags"] = list(self.flags)
        return out


@dataclass(frozen=True, slots=True)
class FetchFailure:
    """An object that could not be read; counted and listed, never raised through a sample."""

    ref: ObjectRef
    message: str


def stored_time(event: object, *, fallback_to_parse_time: bool = False) -> datetime | None:
    """An event's `p_event_time` as an aware UTC datetime; None when absent or unreadable.

    The one reader of the stored text (Panther's `YYYY-MM-DD HH:MM:SS.fffffffff`, or ISO 8601 with `T`/`Z`,
    which events from other tools carry). Fractions beyond microseconds are cut, not rounded, so an event
    never moves into the next second. With `fallback_to_parse_time`, an event without an event time is
    placed at its parse time, as Panther places it.
    """
    if not isinstance(event, dict) and not hasattr(event, "get"):
        return None
    raw = event.get("p_event_time") or (event.get("p_parse_time") if fallback_to_parse_time else None)
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if not isinstance(raw, str) or not raw:
        return None
    text = raw.strip().replace("T", " ", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    whole, dot, rest = text.partition(".")
    if dot:  # keep the zone after the fraction, cut the fraction to microseconds
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{whole}.{rest[:min(digits, 6)].ljust(6, '0')}{rest[digits:]}" if digits else whole + rest
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)
