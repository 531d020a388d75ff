"""Run one detection's functions on one event, with Panther's order, type checks, defaults and truncation.

This module runs inside the rule worker process (possibly under another interpreter), so it imports only
the standard library and `panther_core`. Two modes:

- test mode (unit tests, as Panther's CLI runs them): every function runs for every case, even when
  `rule()` returned False, and each function's exception is recorded;
- batch mode (rules over events): the other functions run only when `rule()` matched, and their
  exceptions fall back to the documented production defaults while still being reported.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from panther_core.exceptions import FunctionReturnTypeError
from panther_core.immutable import json_encoder

MAX_TEXT = 1000
TRUNCATED_TO = 985
MAX_CONTEXT = 204800
MAX_DESTINATIONS = 10
SEVERITY_NAMES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
AUX_ORDER = ("title", "description", "reference", "severity", "runbook", "destinations", "dedup",
             "alert_context", "unique")


class Watch:
    """What the parent process watches to find a call that hangs: slot 0/1 name the call, slot 2 counts.

    The counter is odd while a function of the rule is running, so the parent can tell a slow call from
    time spent between calls. Backed by shared memory in the worker; a plain list elsewhere.
    """

    __slots__ = ("seq", "slots")

    def __init__(self, slots: Any = None):
        self.slots = slots if slots is not None else [0, 0, 0, 0]
        self.seq = 0


class Capture:
    """sys.stdout/sys.stderr replacement: keeps the first `limit` characters of a call's output."""

    def __init__(self, limit: int = 65536):
        self.limit = limit
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0
        # a plain attribute, not a property: the worker checks it after every rule call
        self.dirty = False

    def write(self, text: Any) -> int:
        if not isinstance(text, str):
            text = str(text)
        if text:
            self.dirty = True
        room = self.limit - self.kept
        if room > 0:
            piece = text[:room]
            self.parts.append(piece)
            self.kept += len(piece)
            self.dropped += len(text) - len(piece)
        else:
            self.dropped += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    @property
    def used(self) -> bool:
        return self.kept > 0 or self.dropped > 0

    def take(self) -> str:
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[… {self.dropped:,} more characters of output dropped]"
        self.parts = []
        self.kept = self.dropped = 0
        self.dirty = False
        return out


_NO_MATCH: dict = {"matched": False, "outputs": {"rule": False}, "errors": {}}  # shared: never mutated


def truncate(text: str) -> str:
    if len(text) > MAX_TEXT:
        return text[:TRUNCATED_TO] + "... (truncated)"
    return text


MAX_ERROR = 10000  # an exception can carry megabytes of text; nobody reads past this


def error_text(exc: BaseException) -> str:
    """`ExcType: message`, the way Panther's CLI prints a function's failure."""
    try:
        msg = str(exc)
    except Exception:  # a hostile __str__
        msg = "<unprintable exception>"
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR] + "... (truncated)"


class Detection:
    """One imported rule module plus the YAML values its functions default to."""

    def __init__(self, spec: Mapping[str, Any], module: Any):
        self.rule_id: str = spec["rule_id"]
        self.ordinal: int = spec["ordinal"]
        self.scheduled = spec.get("analysis_type") == "scheduled_rule"
        self.severity: str = spec["severity"]
        self.display_name = spec.get("display_name")
        self.description = spec.get("description")
        self.reference = spec.get("reference")
        self.runbook = spec.get("runbook")
        self.output_ids = list(spec.get("output_ids") or [])
        self.create_alert = spec.get("create_alert", True)
        self.module = module
        self.default_dedup = f"defaultDedupString:{self.rule_id}"
        self.bind()

    def bind(self) -> None:
        """Look the functions up again (after mocks are patched on or removed)."""
        m = self.module
        names = getattr(m, "__dict__", None)
        get: Callable[[str], Any]
        if type(m) is ModuleType and type(names) is dict and "__getattr__" not in names:
            get = names.get  # a plain module's attributes are its dict (getattr of a missing one raises inside: slow)
        else:
            get = lambda name: getattr(m, name, None)  # noqa: E731
        rule = get("rule")
        if rule is None and not self.scheduled:
            raise AttributeError(f"detection [{self.rule_id}] has no rule() function")
        self.rule_fn: Callable | None = rule
        self.fns: dict[str, Callable] = {n: f for n in AUX_ORDER if callable(f := get(n))}

    def _type_error(self, fn: str, value: Any, expected: str) -> FunctionReturnTypeError:
        return FunctionReturnTypeError(
            f"detection [{self.rule_id}] function [{fn}] returned [{type(value).__name__}], expected [{expected}]")

    def _call(self, fn: Callable, event: Any, watch: Watch, ident: int) -> Any:
        slots = watch.slots
        watch.seq += 1
        slots[0] = ident
        slots[1] = self.ordinal
        slots[2] = watch.seq * 2 + 1  # odd: a rule function is running
        try:
            return fn(event)
        finally:
            slots[2] = watch.seq * 2

    # --- the functions, each returning (output, error) ------------------------------------------------------

    def _aux(self, name: str, event: Any, watch: Watch, ident: int) -> tuple[Any, BaseException | None]:
        """Call the rule's `name` function, if it has one, and check what it returned."""
        fn = self.fns.get(name)
        if fn is None:
            return None, None
        try:
            value = self._call(fn, event, watch, ident)
        except BaseException as e:  # SystemExit too: a rule's exit is its own error
            return None, e
        if name == "severity":
            return self._checked_severity(value)
        if name == "destinations":
            return self._checked_destinations(value)
        if name == "alert_context":
            return self._checked_alert_context(value)
        if not isinstance(value, str):  # None included: Panther refuses a title() that returns None
            return None, self._type_error(name, value, "str")
        return truncate(value), None

    def _checked_severity(self, value: Any) -> tuple[Any, BaseException | None]:
        if not isinstance(value, str):
            return None, self._type_error("severity", value, "str")
        upper = value.upper()
        if upper == "DEFAULT":
            return "DEFAULT", None
        if upper not in SEVERITY_NAMES:
            return None, AssertionError(f"Expected severity to be any of the following: [{list(SEVERITY_NAMES)}], "
                                        f"got [{upper}] instead.")
        return upper, None

    def _checked_destinations(self, value: Any) -> tuple[Any, BaseException | None]:
        if value is None:
            return None, None
        if not isinstance(value, list):  # Panther wants a real list (an event's ImmutableList is refused too)
            return None, FunctionReturnTypeError(f"detection [{self.rule_id}] function [destinations] returned "
                                                 f"[{type(value).__name__}], expected a list")
        if not all(isinstance(d, str) for d in value):
            return None, FunctionReturnTypeError(f"detection [{self.rule_id}] function [destinations] returned "
                                                 f"a list with non-string items")
        if not value:
            return ["SKIP"], None  # an empty list suppresses the alert
        return list(value)[:MAX_DESTINATIONS], None

    def _checked_alert_context(self, value: Any) -> tuple[Any, BaseException | None]:
        if not isinstance(value, Mapping):
            return None, self._type_error("alert_context", value, "Mapping")
        try:
            text = json.dumps(value, default=json_encoder, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as e:
            return None, e
        if len(text) > MAX_CONTEXT:
            text = json.dumps({"_error": f"alert_context size is [{len(text)}] characters, bigger than maximum of "
                                         f"[{MAX_CONTEXT}] characters"})
        return text, None

    def run(self, event: Any, watch: Watch, ident: int, *, test_mode: bool) -> dict:
        """Evaluate `event`. Returns {"matched", "outputs": {fn: value}, "errors": {fn: (text, traceback)}}."""
        if not test_mode and self.rule_fn is not None:
            # the common case in batch mode, kept short: rule() said False, nothing else runs
            slots = watch.slots
            watch.seq += 1
            slots[0] = ident
            slots[1] = self.ordinal
            slots[2] = watch.seq * 2 + 1
            try:
                matched = self.rule_fn(event)
            except BaseException as e:  # a rule's sys.exit() is its own error too
                slots[2] = watch.seq * 2
                return self.rule_error(e)
            slots[2] = watch.seq * 2
            if matched is False:
                return _NO_MATCH
            return self._after_rule(event, watch, ident, matched, {}, test_mode=False)
        errors: dict[str, tuple[str, str]] = {}
        matched = True
        if self.rule_fn is not None:
            try:
                matched = self._call(self.rule_fn, event, watch, ident)
            except BaseException as e:
                errors["rule"] = (error_text(e), _tb(e))
                matched = None
            else:
                if not isinstance(matched, bool):
                    errors["rule"] = (error_text(self._type_error("rule", matched, "bool")), "")
                    matched = None
        return self._after_rule(event, watch, ident, matched, errors, test_mode=test_mode)

    def rule_error(self, exc: BaseException) -> dict:
        return {"matched": None, "outputs": {"rule": None}, "errors": {"rule": (error_text(exc), _tb(exc))}}

    def finish(self, event: Any, watch: Watch, ident: int, matched: Any) -> dict:
        """Batch mode after rule() already ran and returned `matched` (not an exception)."""
        if matched is False:
            return _NO_MATCH
        return self._after_rule(event, watch, ident, matched, {}, test_mode=False)

    def _after_rule(self, event: Any, watch: Watch, ident: int, matched: Any, errors: dict, *,
                    test_mode: bool) -> dict:
        if not isinstance(matched, bool) and "rule" not in errors:
            e = self._type_error("rule", matched, "bool")
            errors["rule"] = (error_text(e), "")
            matched = None
        outputs: dict[str, Any] = {"rule": matched}
        if not test_mode and matched is not True:
            return {"matched": matched, "outputs": outputs, "errors": errors}
        for name in AUX_ORDER:
            value, err = self._aux(name, event, watch, ident)
            if name == "severity" and value == "DEFAULT":
                value = None  # "use the YAML severity": tests show no line, alerts get the YAML value
            elif name == "dedup" and err is None and not value:
                # no dedup(), or an empty one: the title, else the default string
                value = (outputs.get("title") or self.default_dedup) if "dedup" not in self.fns else self.default_dedup
            if err is not None:
                errors[name] = (error_text(err), _tb(err))
                if name == "dedup":
                    value = self.default_dedup
            outputs[name] = value
        if not test_mode:
            self._production_defaults(outputs, errors)
        return {"matched": matched, "outputs": outputs, "errors": errors}

    def _production_defaults(self, out: dict, errors: dict) -> None:
        """What an alert carries when a function is absent or failed, as in Panther's backend."""
        if out.get("severity") in (None, "DEFAULT"):
            out["severity"] = self.severity.upper()
        for name, fallback in (("description", self.description), ("reference", self.reference),
                               ("runbook", self.runbook)):
            if out.get(name) is None:
                out[name] = "" if name in errors else (fallback or "")
        if out.get("title") is None:
            out["title"] = self.display_name or self.rule_id
        if out.get("alert_context") is None:
            out["alert_context"] = (json.dumps({"_error": errors["alert_context"][0]}) if "alert_context" in errors
                                    else "{}")
        if out.get("destinations") is None and self.output_ids:
            out["destinations"] = list(self.output_ids)


def _tb(exc: BaseException) -> str:
    """The traceback without the engine's own frames."""
    here = __file__
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != here]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames[-50:])]
    text = "".join(lines) + error_text(exc) + "\n"
    return text if len(text) <= 4 * MAX_ERROR else text[: 4 * MAX_ERROR] + "... (truncated)"


def install_capture(capture: Capture) -> None:
    sys.stdout = capture
    sys.stderr = capture
