"""One rules run's bookkeeping: progress and partial state (`RunStats`), strikes and suspension of rules
that keep bringing the worker down (`Strikes`), and what one batch came back with (`BatchOutcome`).

A strike is a call that cost the worker its life: a timeout, a crash, an exit, a MemoryError. It is
charged to that rule and that event (an error result), and the batch goes on from where the last partial
frame left it. After `max_strikes` strikes in one run the rule is suspended for the rest of the run: the
events it was not run on are counted (`not_run`), never reported as matches or errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.detections.results import RuleResult
    from workbench.detections.spec_types import RuleSpec

DEFAULT_MAX_STRIKES = 3


@dataclass(frozen=True)
class Loaded:
    """One load of the content, as a whole: a run keeps the one it started with, whatever reloads happen
    meanwhile, so the ordinals in the worker's replies always name the rules they named when it began."""

    generation: int
    ordinals: dict[int, RuleSpec]
    by_type: dict[str, list[RuleSpec]]
    no_match_of: dict[str, type[RuleResult]]
    no_match: dict[str, tuple[type[RuleResult], ...]]
    load_msg: bytes


EMPTY = Loaded(0, {}, {}, {}, {}, b"")


@dataclass(slots=True)
class SuspendedRule:
    """A rule taken out of a run after too many strikes."""

    rule_id: str
    strikes: int
    reason: str  # the last strike's message
    not_run: int = 0  # events the rule applied to but was not run on

    def to_json(self) -> dict:
        return {"strikes": self.strikes, "reason": self.reason, "not_run": self.not_run}


@dataclass(slots=True)
class RunStats:
    """What a run has done so far; updated in place while it goes (read it from a progress callback).

    `partial` is True when the run stopped before its input ended (cancelled, or the engine closed): every
    result given out is still correct, for the `events` events done.
    """

    events: int = 0  # events whose every rule result was given out
    evaluated: int = 0  # events the worker has finished (some of them not given out yet): for progress
    records: int = 0  # raw records sent to the worker (run_objects)
    parse_errors: int = 0  # records the worker could not parse (run_objects)
    parse_error_sample: list[str] = field(default_factory=list)
    strikes: dict[str, int] = field(default_factory=dict)  # rule_id -> strikes so far
    suspended: dict[str, SuspendedRule] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)  # rule_id -> events it applied to (run_objects)
    errors: list[str] = field(default_factory=list)  # parts of the input that could not be evaluated at all
    partial: bool = False
    cancelled: bool = False

    def suspended_json(self) -> dict[str, dict]:
        return {rid: s.to_json() for rid, s in sorted(self.suspended.items())}


class Strikes:
    """Counts strikes per rule ordinal within one run and decides suspension."""

    def __init__(self, rule_of: dict[int, Any], max_strikes: int, stats: RunStats,
                 on_change: Callable[[], None] | None = None):
        self.rule_of = rule_of  # ordinal -> RuleSpec
        self.max = max(1, max_strikes)
        self.stats = stats
        self.counts: dict[int, int] = {}
        self.suspended: set[int] = set()
        self.first_unrun: dict[int, int] = {}  # a rule just suspended -> the batch's event it stops at
        self.on_change = on_change

    def strike(self, ordinal: int, message: str, at: int) -> bool:
        """Charge one strike, for the call on the batch's event `at`; True when the rule is now suspended
        (from the event after `at`: the events before it keep their results)."""
        spec = self.rule_of.get(ordinal)
        if spec is None or ordinal in self.suspended:
            return False
        n = self.counts[ordinal] = self.counts.get(ordinal, 0) + 1
        self.stats.strikes[spec.rule_id] = n
        if n >= self.max:
            self.suspended.add(ordinal)
            self.first_unrun[ordinal] = at + 1
            self.stats.suspended[spec.rule_id] = SuspendedRule(spec.rule_id, n, message)
        if self.on_change is not None:
            self.on_change()
        return ordinal in self.suspended

    def not_run(self, ordinal: int, n: int = 1) -> None:
        spec = self.rule_of.get(ordinal)
        if spec is not None and spec.rule_id in self.stats.suspended:
            self.stats.suspended[spec.rule_id].not_run += n


@dataclass(slots=True)
class BatchOutcome:
    """Everything the worker said about one batch, across however many workers it took."""

    size: int  # events in the batch (run_objects: -1 until the worker has parsed the records)
    got: dict[tuple[int, int], tuple[dict, str]] = field(default_factory=dict)  # (event, ordinal) -> result
    crashed: dict[tuple[int, int], str] = field(default_factory=dict)  # (event, ordinal) -> strike message
    suspended_at: dict[int, int] = field(default_factory=dict)  # ordinal -> first event it was not run on
    events: dict[int, Any] = field(default_factory=dict)  # event index -> parsed event (run_objects)
    ran: dict[int, int] = field(default_factory=dict)  # ordinal -> events it ran on (run_objects)
    types: dict[str, int] = field(default_factory=dict)  # log type -> events (run_objects)
    parsed: int | None = None  # events the records parsed into (run_objects)
    records: int = 0
    parse_errors: int = 0
    parse_error_sample: list = field(default_factory=list)
    done: int = 0  # events finished: every result before this index is in
    error: str | None = None  # the rest of the batch (from `done`) could not be evaluated
    cancelled: bool = False

    def absorb(self, frame: dict, strikes: Strikes) -> None:
        got = self.got
        for i, ordinal, res, stdout in frame.get("results") or ():
            got[(i, ordinal)] = (res, stdout)
            errors = res.get("errors")
            if errors and any(str(t[0]).startswith("MemoryError") for t in errors.values()):
                strikes.strike(ordinal, "MemoryError (the worker was restarted)", i)
        if "events" in frame:
            self.events.update(frame["events"])
            for o, n in frame.get("ran") or ():
                self.ran[o] = self.ran.get(o, 0) + n
            for lt, n in frame.get("types") or ():
                self.types[lt] = self.types.get(lt, 0) + n
        if "parsed" in frame:
            self.parsed = self.size = frame["parsed"]
            self.records = frame.get("records", 0)
            self.parse_errors = frame.get("parse_errors", 0)
            self.parse_error_sample = frame.get("parse_error_sample") or []
        done = frame.get("done")
        if isinstance(done, int) and done > self.done:
            self.done = done

    @property
    def stop(self) -> int:
        """Events of the batch whose results can be given out."""
        return self.done if self.cancelled else max(self.size, 0)
