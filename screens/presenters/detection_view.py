"""UI glue: pair the detector's groups (`workbench.source.formats.Detection`) with the sampled records they describe,
so the Browse screen lists each group with its format, confidence, reason, suggestion and raw records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbench.model import Record

if TYPE_CHECKING:
    from workbench.source.formats import Detection
    from workbench.source.sampling import SampleResult


@dataclass(slots=True)
class GroupView:
    pattern: str
    format: str
    confidence: float | None
    reason: str
    records: list[Record] = field(default_factory=list)
    suggestion: str = ""
    detection: Detection | None = None  # the core's, untouched, for other screens


def group_views(result: SampleResult, detections: list[Detection]) -> list[GroupView]:
    """One row per detection with the sample's records of its key pattern (records of a mixed group are
    shown under each of its formats)."""
    from workbench.source.partitions import key_pattern

    by_pattern: dict[str, list[Record]] = {}
    for r in result.records:
        by_pattern.setdefault(key_pattern(r.key), []).append(r)
    if not detections:
        return [GroupView(p, "not detected", None, "no detection for this group", recs)
                for p, recs in sorted(by_pattern.items())]
    out = []
    for d in detections:
        parts = [f"parser {d.parser}"] if d.parser else []
        if d.managed_schema:
            parts.append(f"managed schema {d.managed_schema}")
        if d.log_types:
            parts.append("configured as " + ", ".join(d.log_types))
        if d.flags:
            parts.append("flags " + ", ".join(f"{k}×{v}" for k, v in d.flags.items()))
        out.append(GroupView(d.pattern, d.format, d.confidence, d.reason, by_pattern.get(d.pattern, []),
                             "; ".join(parts), d))
    return out
