"""What a replay will read: the objects in a time range (listed by date partition) cut into tasks of
similar byte size.

Listing goes through `workbench.source.s3.list_objects` with the window, so only the date folders that overlap it
are listed, never the whole bucket. When the source maps prefixes to log types, only those prefixes are
listed: objects outside them have no schema to parse with.

A window with an end is exact and repeatable: an object written (LastModified) at or after `until` is left out
unless its date partition ends by `until` (a late copy of past data), so objects that keep arriving in the
current partition never change what a replay with the same `--until` reads; and events whose time falls
outside the window are not run (`in_window_events`, in the task).

Tasks are contiguous runs of keys (so one task reads one day of one log type where it can) closed before
they pass the target size. Similar sizes keep every worker busy until the end; a target well below
`total / workers` leaves enough tasks for Dask to rebalance and for partial results to show early.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from workbench.config import Source
from workbench.model import ObjectRef
from workbench.source.partitions import key_time
from workbench.source.s3 import ListStats, list_objects

MiB = 1024 * 1024
# Below this a task's fixed cost (scheduling, its spec and result crossing to and from a worker, ~4 ms of
# CPU in the client and scheduler alone) is a visible share of the task: 256 KiB tasks of the demo history
# cost ~4 % more CPU per event than tasks four times as big (BENCHMARKS.md, "Peers").
MIN_TASK_BYTES = 1024 * 1024
MAX_TASK_BYTES = 64 * MiB  # above this one task holds a worker too long and a lost worker costs too much
TASKS_PER_WORKER = 16  # aim for this many tasks per worker: the last one to finish leaves others idle briefly


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work a Dask worker runs: a few objects, listed in key order."""

    task_id: int
    refs: tuple[ObjectRef, ...]

    @property
    def bytes(self) -> int:
        return sum(max(r.size, 0) for r in self.refs)


def list_window(aws, source: Source, since: datetime | None, until: datetime | None, *,
                stats: ListStats | None = None, on_listed: Callable[[int], None] | None = None) -> list[ObjectRef]:
    """Every object of `source` whose data falls in [since, until), in key order, without duplicates.

    Lists each configured prefix separately (nested prefixes are listed once); with none, the whole bucket.
    `on_listed(n)` reports the running count, for a progress line while a large window is listed.
    """
    prefixes = _outer_prefixes(m.prefix for m in source.prefixes) or [""]
    seen: dict[str, ObjectRef] = {}
    for prefix in prefixes:
        for ref in list_objects(aws, source, prefix=prefix or None, since=since, until=until, stats=stats):
            if not written_in_window(ref, until):
                continue
            seen[ref.key] = ref
            if on_listed is not None and len(seen) % 500 == 0:
                on_listed(len(seen))
    return [seen[k] for k in sorted(seen)]


def written_in_window(ref: ObjectRef, until: datetime | None) -> bool:
    """False for an object written at or after `until` that may hold data from after it: one without a date
    partition, or in a partition that reaches past `until` (today's, while new objects keep arriving)."""
    if until is None or ref.last_modified is None:
        return True
    lm = ref.last_modified if ref.last_modified.tzinfo else ref.last_modified.replace(tzinfo=UTC)
    until = until if until.tzinfo else until.replace(tzinfo=UTC)
    if lm < until:
        return True
    kt = key_time(ref.key)
    return kt is not None and kt.end <= until


def _outer_prefixes(prefixes: Iterable[str]) -> list[str]:
    """Drop prefixes nested in another one (listing `a/` already lists `a/b/`); '' means the whole bucket."""
    out: list[str] = []
    for p in sorted(set(prefixes)):
        if p == "":
            return [""]
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return out


def task_target_bytes(total_bytes: int, workers: int, *, override: int | None = None) -> int:
    """Bytes per task: `override` when the config sets one, else enough tasks per worker, within bounds."""
    if override:
        return max(1, override)
    want = total_bytes // max(1, workers * TASKS_PER_WORKER)
    return max(MIN_TASK_BYTES, min(MAX_TASK_BYTES, want))


def group_tasks(refs: Iterable[ObjectRef], target_bytes: int, *, max_objects: int = 1000) -> list[Task]:
    """Cut `refs` (kept in their order) into tasks of at most about `target_bytes` each.

    A task closes when the next object would take it past the target, or at `max_objects` (many tiny objects
    still make bounded tasks); an object larger than the target is a task of its own. Unknown sizes count
    as the target / 4.
    """
    tasks: list[Task] = []
    current: list[ObjectRef] = []
    size = 0
    for ref in refs:
        n = ref.size if ref.size >= 0 else target_bytes // 4
        if current and (size + n > target_bytes or len(current) >= max_objects):
            tasks.append(Task(len(tasks), tuple(current)))
            current, size = [], 0
        current.append(ref)
        size += n
    if current:
        tasks.append(Task(len(tasks), tuple(current)))
    return tasks
