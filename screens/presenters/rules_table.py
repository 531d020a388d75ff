"""The Rules screen's rows and status line: one row per rule (severity, matched, alerts, errors, tests),
one row per match or error of the highlighted rule, the two-line status over the tables, and what the Rule
pane says when there is nothing to show. Rich text only; rule output goes through `screens.shell.safe`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from screens.presenters.rules_view import RuleRun, log_types_label
from screens.shell import safe
from workbench.wording import plural

if TYPE_CHECKING:
    from pathlib import Path

    from rich.text import Text

    from workbench.detections import RuleResult, RuleSpec

SEVERITY_STYLE = {"CRITICAL": "bold red", "HIGH": "red", "MEDIUM": "yellow", "LOW": "cyan", "INFO": "dim"}


def rule_cells(spec: RuleSpec, run: RuleRun) -> list[Text]:
    """A rule's row: id, severity, matched, alerts, errors (and whether it was suspended), unit tests."""
    matched, alerts, errors = (run.count(spec.rule_id, k) for k in ("matches", "alerts", "errors"))
    return [safe.cell(spec.rule_id, "bold" if matched else ""),
            safe.cell(spec.severity, SEVERITY_STYLE.get(spec.severity.upper(), "")),
            safe.cell(f"{matched:,}", "bold green" if matched else "dim"),
            safe.cell(f"{alerts:,}", "bold" if alerts else "dim"),
            safe.cell(f"{errors:,}" + (" suspended" if spec.rule_id in run.suspended else ""),
                      "bold red" if errors else "dim"),
            safe.cell(str(len(spec.tests)))]


def result_cells(result: RuleResult) -> list[Text]:
    """A match's row (✓, title, dedup, severity, event time) or an error's (✗, message, event time)."""
    when = result.event.get("p_event_time", "") if isinstance(result.event, dict) else ""
    if result.error:
        return [safe.cell("✗", "bold red"), safe.cell(result.error, "red", limit=200), safe.cell(""),
                safe.cell(""), safe.cell(str(when)[:19])]
    return [safe.cell("✓", "green"), safe.cell(result.title or "", limit=200),
            safe.cell(result.dedup or "", limit=80),
            safe.cell(result.severity or "", SEVERITY_STYLE.get((result.severity or "").upper(), "")),
            safe.cell(str(when)[:19])]


def empty_note(events: int, run: RuleRun | None, rules_dir: Path | None) -> str:
    """What the Rule pane says when no rule is highlighted."""
    if not events:
        return ("No parsed events yet. Sample a prefix (key 2), then accept a schema on the Schema screen "
                "(key 3): its events are what the rules run on.")
    if run is not None and not run.specs:
        return f"No enabled rule has LogTypes {', '.join(run.log_types)} in {rules_dir}."
    return ""


def status_text(run: RuleRun | None, events: int, objects: str, note: str) -> Text:
    """The status over the tables: what the last run found (or the session's events before one), the sampled
    objects that gave fewer events than they hold, then the note, a load error or the keys."""
    if run is None:
        out = safe.join(("Rules ", "bold"), f"{events:,} events in the session" if events else "no events yet")
    else:
        matched = sum(run.count(s.rule_id, "matches") for s in run.specs)
        alerts = sum(run.count(s.rule_id, "alerts") for s in run.specs)
        errors = sum(run.count(s.rule_id, "errors") for s in run.specs)
        firing = sum(1 for s in run.specs if run.count(s.rule_id, "matches"))
        out = safe.join(("Rules ", "bold"), (log_types_label(run.log_types), "bold cyan"),
                        f"  {plural(len(run.specs), 'rule')} over {run.events:,} events: ",
                        (f"{firing} fire", "bold green" if firing else ""), f", {matched:,} matches, {alerts:,} alerts, ",
                        (f"{errors:,} errors", "bold red" if errors else ""))
        if run.invalid:
            out.append_text(safe.join((f"  {plural(len(run.invalid), 'rule file')} failed to load", "bold red")))
    if objects:  # the events came from a sample: say which objects gave fewer events than they hold
        out.append_text(safe.join("  objects: ", (objects, "yellow")))
    out.append("\n")
    if note:
        out.append_text(safe.text(note, "italic"))
    elif run is not None and run.invalid:
        out.append_text(safe.join(("load error: ", "red"), run.invalid[0].message))
    else:
        out.append_text(safe.join(("keys: ", "dim"), "r run · u unit tests · o open in $EDITOR · ? help"))
    return out
