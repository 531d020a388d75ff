"""The inference engine: merged structure + sampled values → Panther fields, with a reason for every decision.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from genson import SchemaBuilder

from workbench.infer.decide import indicator_decision, mixed_time_decision, time_decision
from workbench.infer.eventtime import mark_event_time
from workbench.infer.shapes import (
    _BOOL_WORDS,
    _FIELD_NAME,
    _FLOAT_TEXT,
    _INT_TEXT,
    _array_items,
    _collect_values,
    _count_paths,
    _fmt,
    _id_hint,
    _object_props,
    _shallow_enough,
    _time_hint,
    shape_of,
)
from workbench.schema import Field, Schema, dump_schema
from workbench.schema.fieldstats import FieldStats, PathCounts
from workbench.schema.timeformats import unix_unit

DEFAULT_NAME = "Custom.Inferred"
VALUE_SAMPLE = 5000  # events whose values are examined (plus one per shape)
STRUCTURE_SAMPLE = 20000  # events whose structure is counted exactly; more are sampled uniformly (None = all)
MAX_OBJECT_FIELDS = 200  # Panther: wider objects become json
MAX_DISTINCT_CHECK = 20000  # distinct string values checked per field for formats and indicators
RECUR_SHARE = 0.8  # an object stays an object when its commonest key is in at least this share of them

# --- result ------------------------------------------------------------------------------------------------

@dataclass
class InferenceResult:
    """The inferred schema with an explanation and statistics per field path (dotted; arrays as `a[]`)."""

    schema: Schema
    explanations: dict[str, str]
    stats: dict[str, FieldStats]
    format: str = "json"
    records: int = 0
    events: int = 0
    shapes: int = 0
    values_examined_events: int = 0
    notes: list[str] = field(default_factory=list)
    structure_examined_events: int = 0
    layout: str = ""  # text logs: how the layout was found (csv-header, detected:<id>, inferred-header, …)
    managed_schema: str | None = None  # a Panther managed schema that reads this data, when detection knows one
    off_layout: dict | None = None  # text lines that do not fit the layout: counts and examples
    warnings: list[str] = field(default_factory=list)  # what the user must not miss (no event time, …)

    def to_json(self) -> dict:
        paths = list(dict.fromkeys([*self.explanations, *self.stats]))
        return {
            "schema": self.schema.to_dict(),
            "schema_yaml": dump_schema(self.schema),
            "format": self.format,
            "records": self.records,
            "events": self.events,
            "shapes": self.shapes,
            "values_examined_events": self.values_examined_events,
            "structure_examined_events": self.structure_examined_events,
            "notes": self.notes,
            "warnings": self.warnings,
            "layout": self.layout,
            "managed_schema": self.managed_schema,
            "off_layout": self.off_layout,
            "fields": {
                p: {"explanation": self.explanations.get(p, ""), **(self.stats[p].to_json() if p in self.stats else {})}
                for p in paths
            },
        }


# --- the engine --------------------------------------------------------------------------------------------

class _Engine:
    def __init__(self, events: list[dict], *, text_mode: bool = False, value_sample: int = VALUE_SAMPLE,
                 structure_sample: int | None = STRUCTURE_SAMPLE, prefix: str = "", seed: int = 0,
                 unit: str = "events"):
        self.text_mode = text_mode
        self.unit = unit
        self.prefix = prefix
        self.explanations: dict[str, str] = {}
        self.stats: dict[str, FieldStats] = {}
        self.notes: list[str] = []
        self.population = len(events)
        if structure_sample is not None and len(events) > structure_sample:
            # Like Panther's console, infer from a sample: a uniform one, large enough that presence and
            # required-ness are reliable, and every figure below says it is about the examined events.
            events = random.Random(seed).sample(events, structure_sample)
            self.notes.append(f"Structure, counts and required-ness come from a uniform sample of "
                              f"{_fmt(len(events))} of {_fmt(self.population)} events.")
        self.total = len(events)
        shapes: dict[Any, list] = {}
        too_deep = 0
        for e in events:
            try:
                k = shape_of(e)
            except RecursionError:
                too_deep += 1  # a value nested hundreds of levels deep: left out, and said so
                continue
            hit = shapes.get(k)
            if hit is None:
                shapes[k] = [1, e]
            else:
                hit[0] += 1
        self.shapes = shapes
        builder = SchemaBuilder()
        self.counts: dict[str, PathCounts] = {}
        for key, (c, rep) in list(shapes.items()):
            try:
                probe = SchemaBuilder()
                probe.add_object(rep)  # genson recurses deeper than shape_of: try on its own first
                counts: dict[str, PathCounts] = {}
                for k, x in rep.items():
                    _count_paths(x, k, c, counts)
            except RecursionError:
                too_deep += c
                del shapes[key]
                continue
            builder.add_schema(probe.to_schema())
            for p, pc in counts.items():
                mine = self.counts.get(p)
                if mine is None:
                    self.counts[p] = pc
                else:
                    mine.types.update(pc.types)
                    mine.empty += pc.empty
                    if pc.keysets:
                        if mine.keysets is None:
                            mine.keysets = Counter()
                        mine.keysets.update(pc.keysets)
        if too_deep:
            self.notes.append(f"{_fmt(too_deep)} events nest too deeply to analyse and were left out.")
            self.total -= too_deep
        self.structure = builder.to_schema()
        # value sample: a uniform reservoir plus every shape's representative, so rare shapes are typed too
        if too_deep:
            kept = {id(rep) for _, rep in shapes.values()}
            events = [e for e in events if id(e) in kept] + [
                e for e in events if id(e) not in kept and _shallow_enough(e)]
        if len(events) <= value_sample:
            sample = events
        else:
            rng = random.Random(seed)
            sample = rng.sample(events, value_sample)
            seen = {id(e) for e in sample}
            sample += [rep for _, rep in shapes.values() if id(rep) not in seen]
        self.examined = len(sample)
        self.values: dict[str, list] = defaultdict(list)
        for e in sample:
            _collect_values(e, "", self.values)

    # -- public --
    def run(self) -> tuple[Field, ...]:
        fields = self._object_fields(_object_props(self.structure), "", self.total)
        if self.prefix:
            return fields
        return mark_event_time(fields, list(self.shapes.values()), self.total, self.explanations, self.notes)

    # -- helpers --
    def _full(self, path: str) -> str:
        return f"{self.prefix}.{path}" if self.prefix and path else (self.prefix or path)

    def _explain(self, path: str, text: str) -> None:
        self.explanations[self._full(path)] = text

    def _stats_for(self, path: str, parent: int) -> FieldStats:
        pc = self.counts.get(path) or PathCounts()
        st = FieldStats(path=self._full(path), total=self.total, parent=parent, present=pc.present, nulls=pc.nulls,
                        empty=pc.empty, types=dict(pc.types))
        self.stats[st.path] = st
        return st

    def _object_fields(self, props: dict, prefix: str, parent_count: int) -> tuple[Field, ...]:
        out = []
        used: set[str] = set()
        for key, node in props.items():
            path = f"{prefix}.{key}" if prefix else key
            if not prefix and not self.prefix and key.startswith("p_"):
                self._explain(path, "input field named p_… → not declared: Panther generates its p_ fields itself "
                                    "and input values never override them")
                self.notes.append(f"Input field {key!r} left out: p_ names are reserved for Panther's own fields.")
                continue
            f = self._field(key, path, node, parent_count)
            if f is not None:
                out.append(_keyed(f, key, used))
        return self._case_duplicates(tuple(out), prefix)

    def _case_duplicates(self, fields: tuple[Field, ...], prefix: str) -> tuple[Field, ...]:
        """Sibling names that differ only by case collide in the data lake: keep the commonest, say so."""
        groups: dict[str, list[Field]] = defaultdict(list)
        for f in fields:
            groups[f.name.lower()].append(f)
        drop: set[str] = set()
        for same in groups.values():
            if len(same) < 2:
                continue

            def present(f: Field) -> int:
                st = self.stats.get(self._full(f"{prefix}.{f.name}" if prefix else f.name))
                return st.present if st else 0
            keep = max(same, key=present)
            for f in same:
                if f is not keep:
                    drop.add(f.name)
                    path = f"{prefix}.{f.name}" if prefix else f.name
                    self._explain(path, f"present in {_fmt(present(f))} events; differs from {keep.name!r} (in "
                                        f"{_fmt(present(keep))}) only by case → left out: column names are case-insensitive "
                                        "in the data lake, the two would collide")
                    self.notes.append(f"{self._full(path)!r} left out: it differs from {keep.name!r} only by case "
                                      f"(present in {_fmt(present(f))} vs {_fmt(present(keep))} events).")
        return tuple(f for f in fields if f.name not in drop)

    def _presence_text(self, st: FieldStats, parent_count: int) -> str:
        where = self.unit if parent_count == self.total else "parent objects"
        return f"present in {_fmt(st.present)}/{_fmt(parent_count)} {where}" + (f", null in {_fmt(st.nulls)}" if st.nulls else "")

    def _required(self, st: FieldStats, parent_count: int) -> tuple[bool, str]:
        non_empty = st.present - st.empty
        if parent_count and non_empty == parent_count and not st.nulls:
            return True, "required: present and non-null in every sample"
        missing = parent_count - st.present
        bits = []
        if missing > 0:
            bits.append(f"missing in {_fmt(missing)}")
        if st.nulls:
            bits.append(f"null in {_fmt(st.nulls)}")
        if st.empty:
            bits.append(f"empty in {_fmt(st.empty)}")
        return False, "optional: " + ", ".join(bits or ["not always present"])

    def _field(self, name: str, path: str, node: dict, parent_count: int, *, element: bool = False) -> Field | None:
        st = self._stats_for(path, parent_count)
        types = {t: n for t, n in st.types.items() if t != "null"}
        presence = self._presence_text(st, parent_count)
        fname = _FIELD_NAME.sub("_", name) if name else ""
        if fname != name and name:
            self.notes.append(f"Field {path!r} renamed to {fname!r}: Panther field names allow letters, digits and _@$.-")
        if not types:
            self._explain(path, f"{presence}; always null → left out (Panther drops null-only fields)")
            return None
        required, req_text = self._required(st, parent_count) if not element else (False, "")
        reasons: list[str] = []
        if len(types) > 1:
            split = ", ".join(f"{_fmt(n)} {t}" for t, n in sorted(types.items(), key=lambda x: -x[1]))
            containers = {"object", "array"} & set(types)
            if containers:
                self._explain(path, f"{presence}; mixed types ({split}) → json (objects or arrays mixed with other values)")
                self.stats[st.path].fill_values(self.values.get(path, []))
                return Field(fname, "json", required=required)
            if set(types) <= {"int", "float"}:
                return self._numeric(fname, path, st, required, req_text, presence, floats=True)
            if "string" in types and ({"int", "float"} & set(types)) and "bool" not in types:
                timed = self._mixed_time(fname, path, st, required, req_text, presence, split)
                if isinstance(timed, Field):
                    return timed
                split += f"; {timed}" if timed else ""
            # scalars of different kinds: Panther's lattice sends these to string
            f = self._string(fname, path, st, required, req_text, presence, conflict=split)
            return f
        kind = next(iter(types))
        if kind == "object":
            return self._object(fname, path, node, st, required, req_text, presence)
        if kind == "array":
            return self._array(fname, path, node, st, required, req_text, presence)
        if kind == "bool":
            st.fill_values(self.values.get(path, []))
            reasons.append(f"{_fmt(st.present)}/{_fmt(st.present)} values are JSON booleans → boolean")
            self._explain(path, "; ".join([presence, *reasons, req_text]) if req_text else "; ".join([presence, *reasons]))
            return Field(fname, "boolean", required=required)
        if kind in ("int", "float"):
            return self._numeric(fname, path, st, required, req_text, presence, floats=kind == "float")
        return self._string(fname, path, st, required, req_text, presence)

    def _say(self, path: str, *parts: str) -> None:
        self._explain(path, "; ".join(p for p in parts if p))

    def _numeric(self, name: str, path: str, st: FieldStats, required: bool, req_text: str, presence: str,
                 *, floats: bool) -> Field:
        vals = [v for v in self.values.get(path, []) if type(v) in (int, float)]
        st.fill_values(vals)
        if vals:
            lo, hi = min(vals), max(vals)
            unit = unix_unit(lo, hi)
            # seconds need a time-like name (plain counters reach 10^9 too); ms/us/ns magnitudes are distinctive
            if unit and ((unit == "unix" and _time_hint(name)) or (unit != "unix" and not floats)):
                return self._time_field(name, path, st, required, req_text, presence, unit, vals,
                                        f"{_fmt(len(vals))}/{_fmt(len(vals))} numbers between {lo} and {hi} read as {unit} "
                                        f"({'name and ' if _time_hint(name) else ''}magnitude)")
        if floats:
            self._say(path, presence,
                      "numbers with a fraction → float" + (f" (range {st.minimum} … {st.maximum})" if vals else ""), req_text)
            return Field(name, "float", required=required)
        self._say(path, presence, "whole numbers → bigint" + (f" (range {st.minimum} … {st.maximum})" if vals else ""), req_text)
        return Field(name, "bigint", required=required)

    def _time_field(self, name: str, path: str, st: FieldStats, required: bool, req_text: str, presence: str,
                    fmt: str, values: list, why: str, parsed: list[str | None] | None = None) -> Field:
        if parsed is None:
            from workbench.schema.timeformats import compile_time_format

            p = compile_time_format(fmt)
            parsed = [p(v) for v in set(values)]
        known = [t for t in parsed if t is not None]
        if known:
            st.earliest, st.latest = min(known), max(known)
            why += f"; earliest {st.earliest}, latest {st.latest}"
        self._say(path, presence, why, req_text)
        return Field(name, "timestamp", required=required, time_formats=(fmt,))

    def _mixed_time(self, name: str, path: str, st: FieldStats, required: bool, req_text: str, presence: str,
                    split: str) -> Field | str:
        """Numbers in some events and text in others that are all times: a timestamp reading both (else why not)."""
        raw = self.values.get(path, [])
        texts = Counter(v for v in raw if type(v) is str and v.strip())
        decision, not_time = mixed_time_decision([v for v in raw if type(v) in (int, float)], texts, st.empty)
        if decision is None:
            return not_time
        f = self._time_field(name, path, st, required, req_text, presence, decision.formats[0], raw,
                             f"mixed types ({split}); {decision.why}", [decision.earliest, decision.latest])
        st.fill_values(raw)
        return replace(f, time_formats=decision.formats)

    def _string(self, name: str, path: str, st: FieldStats, required: bool, req_text: str, presence: str,
                conflict: str | None = None) -> Field:
        raw = self.values.get(path, [])
        counter = st.fill_values(raw)
        if conflict:
            self._say(path, presence, f"type conflict ({conflict}) → string (Panther's lattice: mixed scalars widen to string)",
                      req_text)
            return Field(name, "string", required=required)
        distinct = [v for v in counter if type(v) is str and v != ""]
        n = len(distinct)
        if not n:
            self._say(path, presence, "only empty strings seen → string", req_text)
            return Field(name, "string", required=required)
        check = distinct[:MAX_DISTINCT_CHECK]
        scope = (f"{_fmt(len(check))}/{_fmt(len(check))} distinct values"
                 + ("" if len(check) == n else f" (first {_fmt(len(check))} of {_fmt(n)})"))
        stripped = [v.lstrip() for v in check]
        # embedded JSON: every value is a JSON object/array in a string
        if all(s[:1] in "{[" for s in stripped):
            every = [v for v in raw if type(v) is str and v]
            f = self._embedded(name, path, every, st, required, req_text, presence, scope)
            if f is not None:
                return f
        if all(v in _BOOL_WORDS for v in check):
            self._say(path, presence, f"{scope} are true/false text → boolean (Panther reads boolean text)", req_text)
            return Field(name, "boolean", required=required)
        seen = counter  # value → times seen (a string field: every value is text)
        seen.pop("", None)
        # numeric text: unix time, identifiers, or numbers
        if all(_INT_TEXT.match(v) for v in check):
            ints = [int(v) for v in check]
            unit = unix_unit(min(ints), max(ints))
            if unit and _time_hint(name):
                return self._time_field(name, path, st, required, req_text, presence, unit, check,
                                        f"{scope} are integer text in the {unit} range and the name suggests a time "
                                        f"→ timestamp {unit}")
            zeros = any(len(v) > 1 and v.lstrip("+-").startswith("0") for v in check)
            if not (_id_hint(name) or zeros):
                st.minimum, st.maximum = min(ints), max(ints)
                self._say(path, presence, f"{scope} are integer text → bigint (range {min(ints)} … {max(ints)})", req_text)
                return Field(name, "bigint", required=required)
            why = "leading zeros would be lost" if zeros else "the name says it is an identifier, not a quantity"
            indicators, ind_why = indicator_decision(name, seen)
            self._say(path, presence, f"{scope} are integer text but kept as string ({why}){ind_why}", req_text)
            return Field(name, "string", required=required, indicators=indicators)
        if all(_FLOAT_TEXT.match(v) for v in check):
            fl = [float(v) for v in check]
            unit = unix_unit(min(fl), max(fl))
            if unit == "unix" and _time_hint(name):
                return self._time_field(name, path, st, required, req_text, presence, unit, check,
                                        f"{scope} are decimal text in the unix-seconds range and the name suggests a time "
                                        "→ timestamp unix")
            if not _id_hint(name):
                st.minimum, st.maximum = min(fl), max(fl)
                self._say(path, presence, f"{scope} are decimal text → float (range {min(fl)} … {max(fl)})", req_text)
                return Field(name, "float", required=required)
        # timestamps: at least 95 % of the values, in one or several formats
        decision, not_time = time_decision(seen, st.empty)
        if decision is not None:
            f = self._time_field(name, path, st, required, req_text, presence, decision.formats[0], check,
                                 decision.why, [decision.earliest, decision.latest])
            return replace(f, time_formats=decision.formats)
        # indicators
        indicators, why = indicator_decision(name, seen)
        text = "text → string" + (f"; {not_time}" if not_time else "") + why
        self._say(path, presence, text, req_text)
        return Field(name, "string", required=required, indicators=indicators)

    def _embedded(self, name: str, path: str, values: list[str], st: FieldStats, required: bool, req_text: str,
                  presence: str, scope: str) -> Field | None:
        parsed = []
        for v in values:
            try:
                parsed.append(orjson.loads(v))
            except orjson.JSONDecodeError:
                return None
        if all(type(p) is dict for p in parsed):
            sub = _Engine(parsed, prefix=self._full(path), unit="embedded objects")
            fields = sub.run()
            self.explanations.update(sub.explanations)
            self.stats.update(sub.stats)
            if fields and len(fields) <= MAX_OBJECT_FIELDS:
                # nested stats are about the embedded objects; keep required off (shapes came from a sample)
                fields = tuple(_optional(f) for f in fields)
                self._say(path, presence, f"{scope} are JSON objects inside a string → object with isEmbeddedJSON "
                          f"({len(fields)} fields)", req_text)
                return Field(name, "object", required=required, is_embedded_json=True, fields=fields)
        self._say(path, presence, f"{scope} are JSON inside a string → json with isEmbeddedJSON", req_text)
        return Field(name, "json", required=required, is_embedded_json=True)

    def _object(self, name: str, path: str, node: dict, st: FieldStats, required: bool, req_text: str, presence: str) -> Field:
        props = _object_props(node)
        pc = self.counts.get(path)
        keysets = pc.keysets if pc and pc.keysets else Counter()
        if len(props) > MAX_OBJECT_FIELDS:
            self._say(path, presence, f"object with {len(props)} distinct keys (> {MAX_OBJECT_FIELDS}) → json", req_text)
            return Field(name, "json", required=required)
        nonempty = [k for k in keysets if k]
        n_keyed = sum(c for k, c in keysets.items() if k)
        key_counts: Counter[str] = Counter()
        for ks, c in keysets.items():
            key_counts.update(dict.fromkeys(ks, c))
        top_key, top_n = key_counts.most_common(1)[0] if key_counts else ("", 0)
        recurring = ""
        if len(nonempty) >= 2 and len(props) >= 3:
            # keys that really vary (a map keyed by ids or event types) → json; keys that recur → object
            if top_n < RECUR_SHARE * n_keyed:
                self._say(path, presence, f"object whose keys vary between events ({len(nonempty)} different key sets "
                          f"over {len(props)} keys; the commonest, {top_key!r}, is in only {_fmt(top_n)}/{_fmt(n_keyed)}) → json",
                          req_text)
                return Field(name, "json", required=required)
            recurring = (f"; keys recur ({top_key!r} in {_fmt(top_n)}/{_fmt(n_keyed)} objects, {len(nonempty)} key sets) "
                         "→ kept as an object")
        n_obj = st.types.get("object", 0)
        fields = self._object_fields(props, path, n_obj)
        if not fields:
            self._say(path, presence, "object that is always empty or all-null → json", req_text)
            return Field(name, "json", required=required)
        self._say(path, presence, f"object with {len(fields)} field(s){recurring}", req_text)
        return Field(name, "object", required=required, fields=fields)

    def _array(self, name: str, path: str, node: dict, st: FieldStats, required: bool, req_text: str, presence: str) -> Field:
        items = _array_items(node)
        el_path = path + "[]"
        if not items or el_path not in self.counts:
            self._say(path, presence, "array that is always empty → json (element type unknown)", req_text)
            return Field(name, "json", required=required)
        kinds = [t for t, n in self.counts[el_path].types.items() if t != "null" and n]
        if len(kinds) > 1:
            self._field("", el_path, items, self.counts[el_path].present, element=True)  # stats for the elements
            self._say(path, presence, f"array with mixed element types ({', '.join(sorted(kinds))}) → json", req_text)
            return Field(name, "json", required=required)
        el = self._field("", el_path, items, self.counts[el_path].present, element=True)
        if el is None:
            self._say(path, presence, "array of nulls → json", req_text)
            return Field(name, "json", required=required)
        if el.type == "json":
            self._say(path, presence, "array with mixed element types → json", req_text)
            return Field(name, "json", required=required)
        self._say(path, presence, f"array of {el.type}", req_text)
        return Field(name, "array", required=required, element=el)


def _keyed(f: Field, key: str, used: set[str]) -> Field:
    """`f` named uniquely among its siblings, reading the original `key` when its name had to change.

    Keys Panther cannot name a field after (``[/]``, ``a b``, ``""``) are renamed; two of them can collapse to
    the same name, and the renamed field must still find its value: ``rename: {from: key}`` says where.
    """
    name = f.name or "_"
    base, n = name, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    used.add(name)
    if name == key:
        return f
    return replace(f, name=name, extra={**f.extra, "rename": {"from": key}})


def _optional(f: Field) -> Field:
    from dataclasses import replace

    return replace(f, required=False, fields=tuple(_optional(x) for x in f.fields))
