"""The records of one object as decoding collects them: shared provenance (bucket, key, object time), per-record
flags, the record cap, and what the object as a whole turned out to be (stream, envelope, flags, notes)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from workbench.model import ObjectRef, Record
from workbench.source.compression import DEFAULT_LIMITS, LONG_LINE, DecodeLimits
from workbench.source.lines import split_lines, utf8_text


class RecordBuilder:
    """Collects records for one object with shared provenance."""

    def __init__(self, ref: ObjectRef, when: datetime | None, max_records: int = DEFAULT_LIMITS.max_records):
        self.ref = ref
        self.when = when
        self.records: list[Record] = []
        self.record_flags: dict[str, int] = {}
        self.max_records = max_records
        self.capped = False  # records were dropped at `max_records`

    def add(self, line: int, text: str, offset: int = 0, flags: tuple[str, ...] = (), when: datetime | None = None) -> None:
        if len(self.records) >= self.max_records:
            self.capped = True
            return
        for f in flags:
            self.record_flags[f] = self.record_flags.get(f, 0) + 1
        self.records.append(Record(self.ref.bucket, self.ref.key, line, text, when or self.when, offset, flags))

    def add_raw(self, line: int, raw: bytes, offset: int, truncated: bool) -> None:
        text, bad = utf8_text(raw)
        flags: tuple[str, ...] = ()
        if bad or truncated or len(raw) > LONG_LINE:
            flags = tuple(f for f, on in (("invalid_utf8", bad), ("line_truncated", truncated),
                                          ("long_line", len(raw) > LONG_LINE)) if on)
        self.add(line, text, offset, flags)


    def add_lines(self, lines: list[tuple[int, bytes, bool]]) -> None:
        """Every non-blank line as a record (line numbers count blank lines too). The hot loop of decoding:
        clean UTF-8 lines skip `add_raw`'s flag bookkeeping."""
        append = self.records.append
        bucket, key, when, limit = self.ref.bucket, self.ref.key, self.when, self.max_records
        for n, (offset, ln, truncated) in enumerate(lines, 1):
            if not ln or ln.isspace():
                continue
            if len(self.records) >= limit:
                self.capped = True
                return
            if truncated or len(ln) > LONG_LINE:
                self.add_raw(n, ln, offset, truncated)
                continue
            try:
                text = ln.decode("utf-8")
            except UnicodeDecodeError:
                self.add_raw(n, ln, offset, truncated)
                continue
            append(Record(bucket, key, n, text, when, offset, ()))

    def lines_of(self, raw: bytes, limits: DecodeLimits, partial: bool) -> list[tuple[int, bytes, bool]]:
        """`raw` split into (offset, line, truncated) under the caps; a partial read loses its cut-off last line."""
        lines = split_lines(raw, limits.max_line, limits.max_records)
        if len(lines) > limits.max_records:
            self.capped = True
            del lines[limits.max_records:]
        elif partial and lines and not raw.endswith(b"\n"):
            lines.pop()
        return lines


@dataclass(slots=True)
class DecodeOutcome:
    """What the object as a whole turned out to be, as the decoders find out."""

    stream: str
    envelope: str | None = None
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def json_text(value: object) -> str:
    """A decoded value as a record's text: compact JSON, anything JSON cannot hold written as its str()."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # integers beyond 64 bits are valid JSON that orjson will not write; the stdlib will
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))
