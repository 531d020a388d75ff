"""What the Schema screen says in words (no widgets): its two status lines, the validation problems under the
editor, the toasts after an inference, and a schema-tests report. Names, values and messages come from the
logs or from files, so everything goes through `screens.shell.safe`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from screens.shell import safe
from workbench.wording import plural

if TYPE_CHECKING:
    from pathlib import Path

    from rich.text import Text
    from textual.notifications import SeverityLevel

    from screens.presenters.schema_support import RecordGroup
    from workbench.infer import InferenceResult
    from workbench.parse.schema_tests import SchemaTestReport
    from workbench.schema import Schema, SchemaProblem


def status_text(group: RecordGroup | None, schema: Schema | None, inference: InferenceResult | None,
                unsaved: bool, note: str) -> Text:
    """The two lines above the editor: what the schema is and where it came from, then a note or the next step."""
    if group is None:
        return safe.join(("No sample yet: ", "bold"),
                         "sample a prefix on Browse & sample (key 2); the inferred schema appears here.")
    out = safe.join(("Schema ", "bold"), (schema.name if schema else group.name, "bold cyan"),
                    f"  from {len(group.records):,} records")
    if group.saved is not None:
        out.append_text(safe.join(" (", ("saved file ", "dim"), str(group.saved), ")"))
    elif group.managed is not None:
        out.append_text(safe.join(" (", ("from Panther's ", "dim"), group.managed.stem, ")"))
    elif inference is not None:
        out.append_text(safe.join(f" ({inference.format}, {inference.events:,} events in {inference.shapes:,} shapes)"))
    if unsaved:
        out.append_text(safe.join(("  • unsaved", "bold yellow")))
    out.append("\n")
    if note:
        out.append_text(safe.text(note, "italic"))
    elif inference is not None and inference.notes:
        out.append_text(safe.join(("note: ", "dim"), "; ".join(inference.notes)))
    else:
        out.append_text(safe.join(("next: ", "dim"), "Ctrl+S saves · 4 Events · 5 Rules · ? help"))
    return out


def problems_text(problems: Sequence[SchemaProblem], schema: Schema | None, group: RecordGroup | None) -> Text:
    """The lines under the editor: the first validation problems with line:column, or that the schema is valid."""
    if not problems:
        if schema is not None:
            return safe.join(("✓ ", "bold green"), ("schema is valid", "dim"))
        return safe.text("validating…" if group is not None else "no schema yet", "dim")
    out = safe.join((f"✗ {plural(len(problems), 'problem')}", "bold red"),
                    ("  (Ctrl+N goes to the next)", "dim"))
    for p in problems[:4]:
        out.append("\n")
        out.append_text(safe.join((f"{p.line}:{p.column}  ", "bold"), p.message))
    return out


def inference_notices(result: InferenceResult) -> list[tuple[str, SeverityLevel]]:
    """(text, severity) toasts after an inference: the layout it started from (a detected one names Panther's
    managed schema), lines that do not fit, and the schema's warnings (no event time, a yearless one …)."""
    out: list[tuple[str, SeverityLevel]] = []
    if result.layout.startswith("detected:") and result.notes:
        out.append((f"Started from the detected layout. {result.notes[0]}", "information"))
    if result.off_layout:
        off = result.off_layout
        out.append((f"{off['lines']:,}/{off['total']:,} sampled lines do not fit the layout (see the notes).", "warning"))
    out += [(w, "warning") for w in result.warnings]
    return out


def start_notices(group: RecordGroup, result: InferenceResult | None) -> list[tuple[str, SeverityLevel]]:
    """(text, severity) toasts once the editor holds its starting text: what a managed start means, or what
    inference found (nothing for a saved file: it is the user's own)."""
    if group.managed is not None:
        managed = group.managed.stem
        if group.name != managed:
            return [(f"Started from Panther's managed {managed} schema (detected {group.detection.format}), named "
                     f"{group.name}: edit it, then Ctrl+S saves it as your own schema. To use the managed type as "
                     "is, map the prefix to it on Browse (m).", "information")]
        return [(f"This is Panther's managed {managed} schema (detected {group.detection.format}), parsing your "
                 "records as Panther would: to use it, map the prefix to it on Browse (m). Panther's parser for it "
                 "also runs code that a schema file cannot hold, so a custom copy (renamed Custom.…) may parse "
                 "differently.", "information")]
    return inference_notices(result) if result is not None and group.saved is None else []


def tests_report_text(report: SchemaTestReport, path: Path) -> Text:
    """A schema-tests run: the totals, then each test with its failure message, then problems with the file."""
    body = safe.join((f"{'✓' if report.ok else '✗'} {report.passed} passed, {report.failed} failed",
                      "bold green" if report.ok else "bold red"), (f"   {path}", "dim"))
    for r in report.results:
        body.append("\n")
        body.append_text(safe.join(("  ✓ " if r.passed else "  ✗ ", "green" if r.passed else "red"), r.name))
        if r.message:
            body.append("\n")
            body.append_text(safe.text("      " + r.message, "red", single_line=False, limit=2000))
    for problem in report.problems:
        body.append("\n")
        body.append_text(safe.join(("  ✗ ", "red"), problem))
    return body
