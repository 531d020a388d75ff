"""Schema drift in live data: fields the schema does not declare, values whose type conflicts with it, and a
suggested schema patch that adds the new fields.

Only JSON records of log types with a JSON schema are checked (text parsers produce strings by construction).
A patch only *adds* fields: Panther forbids renaming, deleting or retyping a field of a saved schema, so a
type conflict is reported with advice instead of a change. Memory is bounded: at most `MAX_PATHS` distinct
field paths are tracked per log type.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from workbench.schema import Field, Schema

MAX_PATHS = 500
MAX_DEPTH = 8
_INT_RE = re.compile(r"^-?\d+$")
_FLOAT_RE = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


def json_kind(value: Any) -> str:
    """The JSON type of a value, as a name: null, boolean, int, float, string, object, array."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def compatible(schema_type: str, value: Any) -> bool:
    """Whether Panther would accept `value` for a field of `schema_type` (numeric strings count as numbers)."""
    kind = json_kind(value)
    if kind == "null" or schema_type == "json":
        return True
    if schema_type == "string":
        return kind in ("string", "int", "float", "boolean")
    if schema_type in ("int", "smallint", "bigint"):
        return kind == "int" or (kind == "float" and float(value).is_integer()) or (
            kind == "string" and bool(_INT_RE.match(value.strip())))
    if schema_type == "float":
        return kind in ("int", "float") or (kind == "string" and bool(_FLOAT_RE.match(value.strip())))
    if schema_type == "boolean":
        return kind == "boolean" or (kind == "string" and value.strip().lower() in ("true", "false"))
    if schema_type == "timestamp":
        return kind in ("string", "int", "float")
    if schema_type == "object":
        return kind == "object"
    if schema_type == "array":
        return kind == "array"
    return True


def _panther_type(kind: str, value: Any) -> str:
    if kind == "int":
        return "bigint"
    if kind == "string" and _RFC3339.match(value):
        return "timestamp"
    return {"boolean": "boolean", "float": "float", "string": "string", "object": "object", "array": "array"}.get(kind, "json")


@dataclass
class NewField:
    path: str
    count: int = 0
    types: dict[str, int] = field(default_factory=dict)  # Panther type -> times seen
    example: str = ""

    @property
    def suggested_type(self) -> str:
        kinds = set(self.types)
        if len(kinds) == 1:
            return next(iter(kinds))
        if kinds <= {"bigint", "float"}:
            return "float"
        if kinds <= {"string", "timestamp"}:
            return "string"
        return "json"  # mixed composites: Panther's own inference falls back to json


@dataclass
class Conflict:
    path: str
    schema_type: str
    count: int = 0
    seen: dict[str, int] = field(default_factory=dict)  # JSON kind -> times seen
    example: str = ""


@dataclass
class LogTypeDrift:
    log_type: str
    records: int = 0
    new_fields: dict[str, NewField] = field(default_factory=dict)
    conflicts: dict[str, Conflict] = field(default_factory=dict)

    @property
    def has_drift(self) -> bool:
        return bool(self.new_fields or self.conflicts)


def _example(value: Any) -> str:
    s = value if isinstance(value, str) else repr(value)
    return s[:80]


class DriftTracker:
    """Feed it records (`observe`); read `report()`; ask for `suggested_patch(log_type)`. Thread-safe."""

    def __init__(self, schemas: dict[str, Schema] | None = None) -> None:
        self.schemas = {name: s for name, s in (schemas or {}).items() if s.parser_kind == "json"}
        self._drift: dict[str, LogTypeDrift] = {}
        self._lock = threading.Lock()

    def knows(self, log_type: str) -> bool:
        return log_type in self.schemas

    def observe(self, log_type: str, record: dict) -> None:
        schema = self.schemas.get(log_type)
        if schema is None or not isinstance(record, dict):
            return
        with self._lock:
            d = self._drift.get(log_type)
            if d is None:
                d = self._drift[log_type] = LogTypeDrift(log_type)
            d.records += 1
            self._walk(d, schema.fields, record, "", 0)

    def _walk(self, d: LogTypeDrift, fields: tuple[Field, ...], record: dict, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        declared = {f.name: f for f in fields}
        for name, value in record.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            f = declared.get(name)
            if f is None:
                if value is None:
                    continue  # null-only fields vanish in Panther's inference too
                nf = d.new_fields.get(path)
                if nf is None:
                    if len(d.new_fields) + len(d.conflicts) >= MAX_PATHS:
                        continue
                    nf = d.new_fields[path] = NewField(path, example=_example(value))
                nf.count += 1
                t = _panther_type(json_kind(value), value)
                nf.types[t] = nf.types.get(t, 0) + 1
                continue
            if f.is_embedded_json and isinstance(value, str):
                try:  # a JSON document inside a string: Panther parses it first, so do we
                    value = json.loads(value)
                except ValueError:
                    pass
            if not compatible(f.type, value):
                c = d.conflicts.get(path)
                if c is None:
                    if len(d.new_fields) + len(d.conflicts) >= MAX_PATHS:
                        continue
                    c = d.conflicts[path] = Conflict(path, f.type, example=_example(value))
                c.count += 1
                k = json_kind(value)
                c.seen[k] = c.seen.get(k, 0) + 1
                continue
            if f.type == "object" and isinstance(value, dict):
                self._walk(d, f.fields, value, path, depth + 1)
            elif f.type == "array" and isinstance(value, list) and f.element is not None:
                el = f.element
                for item in value[:50]:
                    if el.type == "object" and isinstance(item, dict):
                        self._walk(d, el.fields, item, path + "[]", depth + 1)
                    elif not compatible(el.type, item):
                        p = path + "[]"
                        c = d.conflicts.get(p) or d.conflicts.setdefault(p, Conflict(p, el.type, example=_example(item)))
                        c.count += 1
                        k = json_kind(item)
                        c.seen[k] = c.seen.get(k, 0) + 1

    def report(self) -> list[LogTypeDrift]:
        """Log types with drift, most affected first (copies: safe to read while the tail runs)."""
        with self._lock:
            out = [LogTypeDrift(d.log_type, d.records,
                                {p: NewField(f.path, f.count, dict(f.types), f.example) for p, f in d.new_fields.items()},
                                {p: Conflict(c.path, c.schema_type, c.count, dict(c.seen), c.example)
                                 for p, c in d.conflicts.items()})
                   for d in self._drift.values() if d.has_drift]
        return sorted(out, key=lambda d: -(sum(f.count for f in d.new_fields.values())
                                           + sum(c.count for c in d.conflicts.values())))

    def suggested_patch(self, log_type: str) -> dict | None:
        """The schema (as a Panther schema dict) with every new field added where it was seen; None if no drift.

        Fields are added, never changed; type conflicts are left to the user (see `advice`).
        """
        schema = self.schemas.get(log_type)
        drift = next((d for d in self.report() if d.log_type == log_type), None)
        if schema is None or drift is None or not drift.new_fields:
            return None
        doc = schema.to_dict()
        for path in sorted(drift.new_fields, key=lambda p: (p.count("."), p)):
            nf = drift.new_fields[path]
            _add_field(doc["fields"], path.split("."), nf.suggested_type)
        return doc

    @staticmethod
    def advice(conflict: Conflict) -> str:
        seen = ", ".join(f"{k} ×{n}" for k, n in sorted(conflict.seen.items(), key=lambda kv: -kv[1]))
        return (f"`{conflict.path}` is declared {conflict.schema_type} but arrived as {seen}; Panther does not allow "
                "changing a field's type, so add a new field (or make the source send the declared type).")


def _add_field(fields: list[dict], parts: list[str], type_name: str) -> None:
    """Add `parts` (a dotted path under existing objects) to a fields list, creating nothing above it."""
    name = parts[0]
    if not name:
        return  # an empty key (`{"": 1}`) cannot be declared; one such key must not make the whole patch invalid
    if name.endswith("[]"):
        base = name[:-2]
        parent = next((f for f in fields if f.get("name") == base), None)
        if parent is None or parent.get("type") != "array" or not isinstance(parent.get("element"), dict):
            return
        el = parent["element"]
        if el.get("type") != "object" or len(parts) == 1:
            return
        _add_field(el.setdefault("fields", []), parts[1:], type_name)
        return
    existing = next((f for f in fields if f.get("name") == name), None)
    if len(parts) == 1:
        if existing is None:
            new: dict[str, Any] = {"name": name, "type": type_name}
            if type_name == "timestamp":
                new["timeFormats"] = ["rfc3339"]
            elif type_name == "object":
                new["type"] = "json"  # its own fields are unknown here; json keeps every value
            elif type_name == "array":
                new["element"] = {"type": "json"}
            fields.append(new)
        return
    if existing is not None and existing.get("type") == "object":
        _add_field(existing.setdefault("fields", []), parts[1:], type_name)
