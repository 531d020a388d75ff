"""Plain frozen data that crosses module boundaries: objects in a bucket and the records read from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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

    @classmethod
    def from_envelope(cls, obj: object) -> Record | None:
        """The record a `to_json` line describes, or None when `obj` is not that envelope."""
        if not isinstance(obj, dict) or not obj.keys() >= ENVELOPE_REQUIRED or not obj.keys() <= ENVELOPE_KEYS:
            return None
        text, key, line = obj["text"], obj["key"], obj.get("line", 0)
        if not isinstance(text, str) or not isinstance(key, str) or not isinstance(line, int):
            return None
        when = None
        if isinstance(obj.get("time"), str):
            try:
                when = datetime.fromisoformat(obj["time"])
            except ValueError:
                when = None
        flags = obj.get("flags") or ()
        return cls(str(obj.get("bucket") or ""), key, line, text, when,
                   flags=tuple(str(f) for f in flags) if isinstance(flags, list) else ())


ENVELOPE_REQUIRED = frozenset({"key", "text"})
ENVELOPE_KEYS = frozenset({"bucket", "key", "line", "time", "text", "flags"})


@dataclass(frozen=True, slots=True)
class FetchFailure:
    """An object that could not be read; counted and listed, never raised through a sample."""

    ref: ObjectRef
    message: str
