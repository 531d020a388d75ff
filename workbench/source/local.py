"""Records from local files, decoded like S3 objects, for `infer FILE…` and `parse --schema S FILE…`.

A file written by `workbench sample` (NDJSON lines `{"bucket","key","line","time","text"}`) is recognised and
unwrapped: its records are the sampled ones, with their original bucket, key and line, so the output of
`sample` feeds `infer` and `parse` directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from workbench.errors import WorkbenchError
from workbench.model import ObjectRef, Record
from workbench.source.decode import decode_object


def unwrap_envelopes(records: list[Record]) -> list[Record]:
    """The sampled records inside `sample` envelopes; records that are not envelopes are kept as they are.

    Only a stream whose first non-blank record is an envelope is unwrapped, so ordinary JSON logs that
    happen to have a `text` field are never mistaken for one."""
    first = next((r for r in records if r.text.strip()), None)
    if first is None or not _envelope(first.text):
        return records
    out = []
    for r in records:
        inner = _envelope(r.text)
        out.append(inner if inner is not None else r)
    return out


def _envelope(text: str) -> Record | None:
    if not text.startswith("{") or '"text"' not in text:
        return None
    try:
        return Record.from_envelope(orjson.loads(text))
    except orjson.JSONDecodeError:
        return None


def read_local_records(files: list[str], outcomes=None) -> list[Record]:
    """Records of local files ('-' is stdin), compression sniffed and envelopes unwrapped, in file order.

    With `outcomes` (a `workbench.events.outcomes.ObjectOutcomes`), how each file decoded is recorded there."""
    records: list[Record] = []
    for name in files:
        if name == "-":
            data = sys.stdin.buffer.read()
        else:
            try:
                data = Path(name).read_bytes()
            except FileNotFoundError:
                raise WorkbenchError(f"{name} does not exist.") from None
            except OSError as e:
                raise WorkbenchError(f"Cannot read {name}: {e.strerror or e.__class__.__name__}.") from None
        decoded = decode_object(data, ObjectRef(bucket="", key=name if name != "-" else "stdin", size=len(data)))
        if decoded.error:
            raise WorkbenchError(f"Cannot decode {name}: {decoded.error}")
        if outcomes is not None:
            outcomes.add_decoded(name, decoded)
        records.extend(unwrap_envelopes(decoded.records))
    return records
