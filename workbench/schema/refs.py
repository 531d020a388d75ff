"""Legacy `type: ref` fields: a field whose value schema is `definitions[target]` (Panther's logschema,
`TypeRef` with `Target`, resolved against the schema's `definitions` before building the event type).
"""

from __future__ import annotations

from dataclasses import replace

from workbench.errors import WorkbenchError
from workbench.schema.load import _Builder
from workbench.schema.model import Field, Schema

_MAX_DEPTH = 32  # definitions referring to each other deeper than this are a cycle


def resolve_refs(schema: Schema) -> tuple[Field, ...]:
    """The schema's fields with every `type: ref` replaced by its definition (name, required, description kept)."""
    raw_defs = schema.extra.get("definitions") or {}
    if not isinstance(raw_defs, dict):
        raise WorkbenchError(f"Schema {schema.name}: `definitions` must be a mapping of name → value schema.")
    built: dict[str, Field] = {}

    def definition(name: str, depth: int) -> Field:
        if depth > _MAX_DEPTH:
            raise WorkbenchError(f"Schema {schema.name}: definition {name!r} refers to itself.")
        if name not in built:
            raw = raw_defs.get(name)
            if not isinstance(raw, dict):
                raise WorkbenchError(f"Schema {schema.name}: `target: {name}` is not in `definitions`.")
            b = _Builder()
            f = b.field(raw, "definitions", None, element=True)
            if f is None or b.problems:
                raise WorkbenchError(f"Schema {schema.name}: definition {name!r}: "
                                     f"{b.problems[0].message if b.problems else 'invalid'}.")
            built[name] = f
        return resolve(built[name], depth + 1)

    def resolve(f: Field, depth: int) -> Field:
        if f.type == "ref":
            target = f.extra.get("target")
            if not isinstance(target, str):
                raise WorkbenchError(f"Schema {schema.name}: field {f.name or '(element)'} is `type: ref` and needs `target:`.")
            d = definition(target, depth)
            return replace(d, name=f.name, required=f.required, description=f.description or d.description)
        if f.fields:
            f = replace(f, fields=tuple(resolve(x, depth) for x in f.fields))
        if f.element is not None:
            f = replace(f, element=resolve(f.element, depth))
        return f

    return tuple(resolve(f, 0) for f in schema.fields)


def has_refs(fields: tuple[Field, ...]) -> bool:
    return any(f.type == "ref" or has_refs(f.fields) or (f.element is not None and has_refs((f.element,)))
               for f in fields)
