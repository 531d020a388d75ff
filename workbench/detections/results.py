"""Plain results that leave the engine: one `RuleResult` per rule per event, and unit-test reports.

Also holds the pass/fail decision for one unit-test case, exactly as Panther's CLI decides it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.detections.spec_types import InvalidSpec, SkippedSpec

# the functions the CLI prints for an expected-true case, in Panther's order (rule first)
SHOWN_FUNCTIONS = ("title", "dedup", "alert_context", "description", "reference", "severity", "runbook",
                   "destinations")


# Not slotted, and equality written by hand: most results are "this rule did not match this event", and
# those are instances of a per-rule subclass (`no_match_class`) whose rule_id and matched are class
# attributes, so making one only stores the event. They compare, hash, print and pickle as RuleResults.
@dataclass(frozen=True, eq=False)
class RuleResult:
    """What one rule said about one event. `error` is the first failing function as "fn: ExcType: msg".

    `not_run` (why) when the rule was suspended for the rest of a run and never saw this event: neither a
    match nor an error.
    """

    rule_id: str
    matched: bool
    title: str | None = None
    dedup: str | None = None
    severity: str | None = None
    alert_context: dict | None = None
    description: str | None = None
    reference: str | None = None
    runbook: str | None = None
    destinations: tuple[str, ...] | None = None
    error: str | None = None
    traceback: str | None = None
    stdout: str = ""
    event: Any = field(default=None, repr=False, compare=False)
    not_run: str | None = None

    def _fields(self) -> tuple:
        """Every field but the event (which, as in the dataclass this was, takes no part in equality)."""
        return (self.rule_id, self.matched, self.title, self.dedup, self.severity, self.alert_context,
                self.description, self.reference, self.runbook, self.destinations, self.error, self.traceback,
                self.stdout, self.not_run)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleResult):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> tuple:
        # by value, as a plain RuleResult: a per-rule subclass is not importable by name
        *head, not_run = self._fields()
        return (RuleResult, (*head, self.event, not_run))

    @classmethod
    def no_match(cls, template: dict, event: Any) -> RuleResult:
        """A non-matching result from `template` (a `vars()` of one)."""
        r = _new(RuleResult)
        d = r.__dict__
        d.update(template)
        d["event"] = event
        return r

    def to_json(self, *, with_event: bool = False) -> dict:
        out = {
            "rule_id": self.rule_id, "matched": self.matched, "title": self.title, "dedup": self.dedup,
            "severity": self.severity, "alert_context": self.alert_context, "description": self.description,
            "reference": self.reference, "runbook": self.runbook,
            "destinations": list(self.destinations) if self.destinations is not None else None,
            "error": self.error, "stdout": self.stdout or None,
        }
        if self.not_run:
            out["not_run"] = self.not_run
        if with_event:
            out["event"] = self.event
        return out


_new = object.__new__


def no_match_class(rule_id: str) -> type[RuleResult]:
    """A RuleResult subclass meaning "`rule_id` did not match": `new_no_match(cls, event)` makes one.

    Every other field keeps the dataclass default (None, "" for stdout), which is what a non-match has.
    """
    return type("RuleResult", (RuleResult,), {"rule_id": rule_id, "matched": False, "__module__": __name__,
                                              "__qualname__": "RuleResult"})


def new_no_match(cls: type[RuleResult], event: Any) -> RuleResult:
    """An instance of a `no_match_class` for `event`: one allocation and one store (~4× cheaper than init)."""
    r = _new(cls)
    r.__dict__["event"] = event
    return r


@dataclass(frozen=True)
class FunctionOutput:
    """One function's line in a test report: its output, or the error it raised."""

    name: str
    output: Any
    error: str | None = None
    traceback: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CaseResult:
    """The verdict on one unit-test case, with what each function returned or raised."""

    rule_id: str
    name: str
    passed: bool
    expected: bool
    actual: Any  # what rule() returned (None when it raised)
    error: str | None
    functions: tuple[FunctionOutput, ...] = ()
    stdout: str = ""

    def to_json(self) -> dict:
        return {"rule_id": self.rule_id, "test": self.name, "passed": self.passed, "expected": self.expected,
                "actual": self.actual, "error": self.error}


@dataclass(frozen=True)
class RuleTests:
    """One rule's unit-test cases and their verdicts."""

    rule_id: str
    path: Path
    cases: tuple[CaseResult, ...]
    create_alert: bool = True

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cases)


@dataclass(frozen=True)
class TestReport:
    """A `rules test` run. Counts are of detections, as Panther's CLI counts them; `tests` of cases."""

    rules: tuple[RuleTests, ...]
    invalid: tuple[InvalidSpec, ...] = ()
    skipped: tuple[SkippedSpec, ...] = ()

    @property
    def passed(self) -> int:
        return sum(1 for r in self.rules if r.passed)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rules if not r.passed)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.invalid

    @property
    def cases(self) -> list[CaseResult]:
        return [c for r in self.rules for c in r.cases]

    def to_json(self) -> dict:
        return {"passed": self.passed, "failed": self.failed, "invalid": len(self.invalid),
                "skipped": len(self.skipped), "tests": [c.to_json() for c in self.cases]}


def decide_case(rule_id: str, name: str, expected: bool, raw: dict | None, *, stdout: str = "",
                expected_destinations: tuple[str, ...] | None = None, create_alert: bool = True,
                crash: str | None = None, warning_only: bool = False) -> CaseResult:
    """Turn the worker's raw evaluation of one case into a verdict.

    Expected true: rule() returned True and no function raised. Expected false: rule() returned exactly
    False (errors in the other functions do not matter). ExpectedDestinations must match, order-free.
    """
    if crash is not None or raw is None:
        err = crash or "the case did not run"
        crashed: tuple[FunctionOutput, ...] = () if warning_only else (FunctionOutput("rule", None, err),)
        return CaseResult(rule_id, name, False, expected, None, err, crashed, stdout)
    matched = raw.get("matched")
    outputs = raw.get("outputs") or {}
    errors = {k: tuple(v) for k, v in (raw.get("errors") or {}).items()}
    funcs = [FunctionOutput("rule", matched, *errors["rule"]) if "rule" in errors else FunctionOutput("rule", matched)]
    error: str | None = None
    if expected:
        if "rule" in errors:
            error = errors["rule"][0]
        passed = matched is True and not errors
        if expected:
            shown = ("alert_context",) if not create_alert else SHOWN_FUNCTIONS
            for fn in shown:
                if fn in errors:
                    funcs.append(FunctionOutput(fn, None, *errors[fn]))
                elif outputs.get(fn) is not None:
                    funcs.append(FunctionOutput(fn, outputs[fn]))
        if error is None and errors:
            fn = next(iter(errors))
            error = f"{fn}: {errors[fn][0]}"
        if error is None and matched is not True:
            error = f"expected rule() to return True, got {_show(matched)}"
    else:
        passed = matched is False and "rule" not in errors
        if "rule" in errors:
            error = errors["rule"][0]
        elif matched is not False:
            error = f"expected rule() to return False, got {_show(matched)}"
    if expected_destinations is not None:
        got = outputs.get("destinations")
        got_set = set(got or []) - {"SKIP"}
        if set(expected_destinations) != got_set:
            passed = False
            error = error or f"expected destinations {sorted(expected_destinations)}, got {sorted(got_set)}"
    return CaseResult(rule_id, name, passed, expected, matched, None if passed else error, tuple(funcs), stdout)


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (bool, type(None))) else repr(value)
