"""Warnings about a schema Panther would accept but a user would regret: no event time, a name outside
`Custom.`, declared `p_*` fields, names that differ only by case, names Panther stores differently, and
event times whose format has no year. Used by `infer`, `schema validate`, `parse` and the screens.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from workbench.schema.model import Field, Schema
from workbench.schema.timedetect import is_yearless, parser_year, recorded_year

NO_EVENT_TIME = ("no event time: no top-level timestamp field has isEventTime, so Panther sets p_event_time to "
                 "the time it parses each event (searches and rules by time see ingestion time, not when it happened)")
_STORED_SUBS = (("@", "at_sign_"), ("$", "_dollar_sign_"), (".", "_"), (" ", "_"))
_STORED_OK = re.compile(r"[A-Za-z0-9_-]*\Z")


def stored_name(name: str) -> str:
    """The column name Panther's data lake stores for a field name (`@timestamp` → `at_sign_timestamp`)."""
    for a, b in _STORED_SUBS:
        name = name.replace(a, b)
    return name


def has_event_time(schema: Schema) -> bool:
    return any(f.type == "timestamp" and f.is_event_time for f in schema.fields)


def yearless_event_times(schema: Schema) -> list[tuple[str, str, int | None]]:
    """(field, format, year Panther records) for event-time fields whose formats have no year."""
    out = []
    for f in schema.fields:
        if f.type == "timestamp" and f.is_event_time:
            for fmt in f.time_formats:
                if is_yearless(fmt):
                    out.append((f.name, fmt, recorded_year(fmt)))
    return out


def event_time_warnings(schema: Schema) -> list[str]:
    """What is wrong with the schema's event time, if anything: none at all, or one without a year."""
    out: list[str] = []
    if not has_event_time(schema):
        out.append(NO_EVENT_TIME)
    for name, fmt, year in yearless_event_times(schema):
        out.append(f"event time {name!r} uses {fmt!r}, which has no year: Panther records year "
                   f"{year if year is not None else '(unknown)'} for it")
        ours = parser_year(fmt)
        if ours != year:
            out[-1] += f" (this workbench's parser currently assumes {ours})"
    return out


def schema_warnings(schema: Schema, managed: Collection[str] = ()) -> list[str]:
    """Every warning for `schema`; `managed` names the managed log types (which need no `Custom.` prefix)."""
    out: list[str] = []
    if schema.name and not schema.name.startswith("Custom.") and schema.name not in managed:
        out.append(f"schema name {schema.name!r} does not start with 'Custom.': Panther requires custom log types "
                   "to be named Custom.<Name>")
    out += event_time_warnings(schema)
    _walk(schema.fields, "", out, top=True)
    return out


def _walk(fields: tuple[Field, ...], prefix: str, out: list[str], *, top: bool) -> None:
    seen: dict[str, str] = {}
    for f in fields:
        path = f"{prefix}{f.name}"
        if top and f.name.startswith("p_"):
            out.append(f"field {path!r} uses Panther's reserved p_ prefix: Panther generates p_ fields itself; "
                       "rename it (e.g. with rename: {from: ...})")
        low = f.name.lower()
        if low in seen:
            out.append(f"fields {seen[low]!r} and {path!r} differ only by case: the data lake's column names are "
                       "case-insensitive, so they collide")
        else:
            seen[low] = path
        stored = stored_name(f.name)
        if stored != f.name and _STORED_OK.match(stored):
            out.append(f"field {path!r} is stored by Panther as {stored!r} (rules and searches see that name)")
        if f.fields:
            _walk(f.fields, path + ".", out, top=False)
        if f.element is not None and f.element.fields:
            _walk(f.element.fields, path + "[].", out, top=False)
