"""UI glue for the Rules screen (no widgets): run the rule engine over the session's events into a `RuleRun`
(per-rule matches, errors and Panther-style alert grouping), and build the plain-data detail texts for a rule,
one result (match or error) and a unit-test report. Every value from rules or events goes through
`screens.shell.safe`: titles, dedup strings, alert context, tracebacks and captured output are untrusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from screens.shell import safe

if TYPE_CHECKING:
    from workbench.detections import InvalidSpec, RuleEngine, RuleResult, RuleSpec, RunStats, TestReport
    from workbench.detections.runs import SuspendedRule

KEEP_PER_RULE = 1000  # matches (and errors) kept per rule for display; counts stay exact


@dataclass(slots=True)
class RuleRun:
    log_types: tuple[str, ...]
    specs: list[RuleSpec]  # the rules that apply to those log types
    events: int = 0
    matches: dict[str, list[RuleResult]] = field(default_factory=dict)  # rule_id -> matched results (capped)
    errors: dict[str, list[RuleResult]] = field(default_factory=dict)  # rule_id -> results with an error (capped)
    summary: dict[str, dict] = field(default_factory=dict)  # AlertGrouper.summary()
    invalid: list[InvalidSpec] = field(default_factory=list)  # rules that failed to load
    sources: dict[str, str] = field(default_factory=dict)  # rule_id -> its `def rule(...)` source
    cancelled: bool = False  # stopped by the user: the counts are those of the first `done` events
    done: int = 0  # events whose every rule result is in
    suspended: dict[str, SuspendedRule] = field(default_factory=dict)  # rule_id -> why it stopped running

    def count(self, rule_id: str, what: str) -> int:
        return int(self.summary.get(rule_id, {}).get(what, 0))


def event_log_types(events: Iterable[dict], log_type: str | None) -> tuple[str, ...]:
    """The session's log type first, then any other `p_log_type` among the events."""
    seen = dict.fromkeys([log_type] if log_type else [])
    for e in events:
        lt = e.get("p_log_type")
        if isinstance(lt, str):
            seen[lt] = None
    return tuple(seen)


def log_types_label(log_types: Iterable[str], names: int = 2) -> str:
    """The log types a run covered, short enough for a title at 80 columns: up to `names` by name, else a count
    ("6 log types": each rule's own log types are in its detail)."""
    types = list(log_types)
    if not types:
        return "no log type"
    return ", ".join(types) if len(types) <= names else f"{len(types)} log types"


def run_rules(engine: RuleEngine, events: list[dict], log_type: str | None, cancelled: Callable[[], bool],
              progress: Callable[[RunStats], None] | None = None) -> RuleRun:
    """Every enabled rule for the events' log types over every event, grouped into alerts as Panther would.

    `cancelled()` is polled by the engine while the rule worker works (it is killed when it turns true);
    the run then holds the results of the events done so far, marked `cancelled`. `progress(stats)` gets
    the engine's RunStats (events done, rules suspended) after every batch and every strike.
    """
    from workbench.detections.grouping import AlertGrouper

    log_types = event_log_types(events, log_type)
    specs = [s for lt in log_types for s in engine.rules_for(lt)]
    specs = list({s.rule_id: s for s in specs}.values())
    run = RuleRun(log_types, specs, events=len(events), invalid=list(engine.invalid))
    grouper = AlertGrouper.for_rules(specs)
    stats = None
    for result in engine.run_events(events, cancelled=cancelled, progress=progress):
        grouper.add(result)
        if result.error:
            kept = run.errors.setdefault(result.rule_id, [])
            if len(kept) < KEEP_PER_RULE:
                kept.append(result)
        elif result.matched:
            kept = run.matches.setdefault(result.rule_id, [])
            if len(kept) < KEEP_PER_RULE:
                kept.append(result)
    stats = engine.last_run
    run.cancelled = stats.partial
    run.done = stats.events if stats.partial else len(events)
    run.suspended = dict(stats.suspended)
    run.summary = grouper.summary()
    run.sources = {s.rule_id: rule_function_source(s.py_path) for s in specs}
    return run


def rule_function_source(py_path: Path, limit: int = 60) -> str:
    """The `def rule(event)` block of a rule file (what decides a match), or "" when it cannot be read."""
    try:
        lines = py_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    start = next((i for i, line in enumerate(lines) if line.startswith("def rule(")), None)
    if start is None:
        return ""
    end = next((i for i in range(start + 1, len(lines))
                if lines[i] and not lines[i][0].isspace() and not lines[i].startswith("#")), len(lines))
    block = lines[start:end]
    while block and not block[-1].strip():
        block.pop()
    return "\n".join(block[:limit]) + ("\n…" if len(block) > limit else "")


def _json(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False)
    except (TypeError, ValueError):
        return repr(value)


def _section(out: Text, title: str, body: str, style: str = "") -> None:
    out.append(f"\n{title}\n", style="bold underline")
    out.append_text(safe.text(body, style, single_line=False, limit=50_000))
    out.append("\n")


def shown_path(path: Path, root: Path | None) -> str:
    """`path` relative to the rules directory when it is inside it (shorter, and the same on every machine)."""
    try:
        return str(path.relative_to(root)) if root is not None else str(path)
    except ValueError:
        return str(path)


def describe_changes(changed: Iterable[str], added: Iterable[str] = (), removed: Iterable[str] = (),
                     root: Path | None = None, most: int = 3) -> str:
    """What changed on disk, in one line: "added x.yml; edited y.py; removed z.yml" (names relative to `root`)."""
    added, removed = set(added), set(removed)
    edited = [f for f in changed if f not in added and f not in removed]
    parts = []
    for verb, files in (("added", sorted(added)), ("edited", edited), ("removed", sorted(removed))):
        if files:
            names = ", ".join(shown_path(Path(f), root) for f in files[:most])
            parts.append(f"{verb} {names}" + (f" and {len(files) - most} more" if len(files) > most else ""))
    return "; ".join(parts)


def rule_info(spec: RuleSpec, run: RuleRun | None, root: Path | None = None) -> Text:
    """What the rule is, where it lives (relative to `root`, the rules directory), and what it did."""
    out = safe.join((spec.rule_id, "bold"), "  ", (spec.severity, "bold yellow"),
                    ("" if spec.enabled else "  (disabled)", "red"))
    out.append("\n")
    if spec.display_name:
        out.append_text(safe.text(spec.display_name, "italic"))
        out.append("\n")
    if spec.description:
        out.append_text(safe.text(spec.description.strip(), single_line=False, limit=2000))
        out.append("\n")
    out.append_text(safe.join(("file ", "dim"), shown_path(spec.py_path, root)))
    out.append("\n")
    out.append_text(safe.join(("log types ", "dim"), ", ".join(spec.log_types), ("   dedup ", "dim"),
                              f"{spec.dedup_period_minutes} min", ("   threshold ", "dim"), str(spec.threshold),
                              ("   unit tests ", "dim"), str(len(spec.tests))))
    if run is not None:
        s = run.summary.get(spec.rule_id, {})
        out.append("\n")
        out.append_text(safe.join(("on the sample ", "dim"), f"{s.get('events', 0):,} events, ",
                                  (f"{s.get('matches', 0):,} matched", "bold green" if s.get("matches") else ""),
                                  f", {s.get('dedup_groups', 0):,} dedup groups, ",
                                  (f"{s.get('alerts', 0):,} alerts", "bold" if s.get("alerts") else ""),
                                  (f", {s.get('errors', 0):,} errors", "bold red" if s.get("errors") else "")))
        suspended = run.suspended.get(spec.rule_id)
        if suspended is not None:
            out.append("\n")
            out.append_text(safe.join((f"suspended after {suspended.strikes} strikes", "bold red"),
                                      f": not run on {suspended.not_run:,} events; last: ",
                                      (suspended.reason, "red")))
        source = run.sources.get(spec.rule_id)
        if source:
            _section(out, "What decides a match", source, "cyan")
    return out


def result_detail(result: RuleResult) -> Text:
    """A match (title, dedup, severity, alert context) or an error (message, traceback), with the rule's
    captured output and the event it saw."""
    if result.error:
        out = safe.join(("✗ error  ", "bold red"), (result.rule_id, "bold"))
        out.append("\n")
        out.append_text(safe.text(result.error, "red", single_line=False, limit=4000))
        out.append("\n")
        if result.traceback:
            _section(out, "Traceback", result.traceback)
    else:
        out = safe.join(("✓ match  ", "bold green"), (result.rule_id, "bold"))
        out.append("\n")
        for label, value in (("title", result.title), ("dedup", result.dedup), ("severity", result.severity),
                             ("description", result.description), ("runbook", result.runbook),
                             ("reference", result.reference)):
            if value:
                out.append_text(safe.join((f"{label:<12}", "dim"), (str(value), "bold" if label == "title" else "")))
                out.append("\n")
        if result.destinations:
            out.append_text(safe.join(("destinations", "dim"), " " + ", ".join(result.destinations)))
            out.append("\n")
        if result.alert_context:
            _section(out, "Alert context", _json(result.alert_context))
    if result.stdout:
        _section(out, "Captured output (print)", result.stdout, "yellow")
    if result.event is not None:
        _section(out, "Event", _json(result.event))
    return out


def tests_detail(report: TestReport, rule_ids: Iterable[str] | None = None, root: Path | None = None) -> Text:
    """A unit-test report as Panther's CLI shows it: per rule, each case ✓/✗ with its error and functions."""
    wanted = set(rule_ids) if rule_ids else None
    rules = [r for r in report.rules if wanted is None or r.rule_id in wanted]
    cases = [c for r in rules for c in r.cases]
    ok = sum(c.passed for c in cases)
    out = safe.join((f"{'✓' if ok == len(cases) else '✗'} unit tests: {ok} of {len(cases)} passed",
                     "bold green" if ok == len(cases) else "bold red"))
    for r in rules:
        out.append("\n")
        out.append_text(safe.join(("\n" + r.rule_id, "bold"), (f"  {shown_path(r.path, root)}", "dim")))
        if not r.cases:
            out.append_text(safe.join(("\n  (no unit tests)", "dim")))
        for c in r.cases:
            out.append("\n")
            out.append_text(safe.join(("  ✓ " if c.passed else "  ✗ ", "green" if c.passed else "bold red"), c.name,
                                      (f"  expected {c.expected}, got {c.actual}", "dim")))
            if c.error:
                out.append("\n")
                out.append_text(safe.text("      " + c.error, "red", single_line=False, limit=4000))
            for fn in c.functions:
                if fn.error or not c.passed:
                    out.append("\n")
                    shown = fn.error or _json(fn.output)
                    out.append_text(safe.join(("      " + fn.name + ": ", "dim"), safe.plain(shown, limit=500)))
                if fn.traceback and not c.passed:
                    out.append("\n")
                    out.append_text(safe.text(fn.traceback, "red", single_line=False, limit=8000))
            if c.stdout:
                out.append("\n")
                out.append_text(safe.join(("      output: ", "dim"), (safe.plain(c.stdout, limit=2000), "yellow")))
    for inv in report.invalid:
        if wanted is None or getattr(inv, "rule_id", None) in wanted:
            out.append("\n")
            out.append_text(safe.join(("✗ invalid  ", "bold red"), getattr(inv, "message", str(inv))))
    return out
