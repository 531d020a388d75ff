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

from dataclasses import dataclass, field

from workbench.files import human_size
from workbench.model import ObjectRef, Record
from workbench.source.compression import (
    DEFAULT_LIMITS,
    DecodeLimits,
    MiB,
    decompress,
    expected_compression,
    sniff_compression,
)
from workbench.source.json_streams import (
    decode_json_document,
    decode_json_lines,
    decode_json_stream,
    first_line_is_not_a_value,
)
from workbench.source.lines import split_lines as split_lines  # re-exported: decoding's line splitter
from workbench.source.lines import utf8_text
from workbench.source.partitions import object_time
from workbench.source.record_builder import DecodeOutcome, RecordBuilder, json_text

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


def _decode_text(b: RecordBuilder, raw: bytes, stream: str, limits: DecodeLimits, partial: bool, out: DecodeOutcome) -> None:
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
        if stream == "json_array" or first == b"[" or first_line_is_not_a_value(raw):
            text, bad = utf8_text(raw)
            if bad:
                out.flags.append("invalid_utf8")
            if decode_json_document(b, text, stream, partial, out):
                return
        if stream != "json_array":
            if decode_json_lines(b, raw, limits, partial, out, check=stream != "json"):
                return
            if text is None:
                text, bad = utf8_text(raw)
                if bad:
                    out.flags.append("invalid_utf8")
            if decode_json_stream(b, text, out):
                return
    if stream in ("json", "json_array", "cloudwatch_logs"):
        out.flags.append("not_json")
        out.notes.append(f"The object does not match stream type {stream}; it was read as lines.")
    _decode_lines(b, raw, limits, partial, out)


def _decode_lines(b: RecordBuilder, raw: bytes, limits: DecodeLimits, partial: bool, out: DecodeOutcome) -> None:
    out.stream = "lines"
    b.add_lines(b.lines_of(raw, limits, partial))


def _decode_parquet(b: RecordBuilder, data: bytes, limits: DecodeLimits, out: DecodeOutcome) -> str | None:
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
        b.add(i, json_text(row))
    return None


def decode_object(data: bytes, ref: ObjectRef, *, stream: str = "auto", limits: DecodeLimits | None = None) -> Decoded:
    """Decode one object's bytes into records with provenance (bucket, key, line, offset, object time).

    `data` may be the first part of a larger object (a ranged read): when ``ref.size`` says the object is
    longer, the cut-off last record is dropped and the object flagged ``object_truncated``.
    """
    limits = limits or DEFAULT_LIMITS
    stream = normal_stream(stream)
    b = RecordBuilder(ref, object_time(ref.key, ref.last_modified), limits.max_records)
    out = DecodeOutcome(stream="lines")
    if not data:
        return Decoded([], stream="empty", flags=("empty",), notes=("The object is empty.",), bytes_in=0)
    partial = 0 <= len(data) < ref.size
    if partial:
        out.flags.append("object_truncated")
        out.notes.append(f"Read the first {human_size(len(data))} of {human_size(ref.size)}; the rest of the object was skipped.")
    kind = sniff_compression(data)
    expected = expected_compression(ref.key)
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


def _finish(b: RecordBuilder, out: DecodeOutcome, kind: str, data: bytes, n_out: int, err: str | None) -> Decoded:
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
