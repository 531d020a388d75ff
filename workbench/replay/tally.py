"""Replay results as mergeable data: what one task found, and the running totals of a whole replay.

Counting and alert grouping are the detections package's `AlertGrouper` (Panther's dedup by rule and dedup
string within `DedupPeriodMinutes`, alerts at `Threshold`), which merges partial results exactly: windows
are cut only when the summary is asked for, after every match is in. Around it this module adds what a
replay needs: per-object outcomes, a bounded sample of alerts and errors per rule, and a JSON form for the
results file. Everything merges by addition, union or a bounded sorted list, so the order in which tasks
finish never changes the totals: a resumed replay, or one whose worker died and whose tasks ran again
elsewhere, ends with the same numbers.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workbench.detections.grouping import AlertGrouper, RuleCounts
from workbench.events.outcomes import ObjectOutcomes

SAMPLE_ALERTS = 5  # alerts kept per rule (the earliest by event time), for the drill-down
SAMPLE_ERRORS = 5  # error messages kept per rule and per replay


# -- AlertGrouper <-> JSON (the results file) ------------------------------------------------------------------

def grouper_to_json(g: AlertGrouper) -> dict:
    return {
        "settings": {rid: list(s) for rid, s in g.settings.items()},
        "counts": {rid: [c.events, c.matches, c.errors] for rid, c in g.counts.items()},
        "matches": [[rid, dedup, [list(m) for m in items]] for (rid, dedup), items in g.matches.items()],
    }


def grouper_from_json(raw: dict) -> AlertGrouper:
    g = AlertGrouper({rid: (int(p), int(t)) for rid, (p, t) in (raw.get("settings") or {}).items()})
    for rid, (events, matches, errors) in (raw.get("counts") or {}).items():
        g.counts[rid] = RuleCounts(int(events), int(matches), int(errors))
    for rid, dedup, items in raw.get("matches") or []:
        g.matches[(rid, dedup)] = [(float(t), title, severity) for t, title, severity in items]
    return g


# -- samples -------------------------------------------------------------------------------------------------

def sample_order(sample: dict) -> tuple:
    return (sample.get("time") or "", sample.get("key") or "", sample.get("index") or 0)


def keep_earliest(into: list[dict], new: list[dict], limit: int) -> None:
    """Keep the `limit` earliest samples (by event time, key, position): the same whatever the merge order."""
    if new:
        into[:] = heapq.nsmallest(limit, [*into, *new], key=sample_order)


def add_message(into: list[str], message: str, limit: int = SAMPLE_ERRORS) -> None:
    if len(into) < limit and message not in into:
        into.append(message)


@dataclass(slots=True)
class RuleSamples:
    """What the drill-down shows for one rule: the earliest alerts and the first distinct errors."""

    alerts: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def merge(self, other: RuleSamples, limit: int) -> None:
        keep_earliest(self.alerts, other.alerts, limit)
        for m in other.errors:
            add_message(self.errors, m)

    def to_json(self) -> dict:
        return {"alerts": self.alerts, "errors": self.errors}

    @classmethod
    def from_json(cls, raw: dict) -> RuleSamples:
        return cls(list(raw.get("alerts") or []), list(raw.get("errors") or []))


# -- one task ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ObjectOutcome:
    """How one object went: counted in the totals and written to the results file as finished."""

    key: str
    etag: str | None
    size: int
    events: int = 0
    parse_errors: int = 0
    error: str | None = None  # the object could not be read or decoded at all
    outside_window: int = 0  # events parsed but not run: their event time is outside the replay's window
    decode: dict | None = None  # how it decoded when not cleanly (`ObjectOutcomes.to_json`, non-empty parts)

    def to_json(self) -> dict:
        out: dict[str, Any] = {"key": self.key, "etag": self.etag, "size": self.size, "events": self.events,
                               "parse_errors": self.parse_errors}
        if self.error:
            out["error"] = self.error
        if self.outside_window:
            out["outside_window"] = self.outside_window
        if self.decode:
            out["decode"] = self.decode
        return out

    @classmethod
    def from_json(cls, raw: dict) -> ObjectOutcome:
        return cls(raw["key"], raw.get("etag"), int(raw.get("size", 0)), int(raw.get("events", 0)),
                   int(raw.get("parse_errors", 0)), raw.get("error"), int(raw.get("outside_window", 0)),
                   raw.get("decode"))


@dataclass(slots=True)
class TaskResult:
    """What one task returns from a worker. Plain, picklable data: counts and samples, no raw objects."""

    task_id: int
    objects: list[ObjectOutcome] = field(default_factory=list)
    grouper: AlertGrouper = field(default_factory=AlertGrouper)
    samples: dict[str, RuleSamples] = field(default_factory=dict)
    elapsed_s: float = 0.0
    worker: str = ""

    def to_json(self) -> dict:
        return {
            "task": self.task_id,
            "objects": [o.to_json() for o in self.objects],
            "grouper": grouper_to_json(self.grouper),
            "samples": {rid: s.to_json() for rid, s in self.samples.items()},
            "elapsed_s": round(self.elapsed_s, 4),
            "worker": self.worker,
        }

    @classmethod
    def from_json(cls, raw: dict) -> TaskResult:
        return cls(
            task_id=int(raw.get("task", -1)),
            objects=[ObjectOutcome.from_json(o) for o in raw.get("objects") or []],
            grouper=grouper_from_json(raw.get("grouper") or {}),
            samples={rid: RuleSamples.from_json(s) for rid, s in (raw.get("samples") or {}).items()},
            elapsed_s=float(raw.get("elapsed_s", 0.0)),
            worker=str(raw.get("worker", "")),
        )


# -- the whole replay ----------------------------------------------------------------------------------------

@dataclass(slots=True)
class Totals:
    """The running totals of a replay: merged as tasks finish, so a partial view is always available."""

    objects: int = 0
    bytes: int = 0
    events: int = 0
    parse_errors: int = 0
    errors: int = 0  # objects that could not be read or decoded, plus objects of tasks that failed
    error_samples: list[dict] = field(default_factory=list)
    grouper: AlertGrouper = field(default_factory=AlertGrouper)
    samples: dict[str, RuleSamples] = field(default_factory=dict)
    tasks: int = 0
    sample_limit: int = SAMPLE_ALERTS
    outside_window: int = 0  # events not run: their time is outside the window
    decode: ObjectOutcomes = field(default_factory=ObjectOutcomes)  # incomplete / empty / binary / … objects

    def add_rules(self, settings: dict[str, tuple[int, int]]) -> None:
        """Declare the rules of the replay (rule_id -> (dedup period, threshold)), so rules that never match
        are listed with zero counts."""
        for rid, s in settings.items():
            self.grouper.settings.setdefault(rid, s)
            self.grouper.counts.setdefault(rid, RuleCounts())

    def merge(self, result: TaskResult) -> None:
        self.tasks += 1
        for o in result.objects:
            self.objects += 1
            self.bytes += max(o.size, 0)
            self.events += o.events
            self.parse_errors += o.parse_errors
            self.outside_window += o.outside_window
            self.decode.objects += 1
            if o.decode:
                one = ObjectOutcomes.from_json(o.decode)
                one.objects = 0
                self.decode.merge(one)
            elif o.error:
                self.decode.unreadable[o.key] = o.error
            if o.error:
                self.errors += 1
                if len(self.error_samples) < SAMPLE_ERRORS:
                    self.error_samples.append({"key": o.key, "message": o.error})
        self.grouper.merge(result.grouper)
        for rid, s in result.samples.items():
            self.samples.setdefault(rid, RuleSamples()).merge(s, self.sample_limit)

    def add_failed_object(self, key: str, size: int, message: str) -> None:
        """Count an object whose task failed for good (not fatal: the replay goes on without it)."""
        self.objects += 1
        self.bytes += max(size, 0)
        self.errors += 1
        self.decode.add_unreadable(key, message)
        if len(self.error_samples) < SAMPLE_ERRORS:
            self.error_samples.append({"key": key, "message": message})

    @property
    def matches(self) -> int:
        return sum(c.matches for c in self.grouper.counts.values())

    def matches_per_day(self) -> dict[str, dict[str, int]]:
        """rule_id -> {UTC day of the event: matches}: how often each rule would have fired, over time."""
        out: dict[str, dict[str, int]] = {}
        for (rid, _dedup), items in self.grouper.matches.items():
            days = out.setdefault(rid, {})
            for epoch, _title, _severity in items:
                day = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")
                days[day] = days.get(day, 0) + 1
        return {rid: dict(sorted(days.items())) for rid, days in out.items()}

    def rules_json(self) -> dict[str, dict]:
        """Per rule: matches, errors, dedup groups, alerts, settings and samples (groups windows: not free)."""
        summary = self.grouper.summary()
        per_day = self.matches_per_day()
        out = {}
        for rid in sorted(set(summary) | set(self.grouper.settings)):
            s = summary.get(rid, {"events": 0, "matches": 0, "errors": 0, "dedup_groups": 0, "alerts": 0})
            period, threshold = self.grouper.settings.get(rid, (60, 1))
            samples = self.samples.get(rid, RuleSamples())
            out[rid] = {**s, "threshold": threshold, "dedup_period_minutes": period,
                        "matches_per_day": per_day.get(rid, {}),
                        "alerts_sample": list(samples.alerts), "error_sample": list(samples.errors)}
        return out
