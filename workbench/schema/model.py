"""The Panther schema model: plain frozen dataclasses for a schema, its fields and a schema problem.

Loading (with YAML positions) is `workbench.schema.load`; writing YAML is `workbench.schema.dump`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

TYPES = ("string", "int", "smallint", "bigint", "float", "boolean", "timestamp", "object", "array", "json")
LEGACY_TYPES = ("ref",)
NAMED_TIME_FORMATS = ("rfc3339", "unix", "unix_ms", "unix_us", "unix_ns")
INDICATORS = (
    "ip", "domain", "hostname", "url", "net_addr", "md5", "sha1", "sha256", "aws_account_id",
    "aws_instance_id", "aws_arn", "aws_arn_only", "aws_tag", "email", "username", "trace_id", "mac", "actor_id",
)
PARSERS = ("csv", "fastmatch", "regex", "script", "native")
TRANSFORMS = ("rename", "mask", "copy", "concat", "split")

_TOP_KEYS = ("schema", "description", "referenceURL", "fieldDiscoveryEnabled", "version", "parser", "fields", "definitions",
             "managed")
_VALUE_KEYS = ("type", "timeFormat", "timeFormats", "isEventTime", "isExpiration", "isEmbeddedJSON", "indicators",
               "validate", "fields", "element", "target", *TRANSFORMS)
_FIELD_KEYS = ("name", "description", "required", *_VALUE_KEYS)
_PARSER_KEYS = {
    "csv": ("delimiter", "hasHeader", "columns", "emptyValues", "trimSpace", "expandFields", "skipPrefix", "skipLines"),
    "fastmatch": ("match", "emptyValues", "trimSpace", "expandFields", "skipPrefix"),
    "regex": ("match", "patternDefinitions", "emptyValues", "trimSpace", "expandFields", "skipPrefix"),
    "script": ("function",),
    "native": ("name",),
}
_NAME_RE = re.compile(r"^[A-Z][A-Za-z0-9_]*(\.[A-Z][A-Za-z0-9_]*)*$")
_STRFTIME_RE = re.compile(r"%[aAbBcCdDefFGhHIjklmMnpsSTuUVwWxXyYzZLNQ%]")


@dataclass(frozen=True, slots=True)
class Field:
    """One field (or, with name "", an array's element value schema)."""

    name: str
    type: str
    required: bool = False
    description: str | None = None
    time_formats: tuple[str, ...] = ()
    is_event_time: bool = False
    is_embedded_json: bool = False
    indicators: tuple[str, ...] = ()
    validate: dict | None = None
    fields: tuple[Field, ...] = ()
    element: Field | None = None
    extra: dict = field(default_factory=dict)  # isExpiration, target, transformations: kept, written back

    def to_dict(self, *, element: bool = False) -> dict:
        out: dict[str, Any] = {}
        if not element:
            out["name"] = self.name
            if self.description:
                out["description"] = self.description
            if self.required:
                out["required"] = True
        out["type"] = self.type
        if self.time_formats:
            out["timeFormats"] = list(self.time_formats)
        if self.is_event_time:
            out["isEventTime"] = True
        if self.is_embedded_json:
            out["isEmbeddedJSON"] = True
        if self.indicators:
            out["indicators"] = list(self.indicators)
        if self.validate:
            out["validate"] = self.validate
        if self.fields:
            out["fields"] = [f.to_dict() for f in self.fields]
        if self.element is not None:
            out["element"] = self.element.to_dict(element=True)
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class Schema:
    """A Panther log schema. `parser` is None for JSON, else {"csv"|"fastmatch"|"regex"|…: options}."""

    name: str | None
    fields: tuple[Field, ...]
    description: str | None = None
    reference_url: str | None = None
    field_discovery_enabled: bool | None = None
    version: int | None = None
    parser: dict | None = None
    extra: dict = field(default_factory=dict)  # legacy `definitions`
    managed: dict | None = None  # shipped managed schemas only: see workbench.schema.managed
    path: str | None = field(default=None, compare=False)  # file it was read from, for messages

    @property
    def parser_kind(self) -> str:
        return next(iter(self.parser)) if self.parser else "json"

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        if self.name:
            out["schema"] = self.name
        if self.description:
            out["description"] = self.description
        if self.reference_url:
            out["referenceURL"] = self.reference_url
        if self.field_discovery_enabled is not None:
            out["fieldDiscoveryEnabled"] = self.field_discovery_enabled
        if self.version is not None:
            out["version"] = self.version
        if self.parser:
            out["parser"] = self.parser
        if self.managed:
            out["managed"] = self.managed
        out["fields"] = [f.to_dict() for f in self.fields]
        out.update(self.extra)
        return out

    def with_name(self, name: str) -> Schema:
        return replace(self, name=name)


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """A validation problem at a 1-based YAML line and column (0, 0 when not tied to a place)."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"



def is_schema_file(path: Path) -> bool:
    return path.suffix in (".yml", ".yaml") and not path.stem.endswith("_tests")



def walk_fields(fields: Iterable[Field], prefix: str = "") -> Iterable[tuple[str, Field]]:
    """(dotted path, field) for every field, depth first; array elements appear as `path[]`."""
    for f in fields:
        path = f"{prefix}.{f.name}" if prefix else f.name
        yield path, f
        if f.fields:
            yield from walk_fields(f.fields, path)
        el = f.element
        while el is not None:
            path = path + "[]"
            if el.fields:
                yield from walk_fields(el.fields, path)
            el = el.element
