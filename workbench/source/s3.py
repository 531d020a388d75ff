"""Read a bucket: list (date-partition aware), pick a stratified sample, fetch objects concurrently.

* `list_objects` walks folders with ``Delimiter="/"`` (several at once) when a time window is given and
  skips every date partition outside it (see `workbench.source.partitions`), so ``--since 2d`` on two years of
  history costs a few dozen list calls, not a full listing. A prefix small enough to list in a few pages
  is listed flat and filtered instead (cheaper than walking). Without a window: one flat paginated listing.
* `stratified_sample` spreads N objects (or N bytes) over every level of the key hierarchy — log type,
  account, region, day — instead of taking the first keys; the same seed gives the same sample.
* `fetch_objects` GETs on a thread pool sharing one client; objects larger than the per-object read cap are
  read with a ranged GET (the decoder drops the cut-off last record). Each failure is a `FetchFailure`
  value; nothing one object does stops the others. One GET is `s3get.fetch_one` (presigned on the client's
  own HTTP session, `get_object` when that does not answer cleanly).

Decoding is not done here (see `workbench.source.decode`).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, zip_longest
from typing import Any, TypeVar

from workbench.aws import explain_aws_error
from workbench.config import Source
from workbench.model import FetchFailure, ObjectRef
from workbench.source.partitions import folder_span, in_window
from workbench.source.s3get import DEFAULT_READ, fetch_one

__all__ = ["DEFAULT_READ", "ListStats", "fetch_objects", "fetch_one", "list_for_sampling", "list_objects",
           "map_objects", "stratified_sample"]

T = TypeVar("T")
MAX_WALK_DEPTH = 10  # below this many folders a windowed listing stops walking and lists flat
MAX_WALK_CALLS = 500  # delimiter listings per walk before the rest of the tree is listed flat
LIST_WORKERS = 8  # folders listed at once during a windowed walk
PROBE_PAGES = 3  # a windowed listing first lists this many flat pages; if that is everything, no walk
SAMPLE_LIST_BUDGET = 200  # list calls a sample may spend on a bucket too large to list whole


@dataclass
class ListStats:
    """Counters for one listing; pass one to `list_objects` to see what a window saved."""

    list_calls: int = 0
    keys_seen: int = 0  # keys returned by S3 (before the window filter)
    listed: int = 0  # objects yielded (inside the window)
    pruned_prefixes: int = 0  # date folders skipped without listing
    prefixes: list[str] = field(default_factory=list)  # the prefix of every list call, in order

    def to_json(self) -> dict:
        return {"list_calls": self.list_calls, "keys_seen": self.keys_seen, "listed": self.listed,
                "pruned_prefixes": self.pruned_prefixes}


_STATS_LOCK = threading.Lock()  # listing threads share one counter object


def _bump(stats: Any, name: str, n: int = 1) -> None:
    if stats is None:
        return
    with _STATS_LOCK:
        _bump_locked(stats, name, n)


def _bump_locked(stats: Any, name: str, n: int) -> None:
    if isinstance(stats, dict):
        stats[name] = stats.get(name, 0) + n
    else:
        setattr(stats, name, getattr(stats, name, 0) + n)


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def _ref(bucket: str, item: dict) -> ObjectRef:
    etag = item.get("ETag")
    return ObjectRef(bucket, item["Key"], int(item.get("Size", -1)), _aware(item.get("LastModified")),
                     etag.strip('"') if isinstance(etag, str) else None)


class _Lister:
    """One listing run: the client, the window and the counters."""

    def __init__(self, client, bucket: str, since: datetime | None, until: datetime | None, stats: Any,
                 cancel: threading.Event | None = None):
        self.client = client
        self.bucket = bucket
        self.since = since
        self.until = until
        self.stats = stats
        self.cancel = cancel  # set: no further list calls (what was listed so far is kept)
        self.walk_calls = 0

    def _pages(self, prefix: str, delimiter: str | None, max_pages: int | None = None,
               max_keys: int | None = None) -> Iterator[dict]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        if max_keys:
            kwargs["MaxKeys"] = max_keys
        pages = 0
        while (max_pages is None or pages < max_pages) and not (self.cancel and self.cancel.is_set()):
            pages += 1
            try:
                page = self.client.list_objects_v2(**kwargs)
            except Exception as e:  # every AWS failure becomes one sentence naming list vs get
                raise explain_aws_error(e, f"list s3://{self.bucket}/{prefix}") from None
            _bump(self.stats, "list_calls")
            if isinstance(self.stats, ListStats):
                self.stats.prefixes.append(prefix)
            yield page
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            kwargs["ContinuationToken"] = token

    def _objects(self, page: dict) -> Iterator[ObjectRef]:
        for item in page.get("Contents") or ():
            _bump(self.stats, "keys_seen")
            key = item["Key"]
            if key.endswith("/"):
                continue  # a "folder" placeholder, not data
            ref = _ref(self.bucket, item)
            if in_window(key, ref.last_modified, self.since, self.until):
                _bump(self.stats, "listed")
                yield ref

    def _delimiter_blind(self, prefix: str) -> bool:
        """A "/"-delimited listing of `prefix` came back with neither objects nor folders: true if a flat
        listing still finds a key there. Real S3 never does that, but some S3-compatible servers (s3rver's
        filesystem store) leave out folders whose objects sit two or more levels down; such a prefix is
        listed flat rather than silently reported empty. Costs one 1-key call, and only for empty pages."""
        page = next(self._pages(prefix, None, max_pages=1, max_keys=1), {})
        return bool(page.get("Contents"))

    def windowed(self, prefix: str, probe_pages: int) -> Iterator[ObjectRef]:
        """Probe a few flat pages; a prefix that small is cheaper to filter than to walk."""
        if probe_pages > 0:
            pages: list[dict] = []
            for page in self._pages(prefix, None):
                pages.append(page)
                if len(pages) >= probe_pages:
                    break
            if pages and not pages[-1].get("IsTruncated"):
                for page in pages:
                    yield from self._objects(page)
                return
        yield from self.walk(prefix)

    def flat(self, prefix: str) -> Iterator[ObjectRef]:
        for page in self._pages(prefix, None):
            yield from self._objects(page)

    def walk(self, prefix: str) -> Iterator[ObjectRef]:
        """Walk the folder tree from `prefix`, listing folders concurrently (each level is one round trip
        per folder, so on real S3 latency, not S3, would set the pace), skipping date folders outside the
        window and listing flat below a day."""
        with ThreadPoolExecutor(max_workers=LIST_WORKERS, thread_name_prefix="s3-list") as pool:
            pending = {pool.submit(self._walk_one, prefix, 0)}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    refs, children = fut.result()
                    yield from refs
                    pending |= {pool.submit(self._walk_one, child, depth) for child, depth in children}

    def _span_state(self, child: str) -> str:
        """"walk" (no date, or partly in the window), "flat" (inside, or a day or finer), or "skip"."""
        span = folder_span(child.rstrip("/").split("/"))
        if span is None:
            return "walk"
        start, end = span
        if (self.since is not None and end <= self.since) or (self.until is not None and start >= self.until):
            return "skip"
        inside = (self.since is None or start >= self.since) and (self.until is None or end <= self.until)
        return "flat" if inside or (end - start).total_seconds() <= 86400 else "walk"

    def budgeted(self, prefix: str, budget: int, seed: int) -> Iterator[ObjectRef]:
        """A bounded, evenly spread walk for buckets too large to list: at most `budget` list calls, each one
        page. A folder given budget b lists its children and hands b-1 calls to up to b-1 of them, chosen
        evenly across the sorted children (so across days, accounts, …); a folder with budget 1 contributes
        one flat page of its objects."""
        with ThreadPoolExecutor(max_workers=LIST_WORKERS, thread_name_prefix="s3-list") as pool:
            pending = {pool.submit(self._budget_one, prefix, budget, seed)}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    refs, children = fut.result()
                    yield from refs
                    pending |= {pool.submit(self._budget_one, c, b, seed) for c, b in children}

    def _budget_one(self, prefix: str, budget: int, seed: int) -> tuple[list[ObjectRef], list[tuple[str, int]]]:
        if budget <= 1:
            page = next(self._pages(prefix, None, max_pages=1), {})
            return list(self._objects(page)), []
        page = next(self._pages(prefix, "/", max_pages=1), {})
        if not page.get("Contents") and not page.get("CommonPrefixes") and self._delimiter_blind(prefix):
            return self._budget_one(prefix, 1, seed)
        refs = list(self._objects(page))
        children = []
        for cp in page.get("CommonPrefixes") or ():
            state = self._span_state(cp["Prefix"])
            if state == "skip":
                _bump(self.stats, "pruned_prefixes")
            else:
                children.append(cp["Prefix"])
        if not children:
            return refs, []
        k = min(len(children), budget - 1)
        offset = random.Random(f"{seed}\x00{prefix}").random()
        chosen = sorted({children[int((i + offset) * len(children) / k)] for i in range(k)})
        share, extra = divmod(budget - 1, len(chosen))
        return refs, [(c, share + (1 if i < extra else 0)) for i, c in enumerate(chosen)]

    def _walk_one(self, prefix: str, depth: int) -> tuple[list[ObjectRef], list[tuple[str, int]]]:
        """List one folder: its objects, and the child folders still worth walking (depth -1 = list flat)."""
        if depth < 0 or depth >= MAX_WALK_DEPTH or self.walk_calls >= MAX_WALK_CALLS:
            return [r for page in self._pages(prefix, None) for r in self._objects(page)], []
        refs: list[ObjectRef] = []
        children: list[tuple[str, int]] = []
        answered = False  # did any page hold an object or a folder (pruned ones included)
        for page in self._pages(prefix, "/"):
            self.walk_calls += 1
            answered = answered or bool(page.get("Contents") or page.get("CommonPrefixes"))
            refs += self._objects(page)
            for cp in page.get("CommonPrefixes") or ():
                child = cp["Prefix"]
                state = self._span_state(child)
                if state == "skip":
                    _bump(self.stats, "pruned_prefixes")
                else:
                    # nothing finer to prune below a day (or the whole folder is wanted): one flat listing
                    children.append((child, -1 if state == "flat" else depth + 1))
        if not answered and self._delimiter_blind(prefix):
            return self._walk_one(prefix, -1)
        return refs, children


def list_objects(aws, source: Source, prefix: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, stats: Any = None, *, probe_pages: int = PROBE_PAGES) -> Iterator[ObjectRef]:
    """Objects under `prefix` (default: the whole bucket) whose data falls in [since, until).

    An object's time is its key's date partition when it has one, else LastModified. With a window, date
    folders outside it are never listed. A small prefix (at most `probe_pages` pages of 1,000 keys) is listed
    flat and filtered, since walking its folders would cost more calls than it saves. `stats` (a
    `ListStats`, a dict, or any object) counts list calls.
    Listing failures raise one-sentence `WorkbenchError`s (access denied on list, no such bucket, …).
    """
    since, until = _aware(since), _aware(until)
    lister = _Lister(aws.client("s3"), source.bucket, since, until, stats)
    if since is None and until is None:
        return lister.flat(prefix or "")
    return lister.windowed(prefix or "", probe_pages)


def list_for_sampling(aws, source: Source, prefix: str | None = None, since: datetime | None = None,
                      until: datetime | None = None, stats: Any = None, *, budget: int = SAMPLE_LIST_BUDGET,
                      seed: int = 0, probe_pages: int = PROBE_PAGES,
                      cancel: threading.Event | None = None) -> tuple[list[ObjectRef], bool]:
    """The population a sample is drawn from, and whether it is the complete listing.

    A prefix that lists in `probe_pages` pages (or any windowed listing) is listed completely. A bigger one
    without a window gets a bounded walk (`budget` list calls spread evenly over the folder tree, see
    `_Lister.budgeted`), so sampling a bucket of millions of keys stays a few seconds, not a full listing.
    """
    since, until = _aware(since), _aware(until)
    lister = _Lister(aws.client("s3"), source.bucket, since, until, stats, cancel)
    if since is not None or until is not None:
        return list(lister.windowed(prefix or "", probe_pages)), True
    pages: list[dict] = []
    if probe_pages > 0:
        for page in lister._pages(prefix or "", None):
            pages.append(page)
            if len(pages) >= probe_pages:
                break
        if pages and not pages[-1].get("IsTruncated"):
            return [r for page in pages for r in lister._objects(page)], True
    return list(lister.budgeted(prefix or "", budget, seed)), False


# ---------------------------------------------------------------------------------------------------------
# Stratified sampling


def _interleave(groups: list[list[ObjectRef]]) -> list[ObjectRef]:
    """Round-robin over already-ordered groups: one from each, then the next from each, …"""
    if len(groups) == 1:
        return groups[0]
    return [x for x in chain.from_iterable(zip_longest(*groups)) if x is not None]


def _spread(refs: list[ObjectRef], depth: int, path: str, seed: int, turn: int) -> list[ObjectRef]:
    """Order `refs` so that every prefix of the result is spread evenly over the folders below `path`.

    Siblings are visited round-robin; each child starts its own round-robin `turn` places further on, so
    consecutive days start with different accounts (balanced across levels, not only within each one).
    Files inside one folder are shuffled with the seed.
    """
    by_child: dict[str, list[ObjectRef]] = {}
    leaves: list[ObjectRef] = []
    for r in refs:
        parts = r.key.split("/")
        if len(parts) - 1 > depth:
            by_child.setdefault(parts[depth], []).append(r)
        else:
            leaves.append(r)
    random.Random(f"{seed}\x00{path}").shuffle(leaves)
    names = sorted(by_child)
    if names:
        k = turn % len(names)
        names = names[k:] + names[:k]
    groups = [_spread(by_child[n], depth + 1, f"{path}/{n}", seed, turn + i) for i, n in enumerate(names)]
    if leaves:
        groups.append(leaves)
    return _interleave(groups)


def stratified_sample(refs: Iterable[ObjectRef], limit: int | None = None, max_bytes: int | None = None,
                      seed: int = 0, read_cap: int = DEFAULT_READ) -> list[ObjectRef]:
    """Pick objects spread evenly over every level of the key hierarchy (prefixes, event types, accounts,
    regions, days), deterministic for a given `seed` whatever order `refs` come in.

    Stops at `limit` objects or once the bytes to read (each object counted up to `read_cap`) reach
    `max_bytes`; with neither, returns every object in stratified order. At least one object is returned
    when there is one.
    """
    unique = sorted(set(refs), key=lambda r: r.key)
    ordered = _spread(unique, 0, "", seed, random.Random(seed).randrange(1 << 16))
    if limit is None and max_bytes is None:
        return ordered
    out: list[ObjectRef] = []
    budget = 0
    for r in ordered:
        if limit is not None and len(out) >= limit:
            break
        cost = min(r.size, read_cap) if r.size >= 0 else read_cap
        if max_bytes is not None and out and budget + cost > max_bytes:
            continue  # too big for what is left; a smaller object further on may still fit
        out.append(r)
        budget += cost
    return out


# ---------------------------------------------------------------------------------------------------------
# Concurrent fetches


# Concurrent GETs of a sample. 32 round trips in flight hide real S3's ~30 ms latency for small objects; 16 left
# the fetch latency-bound (measured: 200 objects behind a 30 ms proxy, 0.67 s with 16 threads, 0.50 s with 32).
# The client's connection pool (aws.MAX_POOL) is as large, so no connection is opened twice.
FETCH_WORKERS = 32


def fetch_objects(aws, refs: Iterable[ObjectRef], *, workers: int = FETCH_WORKERS, max_bytes: int | None = None,
                  progress: Callable[[int, int], object] | None = None,
                  cancel: threading.Event | None = None) -> Iterator[tuple[ObjectRef, bytes | FetchFailure]]:
    """Fetch objects on `workers` threads sharing one client; yields (ref, bytes | FetchFailure) as they
    complete. `max_bytes` is the per-object read cap (default 8 MiB; larger objects get a ranged GET).
    `progress(done, total)` is called after each object; setting `cancel` stops new fetches promptly."""
    client = aws.client("s3")
    yield from map_objects(lambda ref: fetch_one(client, ref, max_bytes), refs, workers=workers,
                           progress=progress, cancel=cancel)


def map_objects(fn: Callable[[ObjectRef], T], refs: Iterable[ObjectRef], *, workers: int = FETCH_WORKERS,
                progress: Callable[[int, int], object] | None = None,
                cancel: threading.Event | None = None) -> Iterator[T]:
    """Run `fn(ref)` (a fetch, or a fetch and its decode) on a thread pool; yield results as they complete.

    At most 2 × `workers` objects are in flight, so memory stays flat and `cancel` takes effect quickly.
    """
    refs = list(refs)
    total = len(refs)
    if not total:
        return
    pending: set[Future] = set()
    it = iter(refs)
    done = 0
    window = max(1, workers) * 2
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="s3-fetch")
    try:
        while True:
            while len(pending) < window and not (cancel and cancel.is_set()):
                ref = next(it, None)
                if ref is None:
                    break
                pending.add(pool.submit(fn, ref))
            if not pending:
                return
            finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            if cancel and cancel.is_set():
                return
            for fut in finished:
                done += 1
                if progress:
                    progress(done, total)
                yield fut.result()
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
