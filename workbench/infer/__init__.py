"""Explained schema inference: sampled records → a Panther schema, a reason for every decision, field statistics.

How it works, and why it is fast:
1. Records are read as JSON objects, or (for text logs) split by an inferred csv / fastmatch / regex parser
   into flat rows of strings.
2. Events are de-duplicated by *shape* (keys, value types, nested shapes, where strings are empty). Many
   events share a shape, so the costly work runs once per shape: genson merges one representative per
   shape into the structure, and exact presence / null / type counts are the representative's times the
   shape's count.
3. Value-level typing (timestamps, numeric strings, booleans, embedded JSON, indicators) and value
   statistics look at the values of a bounded uniform sample of events plus every shape's representative.
4. Our layer maps the merged structure to Panther types with Panther's lattice (conflicts → string or json,
   with a note), picks `required` from exact counts, and chooses event-time fields by coverage.
"""


from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

import orjson

from workbench.infer.engine import DEFAULT_NAME, STRUCTURE_SAMPLE, VALUE_SAMPLE, InferenceResult, _Engine
from workbench.infer.shapes import _fmt
from workbench.infer.text import infer_text, off_layout_note
from workbench.model import Record
from workbench.schema import Schema
from workbench.schema.advice import schema_warnings
from workbench.schema.timeformats import ns_to_text

# --- public API --------------------------------------------------------------------------------------------

def custom_name_for(log_type: str) -> str:
    """The name an inferred schema for `log_type` gets: the log type itself when it is custom, else
    `Custom.<log type>`. A schema named like a managed type (AWS.CloudTrail) would be parsed with that
    type's managed steps, which an inferred schema's fields do not follow, and Panther accepts uploaded
    schemas only under `Custom.` names."""
    return log_type if log_type.startswith("Custom.") else f"Custom.{log_type}"


def infer_events(events: list[dict], name: str = DEFAULT_NAME, *, value_sample: int = VALUE_SAMPLE,
                 structure_sample: int | None = STRUCTURE_SAMPLE, parser: dict | None = None, text_mode: bool = False,
                 description: str | None = None) -> InferenceResult:
    """Infer from already-parsed JSON objects (or text rows of strings when `text_mode`).

    `structure_sample=None` counts the structure of every event exactly (slower on very large inputs).
    """
    engine = _Engine(events, text_mode=text_mode, value_sample=value_sample, structure_sample=structure_sample)
    fields = engine.run() if events else ()
    if not fields:
        raise_empty = "No field could be inferred: every sampled value was null or empty."
        from workbench.errors import WorkbenchError

        raise WorkbenchError(raise_empty if events else "No records to infer a schema from.")
    schema = Schema(name=name, fields=fields, description=description, parser=parser)
    warnings = schema_warnings(schema)
    return InferenceResult(warnings=warnings, schema=schema, explanations=engine.explanations, stats=engine.stats,
                           events=len(events), shapes=len(engine.shapes), values_examined_events=engine.examined,
                           notes=engine.notes, structure_examined_events=engine.total)


def infer_schema(records: Iterable[Record | str], name: str = DEFAULT_NAME, *, value_sample: int = VALUE_SAMPLE,
                 description: str | None = None) -> InferenceResult:
    """Records → InferenceResult (`.schema`, `.explanations`, `.stats`, `.to_json()`).

    JSON objects give a JSON schema; otherwise a CSV header, a space-separated layout (fastmatch) or, as
    a last resort, a regex is inferred and becomes the schema's `parser`.
    """
    from workbench.errors import WorkbenchError

    texts: list[str] = []
    first_lines: list[str] = []
    for r in records:
        text = r.text if isinstance(r, Record) else str(r)
        t = text.strip()
        if not t:
            continue
        if isinstance(r, Record) and r.line == 1:
            first_lines.append(t)
        texts.append(t)
    if not texts:
        raise WorkbenchError("No records to infer a schema from (the sample is empty or all lines are blank).")
    events: list[dict] = []
    other = 0
    candidates = texts
    if len(texts) > STRUCTURE_SAMPLE and sum(1 for t in texts if t[0] == "{") > 0.5 * len(texts):
        # JSON: decode only the uniform sample the engine would keep anyway
        candidates = random.Random(0).sample(texts, STRUCTURE_SAMPLE)
    for t in candidates:
        if t[0] == "{":
            try:
                v = orjson.loads(t)
            except orjson.JSONDecodeError:
                other += 1
                continue
            if type(v) is dict:
                events.append(v)
                continue
        other += 1
    notes: list[str] = []
    if events and len(events) >= 0.5 * len(candidates):
        result = infer_events(events, name, value_sample=value_sample, description=description)
        result.format = "json"
        managed = _managed_json_type(events)
        if managed:
            result.managed_schema = managed
            notes.append(f"These are {managed} events (format detection): Panther's managed schema {managed} reads "
                         "them; use it instead of a custom schema where it fits.")
        if other:
            notes.append(f"{_fmt(other)} of {_fmt(len(candidates))} records examined are not JSON objects and were left out.")
    else:
        found = infer_text(texts, first_lines)
        result = infer_events(found.rows, name, value_sample=value_sample, parser=found.parser, text_mode=True,
                              description=description)
        order = {n: i for i, n in enumerate(found.order())}
        result.schema = replace(result.schema,
                                fields=tuple(sorted(result.schema.fields, key=lambda f: order.get(f.name, len(order)))))
        result.format = found.format
        result.layout = found.layout
        result.managed_schema = found.managed_schema
        result.off_layout = found.off_layout
        notes += found.notes
        if found.off_layout:
            notes.append(off_layout_note(found.off_layout))
    result.records = len(texts)
    result.notes = notes + result.notes
    return result


def _managed_json_type(events: list[dict], probe: int = 200) -> str | None:
    """The managed log type most of the (spread-sampled) events are, by detection's JSON signatures."""
    from workbench.source.signatures import match_json, shipped_log_types

    step = max(1, len(events) // probe)
    seen = [match_json(e) for e in events[::step]]
    kinds = Counter(s.log_type for s in seen if s is not None)
    if not kinds:
        return None
    kind, n = kinds.most_common(1)[0]
    return kind if n >= 0.8 * len(seen) and kind in shipped_log_types() else None


def describe(result: InferenceResult) -> str:
    """A plain-text explanation report: one line per field path, then the notes."""
    lines = [f"{result.schema.name}: {result.format}, {_fmt(result.events)} events in {_fmt(result.shapes)} shapes; "
             f"values examined in {_fmt(result.values_examined_events)} events"]
    width = max((len(p) for p in result.explanations), default=10)
    for p, text in result.explanations.items():
        lines.append(f"  {p.ljust(width)}  {text}")
    lines += [f"note: {n}" for n in result.notes]
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


__all__ = ["InferenceResult", "custom_name_for", "describe", "infer_events", "infer_schema", "ns_to_text", "shape_of"]
