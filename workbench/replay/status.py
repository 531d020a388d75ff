"""What a replay reports: `ReplayProgress` while it runs (for progress bars and screens) and `ReplayResult`
when it ends (finished, cancelled or cut short), with its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.replay.checkpoint import ReplayKey
from workbench.replay.tally import Totals


@dataclass(slots=True)
class ReplayProgress:
    """A snapshot for progress bars and screens; `totals` is the live, partial result (read-only please)."""

    phase: str  # listing | starting | running | done
    objects_done: int = 0
    objects_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    events: int = 0
    elapsed_s: float = 0.0
    events_per_s: float = 0.0
    eta_s: float | None = None
    workers: int = 0
    totals: Totals | None = None
    message: str = ""


@dataclass(slots=True)
class ReplayResult:
    """The end of a replay (finished, cancelled, or cut short): totals plus how the run went."""

    key: ReplayKey
    totals: Totals
    objects_total: int = 0
    bytes_total: int = 0
    tasks_total: int = 0
    resumed_objects: int = 0
    resumed_bytes: int = 0
    resumed_events: int = 0
    elapsed_s: float = 0.0
    run_s: float = 0.0  # time from the first submitted task to the last result (no listing, no start-up)
    workers: int = 0
    scheduler: str = ""
    cancelled: bool = False
    failed_tasks: int = 0
    results_path: Path | None = None
    list_calls: int = 0
    worker_names: set[str] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        return not self.cancelled and self.totals.objects >= self.objects_total

    def to_json(self) -> dict:
        t = self.totals
        return {
            "source": self.key.source,
            "bucket": self.key.bucket,
            "since": self.key.since,
            "until": self.key.until,
            "complete": self.complete,
            "cancelled": self.cancelled,
            "objects": t.objects,
            "objects_total": self.objects_total,
            "bytes": t.bytes,
            "events": t.events,
            "matches": t.matches,
            "parse_errors": t.parse_errors,
            "errors": t.errors,
            "events_outside_window": t.outside_window,
            "object_problems": t.decode.to_json(),
            "error_sample": t.error_samples,
            "rules": t.rules_json(),
            "tasks": self.tasks_total,
            "failed_tasks": self.failed_tasks,
            "resumed_objects": self.resumed_objects,
            "elapsed_s": round(self.elapsed_s, 3),
            "run_s": round(self.run_s, 3),
            "events_per_s": round((t.events - self.resumed_events) / self.run_s, 1) if self.run_s > 0 else None,
            "workers": self.workers,
            "worker_processes": sorted(self.worker_names),  # host:pid of every process that ran a task
            "scheduler": self.scheduler,
            "list_calls": self.list_calls,
            "results_file": str(self.results_path) if self.results_path else None,
        }


def progress_of(phase: str, result: ReplayResult, run_s: float) -> ReplayProgress:
    t = result.totals
    fresh_bytes = t.bytes - result.resumed_bytes  # read by this run (resumed objects took no time now)
    eta = None
    if run_s > 0 and fresh_bytes > 0 and t.bytes < result.bytes_total:
        eta = (result.bytes_total - t.bytes) / (fresh_bytes / run_s)
    return ReplayProgress(phase, objects_done=t.objects, objects_total=result.objects_total, bytes_done=t.bytes,
                          bytes_total=result.bytes_total, events=t.events, elapsed_s=run_s,
                          events_per_s=(t.events - result.resumed_events) / run_s if run_s > 0 else 0.0,
                          eta_s=eta, workers=result.workers, totals=t)
