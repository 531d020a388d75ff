"""The Browse & sample screen's words: prefix-tree labels, the sample's status line, each detected group's
label and notes, a record's text, and what `m` would map (Rich text from core results, no widgets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from screens.presenters.detection_view import GroupView
from screens.shell import safe
from workbench.files import human_size
from workbench.wording import plural

if TYPE_CHECKING:
    from rich.text import Text

    from workbench.model import Record
    from workbench.source.formats import Detection
    from workbench.source.prefixes import Folder
    from workbench.source.sampling import SampleResult

DETAIL_RECORDS = 500  # records of a group listed in its detail view


@dataclass(frozen=True)
class GroupNote:
    """A group's "why:" or "suggests:" leaf: a tree row is one line (cut at the pane's edge), so the whole
    text shows below the tree when the leaf is highlighted, and in a detail view on Enter."""

    label: str
    body: str  # not `text`: records are told apart from notes by that attribute
    view: GroupView


def mapping_hint(detection: Detection | None) -> str:
    """What `m` would do for this detection ('' when there is nothing to map)."""
    from workbench.prefix_mapping import literal_prefix

    if detection is None or not detection.managed_schema:
        return ""
    prefix = literal_prefix(detection.pattern)
    if not prefix:
        return ""
    if detection.managed_schema in detection.log_types:
        return f"{prefix} is mapped to {detection.managed_schema}"
    return f"maps {prefix} to {detection.managed_schema} in the config"


# -- the prefix tree -------------------------------------------------------------------------------------------
def folder_label(folder: Folder) -> Text:
    return safe.join((folder.name + "/", "bold" if folder.kind is None else ""),
                     *(((f"  {folder.kind}", "dim italic"),) if folder.kind else ()))


def date_fold_label(dates: list[Folder]) -> Text:
    """The one node that stands for many date partitions at one level."""
    first, last = dates[0], dates[-1]
    return safe.join(("▸ ", "dim"), (f"{len(dates)} date partitions ", "italic"), f"{first.name} … {last.name}")


# -- the sample ------------------------------------------------------------------------------------------------
def sample_status(where: str, result: SampleResult | None) -> Text:
    """The status line over the sample: the prefix before one is taken, then what the sample read."""
    if result is None:
        return safe.join(("Prefix ", "bold"), where, ("   s", "bold"), " samples it")
    from workbench.events.outcomes import ObjectOutcomes

    objects = ObjectOutcomes.of_sample(result).summary()
    calls = plural(result.list_calls, "list call")
    return safe.join(
        ("Sample ", "bold"), f"{len(result.objects)} of {result.listed} objects, {len(result.records):,} records, "
        f"{human_size(result.bytes_read)} read, {len(result.failures)} failed, {calls}, "
        f"{result.elapsed:.1f}s" + (" (cancelled)" if result.cancelled else "")
        + (f"; {objects}" if objects else ""))


def _confidence(view: GroupView) -> str:
    return f"{view.confidence:.0%}" if view.confidence is not None else "—"


def group_label(view: GroupView) -> Text:
    keys = len({r.key for r in view.records})
    return safe.join((view.format, "bold"), f"  confidence {_confidence(view)}  ", (view.pattern, "italic"),
                     (f"  {len(view.records)} records / {keys} objects", "dim"))


def note_text(note: GroupNote) -> Text:
    """A group's note in full, under the group's heading."""
    view = note.view
    out = safe.join((f"{view.format}", "bold"), f"  confidence {_confidence(view)}  ", (view.pattern, "italic"),
                    "\n", (f"{note.label}: ", "bold"))
    out.append_text(safe.text(note.body, single_line=False, limit=20_000))
    return out


def record_text(record: Record) -> Text:
    """A highlighted record: where it came from, its flags, and its raw text."""
    head = safe.join((f"s3://{record.bucket}/{record.key}", "bold"), f"  line {record.line}",
                     *(((f"  flags: {', '.join(record.flags)}", "yellow"),) if record.flags else ()), "\n")
    head.append_text(safe.text(record.text, single_line=False, limit=20_000))
    return head


def record_detail(record: Record, view: GroupView) -> tuple[str, str]:
    """Title and text of the detail view of a record: it in full, then the other records of its group."""
    others = [r for r in view.records if r is not record]
    parts = [f"s3://{record.bucket}/{record.key}  line {record.line}"
             + (f"  flags: {', '.join(record.flags)}" if record.flags else ""), "", record.text, "",
             f"— the other {plural(len(others), 'record')} of this group ({view.format}, {view.pattern}) —"]
    for r in others[:DETAIL_RECORDS]:
        parts += ["", f"{r.key}:{r.line}" + (f"  flags: {', '.join(r.flags)}" if r.flags else ""), r.text[:2000]]
    if len(others) > DETAIL_RECORDS:
        parts.append(f"\n… and {len(others) - DETAIL_RECORDS:,} more (the Schema screen's Samples tab has them all)")
    return f"Record {record.key.rsplit('/', 1)[-1]}:{record.line}", "\n".join(parts)
