"""Turn an object's bytes into raw records: compression by content, stream splitting, caps and repairs.

Compression is sniffed from magic bytes, never from the key's extension (a ``.gz`` key holding zstd is
decoded as zstd and flagged ``compression_mismatch``): gzip (multi-member), zstd (multi-frame), bzip2
(multi-stream), Parquet, or plain.

Stream types follow Panther's names: ``auto``, ``lines``, ``json`` (a stream of JSON values, pretty-printed
multi-line ones included), ``json_array`` (a top-level array, or an array under an envelope key such as
``Records``), ``cloudwatch_logs`` (CloudWatch Logs subscription payloads). ``auto`` picks by content.

Defaults (see `DecodeLimits`):

* line cap **8 MiB**: a longer line is cut at the cap and its record flagged ``line_truncated``;
* decompressed cap **256 MiB** per object: decompression stops there (a gzip bomb ends at the cap), the
  last partial record is dropped, and the object is flagged ``decompressed_cap`` with a plain note.
* record cap **1,000,000** per object: a bomb of short lines stops there, flagged ``record_cap``.

Provenance: ``line`` is the 1-based line in the decoded stream (for JSON arrays, envelopes and CloudWatch
payloads: the element's 1-based index) and ``offset`` its byte offset (0 where elements have none).

Invalid UTF-8 is replaced (U+FFFD) and the record flagged ``invalid_utf8``; it is never fatal. A partial
read (a ranged GET of a large object) drops the cut-off last record and flags ``object_truncated``.
Nothing here raises for bad data: a `Decoded` carries records, flags, notes and at worst an ``error``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from workbench.files import human_size
from workbench.model import ObjectRef, Record
from workbench.source.compression import (
    DEFAULT_LIMITS,
    LONG_LINE,
    DecodeLimits,
    MiB,
    _expected_compression,
    decompress,
    sniff_compression,
)
from workbench.source.lines import _text, split_lines
from workbench.source.partitions import object_time

# Keys of a top-level object that hold the records of an envelope, most specific first.
ENVELOPE_KEYS = ("Records", "records", "logEvents", "events", "Events", "items", "data", "entries")
STREAMS = ("auto", "lines", "json", "json_array", "cloudwatch_logs")
_STREAM_ALIASES = {"jsonarray": "json_array", "cloudwatchlogs": "cloudwatch_logs", "json_lines": "lines",
                   "ndjson": "lines"}

@dataclass(slots=True)
class Decoded:
    """What one object decoded into. `error` is set only when no records could be read at all."""

    records: list[Record]
    compression: str = "none"  # gzip | zstd | bzip2 | parquet | none
    stream: str = "lines"  # lines | json | json_array | cloudwatch_logs | parquet | empty
    envelope: str | None = None  # e.g. "Records" when records came from {"Records": [...]}
    flags: tuple[str, ...] = ()  # object-level: decompressed_cap, object_truncated, compression_mismatch, …
    notes: tuple[str, ...] = ()  # plain sentences explaining the flags
    error: str | None = None
    bytes_in: int = 0
    bytes_out: int = 0
    record_flags: dict[str, int] = field(default_factory=dict)  # flag -> number of records carrying it


def normal_stream(stream: str | None) -> str:
    """The canonical stream name for `stream` (Panther spellings accepted); a clear error if unknown."""
    s = (stream or "auto").strip().lower().replace("-", "_")
    s = _STREAM_ALIASES.get(s.replace("_", ""), _STREAM_ALIASES.get(s, s))
    if s not in STREAMS:
        from workbench.errors import WorkbenchError

        raise WorkbenchError(f"Unknown stream type {stream!r}; use one of: {', '.join(STREAMS)}.")
    return s


class _Builder:
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
        text, bad = _text(raw)
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


def _dumps(value: object) -> str:
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # integers beyond 64 bits are valid JSON that orjson will not write; the stdlib will
        return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def _envelope_key(doc: object) -> str | None:
    """The key of a top-level object that holds the record array, if it looks like an envelope."""
    if not isinstance(doc, dict):
        return None
    for k in ENVELOPE_KEYS:
        v = doc.get(k)
        if isinstance(v, list) and (not v or isinstance(v[0], dict)):
            return k
    return None


def _is_cloudwatch(doc: object) -> bool:
    return isinstance(doc, dict) and "logEvents" in doc and "messageType" in doc


def _cloudwatch_events(b: _Builder, doc: dict, counter: list[int]) -> None:
    if doc.get("messageType") != "DATA_MESSAGE":
        return  # CONTROL_MESSAGE: the service checking the destination, no log data
    for ev in doc.get("logEvents") or []:
        counter[0] += 1
        if not isinstance(ev, dict):
            continue
        msg = ev.get("message")
        ts = ev.get("timestamp")
        when = _epoch_ms(ts)
        b.add(counter[0], msg if isinstance(msg, str) else _dumps(msg), 0, (), when)


def _epoch_ms(ts: object) -> datetime | None:
    """A CloudWatch millisecond timestamp, or None when it is not a number a datetime can hold."""
    if not isinstance(ts, int | float) or isinstance(ts, bool):
        return None
    try:
        return datetime.fromtimestamp(ts / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _json_values(text: str) -> Iterator[tuple[int, int, object | None, str]]:
    """Successive JSON values in `text` (concatenated or pretty-printed): (offset, line, value, source text).

    Stops at the first piece that is not JSON, yielding it once with value None so callers can flag it.
    """
    decoder = json.JSONDecoder()
    i = 0
    n = len(text)
    line = 1
    while i < n:
        while i < n and text[i] in " \t\r\n\ufeff,":  # commas: tolerate `{..},{..}` streams
            if text[i] == "\n":
                line += 1
            i += 1
        if i >= n:
            return
        try:
            value, end = decoder.raw_decode(text, i)
        except (json.JSONDecodeError, RecursionError):  # RecursionError: nested deeper than Python's stack
            yield i, line, None, text[i:]
            return
        piece = text[i:end]
        yield i, line, value, piece
        line += piece.count("\n")
        i = end


def _array_elements(text: str, start: int) -> Iterator[tuple[object | None, str]]:
    """Elements of a JSON array whose `[` is at `start`, one at a time, so a cut-off array keeps its head."""
    decoder = json.JSONDecoder()
    i = start + 1
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] == "]":
            return
        try:
            value, end = decoder.raw_decode(text, i)
        except (json.JSONDecodeError, RecursionError):
            yield None, text[i:]
            return
        yield value, text[i:end]
        i = end


@dataclass(slots=True)
class _Outcome:
    stream: str
    envelope: str | None = None
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _decode_json_document(b: _Builder, text: str, stream: str, partial: bool, out: _Outcome) -> bool:
    """Decode `text` as one JSON document (array / envelope / CloudWatch / single value). False if it is not."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        if not partial:
            return False
        return _salvage_partial_document(b, text, out)
    if isinstance(doc, list):
        out.stream = "json_array"
        for i, v in enumerate(doc, 1):
            b.add(i, v if isinstance(v, str) and stream == "json_array" else _dumps(v))
        return True
    if _is_cloudwatch(doc):
        out.stream = "cloudwatch_logs"
        _cloudwatch_events(b, doc, [0])
        return True
    env = _envelope_key(doc)
    if env is not None and (stream == "json_array" or env == "Records" or len(doc) <= 3):
        out.stream, out.envelope = "json_array", env
        for i, v in enumerate(doc[env], 1):
            b.add(i, _dumps(v))
        return True
    if stream == "json_array":
        return False
    body = text.strip()
    if "\n" not in body:
        return False  # one object on one line: NDJSON with a single line, read as lines (with line flags)
    out.stream = "json"
    b.add(1, body)
    return True


def _salvage_partial_document(b: _Builder, text: str, out: _Outcome) -> bool:
    """A cut-off array or {"Records": [ … — keep every complete element before the cut."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        start = text.index("[")
        out.stream = "json_array"
    else:
        head = text[:4096]
        for key in ENVELOPE_KEYS:
            pos = head.find(f'"{key}"')
            if pos >= 0:
                bracket = text.find("[", pos)
                if bracket < 0:
                    return False
                start = bracket
                out.stream, out.envelope = "json_array", key
                break
        else:
            return False
    n = 0
    for value, _src in _array_elements(text, start):
        if value is None:
            break
        n += 1
        b.add(n, _dumps(value))
    return n > 0


def _decode_text(b: _Builder, raw: bytes, stream: str, limits: DecodeLimits, partial: bool, out: _Outcome) -> None:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # UTF-16 with a BOM (Windows exports): transcode once, then split like any UTF-8 text
        raw = raw.decode("utf-16", errors="replace").encode("utf-8")
        out.flags.append("utf16")
        out.notes.append("The object is UTF-16 text; it was converted to UTF-8.")
    head = raw[:64].lstrip()
    first = head[:1]
    if stream in ("auto", "json", "json_array", "cloudwatch_logs") and first in (b"{", b"["):
        text: str | None = None
        if stream == "json_array" or first == b"[" or _first_line_is_not_a_value(raw):
            text, bad = _text(raw)
            if bad:
                out.flags.append("invalid_utf8")
            if _decode_json_document(b, text, stream, partial, out):
                return
        if stream != "json_array":
            if _decode_json_lines(b, raw, limits, partial, out, check=stream != "json"):
                return
            if text is None:
                text, bad = _text(raw)
                if bad:
                    out.flags.append("invalid_utf8")
            if _decode_json_stream(b, text, out):
                return
    if stream in ("json", "json_array", "cloudwatch_logs"):
        out.flags.append("not_json")
        out.notes.append(f"The object does not match stream type {stream}; it was read as lines.")
    _decode_lines(b, raw, limits, partial, out)


def _first_line_is_not_a_value(raw: bytes) -> bool:
    """True when the first line alone is not a whole JSON value: a one-document file or pretty-printed JSON."""
    nl = raw.find(b"\n")
    if nl < 0:
        return True
    rest = raw[nl + 1:].strip()
    if not rest:
        return True  # a single JSON document (CloudTrail's {"Records": [...]} is one line)
    try:
        orjson.loads(raw[:nl])
    except orjson.JSONDecodeError:
        return True
    return False


def _decode_json_lines(b: _Builder, raw: bytes, limits: DecodeLimits, partial: bool, out: _Outcome, check: bool) -> bool:
    """NDJSON: one value per line. With `check`, only when the first lines parse (else it is a JSON stream)."""
    lines = split_lines(raw, limits.max_line, limits.max_records)
    if len(lines) > limits.max_records:
        b.capped = True
        del lines[limits.max_records:]
    elif partial and lines and not raw.endswith(b"\n"):
        lines.pop()
    if check:
        probe = [ln for _, ln, t in lines[:5] if ln.strip() and not t]
        try:
            for ln in probe:
                orjson.loads(ln)
        except orjson.JSONDecodeError:
            # a bad first line could be one hostile line in an NDJSON file; only give up if most are bad
            ok = 0
            for ln in probe:
                try:
                    orjson.loads(ln)
                    ok += 1
                except orjson.JSONDecodeError:
                    pass
            if ok * 2 < len(probe):
                return False
    out.stream = "lines"
    first = lines[0][1] if lines else b""
    try:
        first_doc = orjson.loads(first) if _looks_like_cloudwatch(first) else None
    except orjson.JSONDecodeError:
        first_doc = None
    if first_doc is not None and _is_cloudwatch(first_doc):
        out.stream = "cloudwatch_logs"
        counter = [0]
        for _, ln, _t in lines:
            try:
                doc = orjson.loads(ln)
            except orjson.JSONDecodeError:
                continue
            if _is_cloudwatch(doc):
                _cloudwatch_events(b, doc, counter)
        return True
    b.add_lines(lines)
    return True


def _looks_like_cloudwatch(line: bytes) -> bool:
    return b'"logEvents"' in line[:4096] or b'"messageType"' in line[:4096]


def _decode_json_stream(b: _Builder, text: str, out: _Outcome) -> bool:
    """Concatenated / pretty-printed JSON values (e.g. Firehose batches without newlines). False when not even
    the first value is JSON: text that merely starts with `[` or `{` (``[2024-05-01 10:00] INFO …``) is lines."""
    counter = [0]
    for n, (offset, line, value, piece) in enumerate(_json_values(text)):
        if value is None and n == 0:
            return False
        out.stream = "json"
        if value is None:
            out.flags.append("trailing_garbage")
            out.notes.append(f"Text after line {line} is not JSON; it was skipped.")
            return True
        if isinstance(value, dict) and _is_cloudwatch(value):
            out.stream = "cloudwatch_logs"
            _cloudwatch_events(b, value, counter)
            continue
        if isinstance(value, list):  # an array among other values: its elements are the records
            for v in value:
                b.add(line, _dumps(v), offset)
            continue
        b.add(line, piece.strip(), offset)
    return True


def _decode_lines(b: _Builder, raw: bytes, limits: DecodeLimits, partial: bool, out: _Outcome) -> None:
    out.stream = "lines"
    lines = split_lines(raw, limits.max_line, limits.max_records)
    if len(lines) > limits.max_records:
        b.capped = True
        del lines[limits.max_records:]
    elif partial and lines and not raw.endswith(b"\n"):
        lines.pop()
    b.add_lines(lines)


def _decode_parquet(b: _Builder, data: bytes, limits: DecodeLimits, out: _Outcome) -> str | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # No pyarrow thread pools: with them, a process that had read even a valid file could die at exit
        # ("terminate called without an active exception") or segfault in a pool thread (seen in CI, 1 run
        # in 3 with pyarrow 26). One object at a time is small enough for one thread; callers parallelise.
        table = pq.read_table(pa.BufferReader(data), use_threads=False, pre_buffer=False)
    except Exception as e:  # any pyarrow failure is a per-object error value
        return f"cannot read Parquet ({str(e).splitlines()[0][:200] if str(e) else type(e).__name__})"
    out.stream = "parquet"
    if table.nbytes > limits.max_decompressed:
        keep = max(1, int(table.num_rows * limits.max_decompressed / max(table.nbytes, 1)))
        table = table.slice(0, keep)
        out.flags.append("decompressed_cap")
        out.notes.append(f"Only the first {keep} rows were read: the table is larger than the "
                         f"{limits.max_decompressed // MiB} MiB cap.")
    for i, row in enumerate(table.to_pylist(), 1):
        b.add(i, _dumps(row))
    return None


def decode_object(data: bytes, ref: ObjectRef, *, stream: str = "auto", limits: DecodeLimits | None = None) -> Decoded:
    """Decode one object's bytes into records with provenance (bucket, key, line, offset, object time).

    `data` may be the first part of a larger object (a ranged read): when ``ref.size`` says the object is
    longer, the cut-off last record is dropped and the object flagged ``object_truncated``.
    """
    limits = limits or DEFAULT_LIMITS
    stream = normal_stream(stream)
    b = _Builder(ref, object_time(ref.key, ref.last_modified), limits.max_records)
    out = _Outcome(stream="lines")
    if not data:
        return Decoded([], stream="empty", flags=("empty",), notes=("The object is empty.",), bytes_in=0)
    partial = 0 <= len(data) < ref.size
    if partial:
        out.flags.append("object_truncated")
        out.notes.append(f"Read the first {human_size(len(data))} of {human_size(ref.size)}; the rest of the object was skipped.")
    kind = sniff_compression(data)
    expected = _expected_compression(ref.key)
    plain_name = ref.key.lower().endswith((".json", ".jsonl", ".ndjson", ".csv", ".log", ".txt"))
    if (expected != "none" and kind != expected) or (expected == "none" and kind != "none" and plain_name):
        out.flags.append("compression_mismatch")
        out.notes.append(f"The key says {expected} but the content is {kind}; decoded as {kind}.")
    if kind == "parquet":
        if partial:
            return Decoded([], compression=kind, stream="parquet", flags=tuple(out.flags),
                           error="The Parquet object is larger than the read cap; Parquet needs the whole file.",
                           bytes_in=len(data))
        err = _decode_parquet(b, data, limits, out)
        return _finish(b, out, kind, data, len(data), err)
    dec = decompress(data, kind, cap=limits.max_decompressed)
    if dec.error and _is_text(data):
        # plain text that merely starts like a magic number (e.g. a line beginning "BZh9"): read it as text
        kind, dec = "none", decompress(data, "none", cap=limits.max_decompressed)
    if dec.error:
        return _finish(b, out, kind, data, 0, dec.error)
    if dec.capped:
        out.flags.append("decompressed_cap")
        out.notes.append(f"Decompression stopped at the {limits.max_decompressed // MiB} MiB cap "
                         "(possibly a compression bomb); the rest of the object was not read.")
    if dec.incomplete and not partial:
        out.flags.append("incomplete_compressed_stream")
        out.notes.append("The compressed data ends early (corrupt or cut off); the records before the cut were kept.")
    if looks_binary(dec.data):
        # never split binary content into "lines": it would be sampled, parsed and counted as text
        out.flags.append("binary")
        out.notes.append(f"The object holds binary data, not text{'' if kind == 'none' else f' (inside {kind})'}; "
                         "it was not read as records.")
        out.stream = "binary"
        return _finish(b, out, kind, data, len(dec.data), None)
    _decode_text(b, dec.data, stream, limits, partial or dec.capped or dec.incomplete, out)
    return _finish(b, out, kind, data, len(dec.data), None)


# control bytes that text does not hold (tab, newlines, form feed, vertical tab and ESC are allowed)
_CONTROL_BYTES = bytes(c for c in range(0x20) if c not in b"\t\n\r\f\v\x1b") + b"\x7f"
BINARY_PROBE = 8192


def looks_binary(data: bytes) -> bool:
    """True when the head of `data` is not text: more than 5 % control bytes (NUL included).

    Text logs with a stray NUL or escape sequence stay text; Latin-1 or broken UTF-8 (bytes >= 0x80) stays
    text (it is repaired and flagged); UTF-16 with a BOM is transcoded before this check matters.
    """
    head = data[:BINARY_PROBE]
    if not head or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls * 20 > len(head)


def _finish(b: _Builder, out: _Outcome, kind: str, data: bytes, n_out: int, err: str | None) -> Decoded:
    if b.capped:
        out.flags.append("record_cap")
        out.notes.append(f"Only the first {b.max_records} records were read: the object holds more than the "
                         "per-object record cap.")
    if b.record_flags.get("invalid_utf8") and "invalid_utf8" not in out.flags:
        out.flags.append("invalid_utf8")
    if b.record_flags.get("line_truncated"):
        out.flags.append("line_truncated")
        out.notes.append(f"{b.record_flags['line_truncated']} line(s) were longer than the line cap and were cut.")
    if b.record_flags.get("long_line"):
        out.flags.append("long_line")
    if "invalid_utf8" in out.flags:
        out.notes.append("Invalid UTF-8 bytes were replaced with U+FFFD.")
    return Decoded(
        records=b.records, compression=kind, stream=out.stream, envelope=out.envelope,
        flags=tuple(dict.fromkeys(out.flags)), notes=tuple(dict.fromkeys(out.notes)),
        error=err, bytes_in=len(data), bytes_out=n_out, record_flags=b.record_flags,
    )


def _is_text(data: bytes) -> bool:
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start > 65530  # only a character cut at the probe's end
    return True
