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


@dataclass(frozen=True, slots=True)
class FetchFailure:
    """An object that could not be read; counted and listed, never raised through a sample."""

    ref: ObjectRef
    message: str
