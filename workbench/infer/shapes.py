"""Event shapes and counting: events de-duplicated by shape, exact per-path presence/null/type counts, and
navigation of genson's merged structure.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from workbench.schema.fieldstats import PathCounts

_JTYPE = {str: "string", int: "int", float: "float", bool: "bool", dict: "object", list: "array", type(None): "null"}
_BOOL_WORDS = frozenset(("true", "false", "True", "False", "TRUE", "FALSE"))
_INT_TEXT = re.compile(r"[+-]?\d{1,19}\Z")
_FLOAT_TEXT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?\Z")
_FIELD_NAME = re.compile(r"[^A-Za-z0-9_@$.\-]")
_BEST_TIME_NAMES = ("eventtime", "event_time", "@timestamp", "timestamp", "ts", "time", "datetime", "date")


def _fmt(n: int) -> str:
    return f"{n:,}"


def _time_hint(name: str) -> bool:
    n = name.lower()
    if name.endswith("At") or n.endswith(("_at", "edat")):  # createdAt, CreatedAt, updated_at
        return True
    return (n in ("ts", "time", "timestamp", "@timestamp", "date", "datetime", "when", "epoch", "start", "end", "begin")
            or n.endswith(("time", "_ts", "timestamp", "_at", "date", "_epoch", "time_ms", "_ms_epoch"))
            or n.startswith(("ts_", "timestamp", "time_")))


def _id_hint(name: str) -> bool:
    n = name.lower()
    return any(h in n for h in ("id", "account", "number", "phone", "zip", "postal", "code", "version", "sku", "ssn", "card"))


# --- shapes ------------------------------------------------------------------------------------------------

_CONTAINERS = frozenset((dict, list))


def shape_of(v: Any) -> Any:
    """A hashable structural signature: keys, value types, nested shapes, and which strings are empty.

    Only containers are visited in Python; scalars are handled by C-level tuple/map/`in` operations.
    """
    t = type(v)
    if t is dict:
        vals = v.values()
        types = tuple(map(type, vals))
        if dict in types or list in types:
            key: tuple = (tuple(v), types, tuple([shape_of(x) for x in vals if type(x) in _CONTAINERS]))
        else:
            key = (tuple(v), types)
        if "" in vals:
            key = (key, tuple([i for i, x in enumerate(vals) if x == ""]))
        return key
    if t is list:
        if not v:
            return ()
        kinds = frozenset(map(type, v))
        if dict in kinds or list in kinds:
            return ("L", frozenset([shape_of(x) for x in v]))
        return ("L", kinds)
    return t


def _shallow_enough(e: Any) -> bool:
    try:
        shape_of(e)
        return True
    except RecursionError:
        return False


def _count_paths(v: Any, path: str, c: int, counts: dict[str, PathCounts]) -> None:
    t = type(v)
    pc = counts.get(path)
    if pc is None:
        pc = counts[path] = PathCounts()
    pc.types[_JTYPE.get(t, "string")] += c
    if t is str:
        if not v:
            pc.empty += c
    elif t is dict:
        if pc.keysets is None:
            pc.keysets = Counter()
        pc.keysets[frozenset(k for k, x in v.items() if x is not None)] += c
        for k, x in v.items():
            _count_paths(x, f"{path}.{k}" if path else k, c, counts)
    elif t is list:
        el = path + "[]"
        for x in v:
            _count_paths(x, el, c, counts)


def _collect_values(v: dict, path: str, out: dict[str, list]) -> None:
    for k, x in v.items():
        p = f"{path}.{k}" if path else k
        t = type(x)
        if t is dict:
            _collect_values(x, p, out)
        elif t is list:
            el = p + "[]"
            for e in x:
                te = type(e)
                if te is dict:
                    _collect_values(e, el, out)
                elif te is not list and e is not None:
                    out[el].append(e)
        elif x is not None:
            out[p].append(x)


# --- genson structure navigation ---------------------------------------------------------------------------

def _variants(node: dict | None) -> list[dict]:
    if not node:
        return []
    if "anyOf" in node:
        return [v for sub in node["anyOf"] for v in _variants(sub)]
    t = node.get("type")
    if isinstance(t, list):
        return [{**node, "type": x} for x in t]
    return [node]


def _object_props(node: dict | None) -> dict:
    for v in _variants(node):
        if v.get("type") == "object":
            return v.get("properties", {})
    return {}


def _array_items(node: dict | None) -> dict | None:
    for v in _variants(node):
        if v.get("type") == "array":
            return v.get("items")
    return None
