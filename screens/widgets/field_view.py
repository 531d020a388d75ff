"""UI glue: one `FieldView` per schema field, pairing the field's declared type with the inference statistics
and explanation (`workbench.infer.InferenceResult.stats` / `.explanations`) recorded for its path.

The statistics are read by attribute or key so the panel shows whatever the core recorded (presence, type
counts, top values, min/max, numeric or time samples) and leaves out what it did not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workbench.schema import walk_fields


@dataclass(slots=True)
class FieldView:
    path: str
    type: str
    required: bool = False
    presence: float | None = None  # share of records holding the field (0..1)
    count: int | None = None
    types: dict[str, int] = field(default_factory=dict)  # observed value kinds -> count
    top: list[tuple[Any, int]] = field(default_factory=list)
    minimum: Any = None
    maximum: Any = None
    histogram: list[int] = field(default_factory=list)  # counts per bucket, lowest first
    distinct: int | None = None
    explanation: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping):
            if name in obj and obj[name] is not None:
                return obj[name]
        else:
            value = getattr(obj, name, None)
            if value is not None:
                return value
    return None


def _lookup(collection: Any, path: str) -> Any:
    """The entry for `path` in a mapping keyed by path, or in a list of entries carrying `.path`."""
    if collection is None:
        return None
    if isinstance(collection, Mapping):
        for key in (path, path.replace("[]", ""), tuple(path.split("."))):
            if key in collection:
                return collection[key]
        return None
    for item in collection:
        if _get(item, "path", "field", "name") == path:
            return item
    return None


def _pairs(value: Any) -> list[tuple[Any, int]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return sorted(value.items(), key=lambda kv: -kv[1] if isinstance(kv[1], int | float) else 0)
    out = []
    for item in value:
        if isinstance(item, tuple | list) and len(item) == 2:
            out.append((item[0], item[1]))
        else:
            v = _get(item, "value")
            n = _get(item, "count")
            out.append((v if v is not None else item, n if n is not None else 0))
    return out


def _explanation(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return "\n".join(_explanation(v) for v in value)
    text = _get(value, "text", "reason", "message", "explanation", "why")
    return str(text) if text is not None else str(value)


def _histogram(stats: Any) -> list[int]:
    h = _get(stats, "histogram", "buckets")
    if h is None:
        return []
    counts = [_get(b, "count") if not isinstance(b, int | float) else b for b in h]
    return [int(c or 0) for c in counts]


def field_views(schema: Any, result: Any = None) -> list[FieldView]:
    """Every field of `schema` (depth first, arrays as `path[]`), with its statistics from `result`."""
    if schema is None:
        return []
    stats_all = _get(result, "stats", "field_stats") if result is not None else None
    if stats_all is not None and not isinstance(stats_all, Mapping | list | tuple):
        stats_all = _get(stats_all, "fields", "by_path")
    explanations = _get(result, "explanations", "explain") if result is not None else None
    records = _get(stats_all, "records") if isinstance(stats_all, Mapping) else None
    out = []
    for path, f in walk_fields(schema.fields):
        view = FieldView(path, f.type, f.required)
        st = _lookup(stats_all, path)
        if st is not None:
            presence = _get(st, "presence", "present_ratio")
            count = _get(st, "count", "present")
            total = _get(st, "total", "records") or records
            if presence is None and isinstance(count, int) and isinstance(total, int) and total:
                presence = count / total
            view.presence = float(presence) if isinstance(presence, int | float) else None
            view.count = count if isinstance(count, int) else None
            view.types = dict(_pairs(_get(st, "types", "type_counts", "kinds")))
            view.top = _pairs(_get(st, "top", "top_values", "top_hits"))[:10]
            view.minimum = _get(st, "min", "minimum", "earliest")
            view.maximum = _get(st, "max", "maximum", "latest")
            view.histogram = _histogram(st)
            distinct = _get(st, "distinct", "cardinality")
            view.distinct = distinct if isinstance(distinct, int) else None
        view.explanation = _explanation(_lookup(explanations, path))
        out.append(view)
    return out
