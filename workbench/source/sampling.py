"""Sample a source's history: list (windowed), pick a stratified sample, fetch and decode, keep provenance.

`sample()` is the one call behind `workbench sample`, `workbench detect` and the TUI's sample screen.
`iter_object_records()` is the building block the parse pipeline and replay use on their own object lists.
Per-object failures (AWS errors, undecodable data) come back as `FetchFailure` values and are counted;
only a failure to list at all raises (one-sentence `WorkbenchError`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from workbench.config import Source
from workbench.model import FetchFailure, ObjectRef, Record
from workbench.source.decode import Decoded, DecodeLimits, decode_object, normal_stream
from workbench.source.s3 import (
    DEFAULT_READ,
    FETCH_WORKERS,
    SAMPLE_LIST_BUDGET,
    ListStats,
    fetch_one,
    list_for_sampling,
    map_objects,
    stratified_sample,
)

DEFAULT_LIMIT = 100  # objects, when neither --limit nor --bytes is given
MAX_FETCH_WORKERS = 128  # concurrent GETs for a sample of small objects
IN_FLIGHT_BYTES = FETCH_WORKERS * DEFAULT_READ  # what 32 GETs at the read cap could hold: the ceiling for any sample


def fetch_workers(refs: list[ObjectRef], read_cap: int = DEFAULT_READ) -> int:
    """Concurrent GETs for these objects. A GET of a small object is almost all round trip, so more of them
    at once is what makes a sample fast (measured: 200 objects of ~17 KB behind a 30 ms proxy, 32 → 128
    workers took 0.48 → 0.37 s); but each holds its object in memory, so the count is capped to keep the
    bytes in flight under what 32 GETs at the read cap could hold. Sized by the upper quartile, so a few
    large objects among small ones do not hold the rest back, and a sample of large ones stays at 32."""
    if not refs:
        return FETCH_WORKERS
    sizes = sorted(min(r.size, read_cap) if r.size >= 0 else read_cap for r in refs)
    typical = max(sizes[(len(sizes) * 3) // 4], 1)
    return max(FETCH_WORKERS, min(MAX_FETCH_WORKERS, IN_FLIGHT_BYTES // typical, len(refs)))


@dataclass(frozen=True, slots=True)
class ObjectSummary:
    """How one sampled object decoded: what the detector and the TUI show beside its records."""

    ref: ObjectRef
    compression: str
    stream: str
    envelope: str | None
    records: int
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    record_flags: dict = field(default_factory=dict, compare=False)  # flag -> records carrying it

    def to_json(self) -> dict:
        return {"key": self.ref.key, "size": self.ref.size, "compression": self.compression, "stream": self.stream,
                "envelope": self.envelope, "records": self.records, "flags": list(self.flags), "notes": list(self.notes)}


@dataclass(slots=True)
class SampleResult:
    """A sample: the objects picked, their records in sample order, failures, and what listing cost."""

    objects: list[ObjectRef] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    failures: list[FetchFailure] = field(default_factory=list)
    list_calls: int = 0
    listed: int = 0  # objects in the window (the population the sample was drawn from)
    complete_listing: bool = True  # False: the bucket was too large, `listed` came from a bounded walk
    summaries: dict[str, ObjectSummary] = field(default_factory=dict)  # key -> how it decoded
    bytes_read: int = 0
    cancelled: bool = False
    elapsed: float = 0.0

    def flagged(self) -> list[ObjectSummary]:
        return [s for s in self.summaries.values() if s.flags]


def _decode_failure(ref: ObjectRef, decoded: Decoded) -> FetchFailure:
    return FetchFailure(ref, f"Cannot decode {ref.uri}: {decoded.error}")


def iter_decoded(aws, refs: Iterable[ObjectRef], *, stream: str = "auto", limits: DecodeLimits | None = None,
                 workers: int = FETCH_WORKERS, max_bytes: int | None = None, progress: Callable[[int, int], object] | None = None,
                 cancel: threading.Event | None = None,
                 on_object: Callable[[ObjectRef, list[Record]], None] | None = None,
                 ) -> Iterator[tuple[ObjectRef, Decoded | FetchFailure, int]]:
    """Fetch and decode; yields (ref, Decoded | FetchFailure, bytes read) in completion order.

    Each object is decoded on the fetch thread that read it: decompression releases the GIL, so it overlaps
    with other fetches instead of queueing behind the consumer. `on_object(ref, records)` runs there too,
    for each object that decoded, before it is yielded (an exception from it propagates to the caller).
    """
    stream = normal_stream(stream)
    client = aws.client("s3")

    def one(ref: ObjectRef) -> tuple[ObjectRef, Decoded | FetchFailure, int]:
        ref, got = fetch_one(client, ref, max_bytes)
        if isinstance(got, FetchFailure):
            return ref, got, 0
        try:
            decoded = decode_object(got, ref, stream=stream, limits=limits)
        except Exception as e:  # a decoder bug on one hostile object must not stop the sample: count it
            return ref, FetchFailure(ref, f"Cannot decode {ref.uri}: unexpected {type(e).__name__}: {str(e)[:200]}"), len(got)
        if decoded.error:
            return ref, _decode_failure(ref, decoded), len(got)
        if on_object is not None:
            on_object(ref, decoded.records)
        return ref, decoded, len(got)

    yield from map_objects(one, refs, workers=workers, progress=progress, cancel=cancel)


def iter_object_records(aws, refs: Iterable[ObjectRef], **kw) -> Iterator[tuple[ObjectRef, list[Record] | FetchFailure]]:
    """(ref, records | FetchFailure) per object, in completion order. Keywords as `iter_decoded`
    (stream, limits, workers, max_bytes, progress, cancel)."""
    for ref, got, _n in iter_decoded(aws, refs, **kw):
        yield ref, (got if isinstance(got, FetchFailure) else got.records)


def sample(aws, source: Source, prefix: str | None = None, since: datetime | None = None, until: datetime | None = None,
           limit: int | None = None, max_bytes: int | None = None, seed: int = 0,
           progress: Callable[[int, int], object] | None = None, cancel: threading.Event | None = None, *,
           stream: str | None = None, limits: DecodeLimits | None = None, workers: int | None = None,
           read_cap: int = DEFAULT_READ,
           on_object: Callable[[ObjectRef, list[Record]], None] | None = None) -> SampleResult:
    """List `source` (under `prefix`, inside [since, until)), pick a stratified sample of `limit` objects
    (or `max_bytes` bytes; default 100 objects), fetch and decode it.

    A bucket too large to list in a few pages (and no window) is sampled from a bounded walk that spends at
    most max(200, 2 × limit) list calls spread over its folders (`result.complete_listing` is then False).

    Records come back in sample order, each with its provenance. A cancelled sample returns what it had.
    `on_object(ref, records)` is called on the fetch thread as each object decodes (in completion order, from
    several threads at once): work per object done there, such as serialising it, overlaps the network wait.
    `workers` concurrent GETs; by default as many as `fetch_workers` finds the objects' sizes allow.
    """
    started = time.monotonic()
    stream = normal_stream(stream or source.stream or "auto")  # a typo fails before any listing
    stats = ListStats()
    if limit is None and max_bytes is None:
        limit = DEFAULT_LIMIT
    budget = max(SAMPLE_LIST_BUDGET, 2 * (limit or 0))
    refs, complete = list_for_sampling(aws, source, prefix=prefix, since=since, until=until, stats=stats,
                                       budget=budget, seed=seed, cancel=cancel)
    picked = stratified_sample(refs, limit=limit, max_bytes=max_bytes, seed=seed, read_cap=read_cap)
    result = SampleResult(objects=picked, list_calls=stats.list_calls, listed=stats.listed, complete_listing=complete)
    by_key: dict[str, list[Record]] = {}
    workers = workers or fetch_workers(picked, read_cap)
    for ref, got, n in iter_decoded(aws, picked, stream=stream, limits=limits,
                                    workers=workers, max_bytes=read_cap, progress=progress, cancel=cancel,
                                    on_object=on_object):
        result.bytes_read += n
        if isinstance(got, FetchFailure):
            result.failures.append(got)
            continue
        by_key[ref.key] = got.records
        result.summaries[ref.key] = ObjectSummary(ref, got.compression, got.stream, got.envelope, len(got.records),
                                                  got.flags, got.notes, got.record_flags)
    result.cancelled = bool(cancel is not None and cancel.is_set())
    for ref in picked:  # sample order, so the same seed writes the same output
        result.records.extend(by_key.get(ref.key, ()))
    order = {r.key: i for i, r in enumerate(picked)}
    result.failures.sort(key=lambda f: order.get(f.ref.key, 0))
    result.elapsed = time.monotonic() - started
    return result
