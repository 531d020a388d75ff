"""UI glue: one `FieldView` per schema field, pairing the field's declared type with what inference recorded
for its path (`workbench.infer.InferenceResult.stats` / `.explanations`), plus a histogram of the field's
numbers or times in the latest parsed events (drawn for the highlighted field only).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from screens.widgets.histogram import bucket_counts
from workbench.schema.names import column_name

if TYPE_CHECKING:
    from workbench.infer import InferenceResult
    from workbench.schema import Field, Schema
    from workbench.schema.fieldstats import FieldStats

NUMERIC = ("int", "smallint", "bigint", "float")
HISTOGRAM_BUCKETS = 24
HISTOGRAM_EVENTS = 20_000  # events read for one field's histogram


@dataclass(slots=True)
class FieldView:
    path: str
    type: str
    required: bool = False
    stats: FieldStats | None = None  # when inference saw the path
    explanation: str = ""
    stored: str = ""  # the path as stored (column names normalised as Panther's data lake does); "" = same

    @property
    def stored_path(self) -> str:
        return self.stored or self.path

    @property
    def presence(self) -> float | None:
        return self.stats.present / self.stats.total if self.stats is not None and self.stats.total else None


def _walk(fields: Iterable[Field], prefix: str = "", source_prefix: str = "", stored_prefix: str = ""
          ) -> Iterator[tuple[str, str, str, Field]]:
    """(path, path in the logs, stored path, field) depth first, as `walk_fields` names paths; the second path
    follows `rename: {from: …}`, which is where inference recorded a renamed field's statistics; the third has
    each name normalised as Panther's data lake stores it."""
    for f in fields:
        source = (f.extra.get("rename") or {}).get("from") or f.name
        path = f"{prefix}.{f.name}" if prefix else f.name
        source_path = f"{source_prefix}.{source}" if source_prefix else source
        stored = f"{stored_prefix}.{column_name(f.name)}" if stored_prefix else column_name(f.name)
        yield path, source_path, stored, f
        if f.fields:
            yield from _walk(f.fields, path, source_path, stored)
        el = f.element
        while el is not None:
            path, source_path, stored = path + "[]", source_path + "[]", stored + "[]"
            if el.fields:
                yield from _walk(el.fields, path, source_path, stored)
            el = el.element


def field_views(schema: Schema | None, result: InferenceResult | None = None) -> list[FieldView]:
    """Every field of `schema` (depth first, arrays as `path[]`), with its statistics from `result`."""
    if schema is None:
        return []
    stats = result.stats if result is not None else {}
    explanations = result.explanations if result is not None else {}
    return [FieldView(path, f.type, f.required, stats.get(path, stats.get(source)),
                      explanations.get(path, explanations.get(source, "")), stored if stored != path else "")
            for path, source, stored, f in _walk(schema.fields)]


def _values(events: list[dict], path: str) -> list[Any]:
    """Scalar values at a dotted path (`a[].b` walks arrays) in the events."""
    parts = path.split(".")
    out: list[Any] = []

    def walk(v: Any, i: int) -> None:
        if i == len(parts):
            if isinstance(v, list):
                out.extend(x for x in v if not isinstance(x, dict | list))
            elif v is not None:
                out.append(v)
            return
        name = parts[i]
        array = name.endswith("[]")
        name = name.removesuffix("[]")
        if not isinstance(v, dict) or name not in v:
            return
        child = v[name]
        if array and isinstance(child, list):
            for item in child:
                walk(item, i + 1)
        else:
            walk(child, i + 1)

    for e in events[:HISTOGRAM_EVENTS]:
        walk(e, 0)
    return out


def _epoch(text: Any) -> float | None:
    if not isinstance(text, str) or len(text) < 19:
        return None
    try:
        return datetime.fromisoformat(text[:19].replace(" ", "T") + "+00:00").timestamp()
    except ValueError:
        return None


def histogram(view: FieldView, events: list[dict]) -> tuple[list[int], str, str] | None:
    """(counts per bucket, low label, high label) of a number or timestamp field's values, or None."""
    if view.type == "timestamp":
        raw = [v for v in _values(events, view.stored_path) if isinstance(v, str)]
        points = [t for t in map(_epoch, raw) if t is not None]
        if len(points) < 2:
            return None
        counts, lo, hi = bucket_counts(points, HISTOGRAM_BUCKETS)
        return counts, min(raw)[:19], max(raw)[:19]
    if view.type in NUMERIC:
        points = [float(v) for v in _values(events, view.stored_path)
                  if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(points) < 2:
            return None
        counts, lo, hi = bucket_counts(points, HISTOGRAM_BUCKETS)
        return counts, f"{lo:g}", f"{hi:g}"
    return None
