"""The bounded memory of a live tail: a ring buffer of the latest items, sliding-window rates, and short lists
of recent problems. Whatever the tail runs for, memory stays flat: every collection here has a cap.

Readers (the CLI, the Live screen) keep a cursor — the `seq` of the last item they saw — and ask for what came
after it; items that fell off the ring meanwhile are reported as `dropped`, never silently skipped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.events.outcomes import ObjectOutcomes

EVENT, ALERT, PARSE_ERROR = "event", "alert", "parse_error"
DEFAULT_SIZE = 10_000
OUTCOME_KEYS = 100_000  # object keys remembered per kind of decode problem (beyond it the oldest are forgotten)
RATE_WINDOW = 10  # seconds averaged for a "per second" rate
HISTORY = 120  # seconds of events/s kept for the sparkline
MAX_KEYS = 200  # distinct log types / rules tracked for rates (more is almost certainly hostile data)


@dataclass(frozen=True, slots=True)
class LiveItem:
    """One thing that arrived: a parsed event, an alert (a rule match on an event), or a parse error."""

    seq: int
    kind: str
    log_type: str
    bucket: str
    key: str
    event: dict | None = None
    rules: tuple[str, ...] = ()  # rules that matched this event (for highlighting)
    rule_id: str = ""  # alerts
    title: str = ""  # alerts: the rule's title
    severity: str = ""
    dedup: str = ""
    alert_context: Any = None
    line: int = 0  # parse errors
    reason: str = ""  # parse errors: why the line did not parse
    text: str = ""  # parse errors: the raw line (cut)
    arrived: float = 0.0  # epoch seconds it entered the buffer
    announced: float = 0.0  # epoch seconds the notification was received (or the object was listed)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def to_json(self) -> dict:
        """The NDJSON shape `workbench tail --json` prints (keys are a contract; see cli/tail.py)."""
        if self.kind == EVENT:
            out: dict[str, Any] = {"kind": EVENT, "p_log_type": self.log_type, "object": self.uri}
            if self.rules:
                out["rules"] = list(self.rules)
            out["event"] = self.event
            return out
        if self.kind == ALERT:
            return {"kind": ALERT, "rule_id": self.rule_id, "title": self.title, "severity": self.severity,
                    "dedup": self.dedup, "alert_context": self.alert_context, "p_log_type": self.log_type,
                    "object": self.uri, "event": self.event}
        return {"kind": PARSE_ERROR, "log_type": self.log_type or None, "object": self.uri, "line": self.line,
                "reason": self.reason, "text": self.text}


class RateMeter:
    """Per-name counts in one-second buckets: rate over the last `RATE_WINDOW` s and an events/s history."""

    def __init__(self, history: int = HISTORY, max_keys: int = MAX_KEYS) -> None:
        self.history = history
        self.max_keys = max_keys
        self._buckets: dict[str, deque[list[int]]] = {}  # name -> deque of [second, count]
        self.totals: dict[str, int] = {}

    def add(self, name: str, n: int = 1, now: float | None = None) -> None:
        sec = int(now if now is not None else time.time())
        q = self._buckets.get(name)
        if q is None:
            if len(self._buckets) >= self.max_keys:
                name = "(other)"
                q = self._buckets.get(name)
            if q is None:
                q = self._buckets[name] = deque(maxlen=self.history)
        if q and q[-1][0] == sec:
            q[-1][1] += n
        else:
            q.append([sec, n])
        self.totals[name] = self.totals.get(name, 0) + n

    def rate(self, name: str, now: float | None = None, window: int = RATE_WINDOW) -> float:
        now_sec = int(now if now is not None else time.time())
        q = self._buckets.get(name)
        if not q:
            return 0.0
        return sum(c for s, c in q if now_sec - window < s <= now_sec) / window

    def rates(self, now: float | None = None) -> dict[str, float]:
        return {name: self.rate(name, now) for name in self._buckets}

    def series(self, name: str, seconds: int = 60, now: float | None = None) -> list[int]:
        """Counts per second for the last `seconds` seconds up to the current one, oldest first (a sparkline)."""
        now_sec = int(now if now is not None else time.time())
        counts = dict((s, c) for s, c in self._buckets.get(name, ()))
        return [counts.get(s, 0) for s in range(now_sec - seconds + 1, now_sec + 1)]


@dataclass
class Stats:
    """Counters shown in the status line and the CLI summary."""

    messages: int = 0
    objects: int = 0  # announced objects accepted for processing
    processed: int = 0  # of those, fetched and parsed (or failed)
    duplicates: int = 0
    events: int = 0
    alerts: int = 0
    parse_errors: int = 0
    fetch_failures: int = 0
    malformed: int = 0
    ignored: int = 0  # s3:TestEvent, subscription confirmations, CloudTrail validation messages
    rule_errors: int = 0
    dropped: int = 0  # items that fell off the ring before anyone read them (reader-dependent; see after())
    started: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "started"} | {
            "seconds": round(time.time() - self.started, 1)}


@dataclass(frozen=True, slots=True)
class Problem:
    """A malformed message, a fetch failure or an ignored notice, for the side panel."""

    at: float
    kind: str  # malformed | fetch | ignored | rule_error | status
    what: str  # message id or object URI
    reason: str


class LiveBuffer:
    """Thread-safe: one writer (the tail's sink thread) and any number of readers with their own cursor."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = max(10, int(size))
        self._items: deque[LiveItem] = deque(maxlen=self.size)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._seq = 0
        self.stats = Stats()
        self.log_types = RateMeter()
        self.rules = RateMeter()
        self.events_per_second = RateMeter(max_keys=1)
        self.problems: deque[Problem] = deque(maxlen=500)
        self.parse_errors: deque[LiveItem] = deque(maxlen=500)
        # how objects decoded (incomplete, empty, binary, event times, not parsed): the writer merges, readers
        # take `objects_summary()`; per-key maps are capped by dropping the oldest entries
        self.objects = ObjectOutcomes()

    @property
    def last_seq(self) -> int:
        return self._seq

    def next_seq(self) -> int:
        """Reserve a sequence number (writer only)."""
        self._seq += 1
        return self._seq

    def extend(self, items: Iterable[LiveItem]) -> None:
        now = time.time()
        with self._cond:
            for item in items:
                self._items.append(item)
                if item.kind == EVENT:
                    self.stats.events += 1
                    self.log_types.add(item.log_type or "(unknown)", now=now)
                    self.events_per_second.add("events", now=now)
                elif item.kind == ALERT:
                    self.stats.alerts += 1
                    self.rules.add(item.rule_id, now=now)
                elif item.kind == PARSE_ERROR:
                    self.stats.parse_errors += 1
                    self.parse_errors.append(item)
            self._cond.notify_all()

    def add_outcomes(self, one: ObjectOutcomes) -> None:
        with self._lock:
            self.objects.merge(one)
            for name in ("incomplete", "mismatched", "lines_cut", "utf8_repaired", "unreadable", "times"):
                d = getattr(self.objects, name)
                while len(d) > OUTCOME_KEYS:
                    d.pop(next(iter(d)))
            for name in ("empty", "binary"):
                lst = getattr(self.objects, name)
                if len(lst) > OUTCOME_KEYS:
                    del lst[: len(lst) - OUTCOME_KEYS]

    def objects_summary(self) -> str:
        with self._lock:
            return self.objects.summary()

    def problem(self, kind: str, what: str, reason: str) -> None:
        with self._lock:
            self.problems.append(Problem(time.time(), kind, what, reason))

    def after(self, cursor: int, limit: int | None = None) -> tuple[list[LiveItem], int, int]:
        """Items with seq > cursor (oldest first), the new cursor, and how many were lost off the ring."""
        with self._lock:
            if not self._items or self._items[-1].seq <= cursor:
                return [], cursor, 0
            first = self._items[0].seq
            dropped = max(0, first - cursor - 1)
            start = max(0, cursor + 1 - first)
            items = list(self._items)[start:] if start else list(self._items)
        if limit is not None and len(items) > limit:
            items = items[:limit]
        return items, (items[-1].seq if items else cursor), dropped

    def wait(self, cursor: int, timeout: float) -> bool:
        """Block until an item newer than `cursor` exists (True) or `timeout` passes (False)."""
        with self._cond:
            if self._items and self._items[-1].seq > cursor:
                return True
            self._cond.wait(timeout)
            return bool(self._items) and self._items[-1].seq > cursor

    def snapshot(self) -> list[LiveItem]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        return len(self._items)
