"""Group rule matches into alerts the way Panther does: by rule and dedup string, within
`DedupPeriodMinutes` of event time, raising an alert once a group holds `Threshold` matches.

Groupers are plain data and mergeable (`merge`, `+`), so replay can group each partition's results
and combine them; the windows are cut only in `alerts()`, after every match is in, so the answer does
not depend on the order partials arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workbench.detections.results import RuleResult
from workbench.model import stored_time


@dataclass(frozen=True, slots=True)
class Alert:
    """One dedup group within one window. `alert` is False while the count is under the threshold."""

    rule_id: str
    dedup: str
    first_seen: float  # epoch seconds of the first event in the window
    last_seen: float
    count: int
    threshold: int
    title: str | None
    severity: str | None

    @property
    def alert(self) -> bool:
        return self.count >= self.threshold

    def to_json(self) -> dict:
        def iso(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")

        return {"rule_id": self.rule_id, "dedup": self.dedup, "first_seen": iso(self.first_seen),
                "last_seen": iso(self.last_seen), "count": self.count, "threshold": self.threshold,
                "alert": self.alert, "title": self.title, "severity": self.severity}


@dataclass(slots=True)
class RuleCounts:
    events: int = 0
    matches: int = 0
    errors: int = 0
    not_run: int = 0  # events the rule applied to but did not run on (suspended)


def event_epoch(event: Any) -> float:
    """p_event_time (or, without one, p_parse_time) as epoch seconds; 0 if absent."""
    t = stored_time(event, fallback_to_parse_time=True)
    return t.timestamp() if t is not None else 0.0


@dataclass(slots=True)
class AlertGrouper:
    """Collects RuleResults; `settings` maps rule_id -> (dedup_period_minutes, threshold)."""

    settings: dict[str, tuple[int, int]] = field(default_factory=dict)
    counts: dict[str, RuleCounts] = field(default_factory=dict)
    # (rule_id, dedup) -> [(epoch, title, severity)] for every match, in arrival order
    matches: dict[tuple[str, str], list[tuple[float, str | None, str | None]]] = field(default_factory=dict)

    @classmethod
    def for_rules(cls, rules: Iterable[Any]) -> AlertGrouper:
        """From RuleSpecs (anything with rule_id, dedup_period_minutes, threshold)."""
        return cls({r.rule_id: (r.dedup_period_minutes, r.threshold) for r in rules})

    def add(self, result: RuleResult, *, count_event: bool = True) -> None:
        """One result. `count_event=False` for results whose events are counted by `add_counts` (a run
        that gives out only matches and errors)."""
        c = self.counts.get(result.rule_id)
        if c is None:
            c = self.counts[result.rule_id] = RuleCounts()
        if count_event:
            c.events += 1
            if result.not_run:
                c.not_run += 1
        if result.error:
            c.errors += 1
        if result.matched:
            c.matches += 1
            key = (result.rule_id, result.dedup or f"defaultDedupString:{result.rule_id}")
            self.matches.setdefault(key, []).append((event_epoch(result.event), result.title, result.severity))

    def add_counts(self, rule_id: str, events: int, not_run: int = 0) -> None:
        c = self.counts.get(rule_id)
        if c is None:
            c = self.counts[rule_id] = RuleCounts()
        c.events += events
        c.not_run += not_run

    def add_all(self, results: Iterable[RuleResult]) -> None:
        for r in results:
            self.add(r)

    def merge(self, other: AlertGrouper) -> AlertGrouper:
        """Fold `other` into this grouper (in place) and return it."""
        for rid, setting in other.settings.items():
            self.settings.setdefault(rid, setting)
        for rid, c in other.counts.items():
            mine = self.counts.setdefault(rid, RuleCounts())
            mine.events += c.events
            mine.matches += c.matches
            mine.errors += c.errors
            mine.not_run += c.not_run
        for key, items in other.matches.items():
            self.matches.setdefault(key, []).extend(items)
        return self

    def __add__(self, other: AlertGrouper) -> AlertGrouper:
        out = AlertGrouper(dict(self.settings))
        out.merge(self)
        return out.merge(other)

    def alerts(self) -> list[Alert]:
        """Every dedup window, in time order; check `.alert` for the ones that reached the threshold."""
        out: list[Alert] = []
        for (rid, dedup), items in self.matches.items():
            period, threshold = self.settings.get(rid, (60, 1))
            span = period * 60
            # ties in time broken by title and severity: the same answer whatever order partials merged in
            ordered = sorted(items, key=lambda x: (x[0], x[1] or "", x[2] or ""))
            start = None
            group: list = []
            for item in ordered:
                if start is None or item[0] >= start + span:
                    if group:
                        out.append(_alert(rid, dedup, group, threshold))
                    start, group = item[0], []
                group.append(item)
            if group:
                out.append(_alert(rid, dedup, group, threshold))
        out.sort(key=lambda a: (a.first_seen, a.rule_id, a.dedup))
        return out

    def summary(self) -> dict[str, dict]:
        """Per rule: events it applied to, matches, errors, dedup groups and alerts (groups at threshold)."""
        groups: dict[str, list[Alert]] = {}
        for a in self.alerts():
            groups.setdefault(a.rule_id, []).append(a)
        out = {}
        for rid in sorted(set(self.counts) | set(groups)):
            c = self.counts.get(rid, RuleCounts())
            gs = groups.get(rid, [])
            out[rid] = {"events": c.events, "matches": c.matches, "errors": c.errors,
                        "dedup_groups": len(gs), "alerts": sum(1 for a in gs if a.alert)}
            if c.not_run:
                out[rid]["not_run"] = c.not_run
        return out


def _alert(rule_id: str, dedup: str, group: list, threshold: int) -> Alert:
    return Alert(rule_id, dedup, group[0][0], group[-1][0], len(group), threshold, group[0][1], group[0][2])
