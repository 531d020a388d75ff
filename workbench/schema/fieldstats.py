"""Per-field statistics for inference: presence, nulls, distinct values, top values, ranges, examples, type counts.

Counts of presence, nulls, empties and JSON types are exact (taken from de-duplicated shapes times their
counts). Value statistics (distinct, top, min/max, examples) come from the values inference examined;
`values_examined` says how many, so a reader can tell exact figures from sampled ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

EXAMPLE_CHARS = 120
TOP_N = 5


def _clip(v: Any) -> Any:
    if isinstance(v, str) and len(v) > EXAMPLE_CHARS:
        return v[: EXAMPLE_CHARS - 1] + "…"
    return v


@dataclass(slots=True)
class PathCounts:
    """Exact counts for one field path over all events (array elements counted once per event)."""

    types: Counter = field(default_factory=Counter)  # json type -> events: string int float bool object array null
    empty: int = 0  # empty strings
    keysets: Counter | None = None  # for objects: frozenset(keys) -> events

    @property
    def present(self) -> int:
        return sum(n for t, n in self.types.items() if t != "null")

    @property
    def nulls(self) -> int:
        return self.types.get("null", 0)


@dataclass(slots=True)
class FieldStats:
    path: str
    total: int  # events
    parent: int  # occurrences of the enclosing object (= total at top level)
    present: int
    nulls: int
    empty: int
    types: dict[str, int]
    values_examined: int = 0
    distinct: int = 0
    top: list[tuple[Any, int]] = field(default_factory=list)
    minimum: Any = None
    maximum: Any = None
    earliest: str | None = None
    latest: str | None = None
    examples: list[Any] = field(default_factory=list)

    @property
    def presence_pct(self) -> float:
        return round(100.0 * self.present / self.total, 2) if self.total else 0.0

    @property
    def null_pct(self) -> float:
        seen = self.present + self.nulls
        return round(100.0 * self.nulls / seen, 2) if seen else 0.0

    def fill_values(self, values: list[Any]) -> Counter:
        """Value statistics from the examined values (scalars only); returns the value counter."""
        c = Counter(values)
        self.values_examined = len(values)
        self.distinct = len(c)
        self.top = [(_clip(v), n) for v, n in c.most_common(TOP_N)]
        nums = [v for v in c if type(v) in (int, float)]
        if nums:
            self.minimum, self.maximum = min(nums), max(nums)
        self.examples = [_clip(v) for v in list(c)[:3]]
        return c

    def to_json(self) -> dict:
        out = {
            "path": self.path, "events": self.total, "present": self.present, "presence_pct": self.presence_pct,
            "nulls": self.nulls, "null_pct": self.null_pct, "empty_strings": self.empty,
            "types": dict(self.types), "values_examined": self.values_examined, "distinct": self.distinct,
            "top": [[v, n] for v, n in self.top], "examples": self.examples,
        }
        if self.parent != self.total:
            out["parent_occurrences"] = self.parent
        if self.minimum is not None:
            out["min"], out["max"] = self.minimum, self.maximum
        if self.earliest is not None:
            out["earliest"], out["latest"] = self.earliest, self.latest
        conflicts = {t: n for t, n in self.types.items() if t != "null"}
        if len(conflicts) > 1:
            out["conflicting_types"] = conflicts
        return out
