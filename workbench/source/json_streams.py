"""JSON in an object's bytes: one document (a top-level array, a {"Records": [...]} envelope, a CloudWatch Logs
subscription payload, one pretty-printed value), NDJSON lines, and concatenated or pretty-printed value streams.
A cut-off array keeps every element before the cut. Each function reports False when the text is not that kind
of JSON, so the caller can try the next reading.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson

from workbench.source.compression import DecodeLimits
from workbench.source.record_builder import DecodeOutcome, RecordBuilder, json_text

# Keys of a top-level object that hold the records of an envelope, most specific first.
ENVELOPE_KEYS = ("Records", "records", "logEvents", "events", "Events", "items", "data", "entries")


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


def _cloudwatch_events(b: RecordBuilder, doc: dict, counter: list[int]) -> None:
    if doc.get("messageType") != "DATA_MESSAGE":
        return  # CONTROL_MESSAGE: the service checking the destination, no log data
    for ev in doc.get("logEvents") or []:
        counter[0] += 1
        if not isinstance(ev, dict):
            continue
        msg = ev.get("message")
        ts = ev.get("timestamp")
        when = _epoch_ms(ts)
        b.add(counter[0], msg if isinstance(msg, str) else json_text(msg), 0, (), when)


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


def decode_json_document(b: RecordBuilder, text: str, stream: str, partial: bool, out: DecodeOutcome) -> bool:
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
            b.add(i, v if isinstance(v, str) and stream == "json_array" else json_text(v))
        return True
    if _is_cloudwatch(doc):
        out.stream = "cloudwatch_logs"
        _cloudwatch_events(b, doc, [0])
        return True
    env = _envelope_key(doc)
    if env is not None and (stream == "json_array" or env == "Records" or len(doc) <= 3):
        out.stream, out.envelope = "json_array", env
        for i, v in enumerate(doc[env], 1):
            b.add(i, json_text(v))
        return True
    if stream == "json_array":
        return False
    body = text.strip()
    if "\n" not in body:
        return False  # one object on one line: NDJSON with a single line, read as lines (with line flags)
    out.stream = "json"
    b.add(1, body)
    return True


def _salvage_partial_document(b: RecordBuilder, text: str, out: DecodeOutcome) -> bool:
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
        b.add(n, json_text(value))
    return n > 0


def first_line_is_not_a_value(raw: bytes) -> bool:
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


def decode_json_lines(b: RecordBuilder, raw: bytes, limits: DecodeLimits, partial: bool, out: DecodeOutcome, check: bool) -> bool:
    """NDJSON: one value per line. With `check`, only when the first lines parse (else it is a JSON stream)."""
    lines = b.lines_of(raw, limits, partial)
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


def decode_json_stream(b: RecordBuilder, text: str, out: DecodeOutcome) -> bool:
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
                b.add(line, json_text(v), offset)
            continue
        b.add(line, piece.strip(), offset)
    return True
