"""What Panther's managed parsers do that a custom schema cannot say, for the schemas this tool ships.

A shipped managed schema may carry a top-level `managed:` block (custom schemas, named `Custom.*`, may not):

* `caseInsensitiveKeys: true` — input keys match declared field names regardless of case, as Go's JSON
  decoder in Panther's parsers does, and are stored under the declared name. GCP exports `callerIp` and
  `remoteIp`; Panther stores `callerIP` and `remoteIP`, the names its data models use.
* `require: {dotted.path: regex}` — a record whose value at the path (after decoding) does not match is
  not this log type: Panther's GCP.AuditLog parser rejects entries whose logName is not an audit log.
* `indicators: {dotted.path: [kind, …]}` — indicator scans of values inside `json` payloads (a path
  walks objects and, with `[]`, arrays), e.g. Auth0's `data.details.request.auth.user.email`.

Every function here is pure: compile once from the block, then apply per record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workbench.schema.indicators import compile_scanner

MANAGED_KEYS = ("caseInsensitiveKeys", "require", "indicators")


def problems(block: Any, schema_name: str | None) -> list[str]:
    """What is wrong with a `managed:` block (empty when it is valid)."""
    out: list[str] = []
    if schema_name and schema_name.startswith("Custom."):
        out.append("`managed:` is for shipped managed schemas; a Custom.* schema cannot use it")
    if not isinstance(block, dict):
        return [*out, "`managed:` must be a mapping"]
    for k in block:
        if k not in MANAGED_KEYS:
            out.append(f"unknown key {k!r} in `managed:`; expected one of: {', '.join(MANAGED_KEYS)}")
    if not isinstance(block.get("caseInsensitiveKeys", False), bool):
        out.append("`managed.caseInsensitiveKeys` must be true or false")
    req = block.get("require", {})
    if not isinstance(req, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in req.items()):
        out.append("`managed.require` must map dotted field paths to regular expressions")
    else:
        for path, rx in req.items():
            try:
                re.compile(rx)
            except re.error as e:
                out.append(f"`managed.require` pattern for {path} does not compile: {e}")
    ind = block.get("indicators", {})
    if not isinstance(ind, dict) or not all(isinstance(k, str) and isinstance(v, list) for k, v in ind.items()):
        out.append("`managed.indicators` must map dotted paths to lists of indicator kinds")
    return out


def key_folder(fields) -> Callable[[dict], dict]:
    """A function renaming a raw record's keys, at every declared level, to the declared spelling."""
    tree = _fold_tree(fields)

    def fold(raw: dict) -> dict:
        return _fold(raw, tree)

    return fold


def _fold_tree(fields) -> dict[str, tuple[str, Any]]:
    tree: dict[str, tuple[str, Any]] = {}
    for f in fields:
        sub: Any = None
        if f.type == "object":
            sub = _fold_tree(f.fields)
        elif f.type == "array" and f.element is not None and f.element.type == "object":
            sub = ("[]", _fold_tree(f.element.fields))
        tree[f.name.lower()] = (f.name, sub)
    return tree


def _fold(raw: Any, tree: dict) -> Any:
    if not isinstance(raw, dict):
        return raw
    out: dict = {}
    for k, v in raw.items():
        hit = tree.get(k.lower()) if isinstance(k, str) else None
        if hit is None:
            out.setdefault(k, v)
            continue
        name, sub = hit
        if isinstance(sub, tuple):
            v = [_fold(x, sub[1]) for x in v] if isinstance(v, list) else v
        elif sub is not None:
            v = _fold(v, sub)
        if name == k or name not in raw:  # an exact spelling in the input wins over a folded one
            out[name] = v
    return out


def _values_at(event: Any, parts: list[str]) -> list[Any]:
    """Every value at a dotted path; a part ending in `[]` walks each element of that array."""
    if not parts:
        return [event]
    head, rest = parts[0], parts[1:]
    many = head.endswith("[]")
    name = head[:-2] if many else head
    if not isinstance(event, dict) or name not in event:
        return []
    v = event[name]
    if many:
        return [x for item in (v if isinstance(v, list) else []) for x in _values_at(item, rest)]
    return _values_at(v, rest)


def requirement(block: dict) -> Callable[[dict], str | None]:
    """A check of the `require:` rules: None when the event passes, else the reason it is not this type."""
    rules = [(path, path.split("."), re.compile(rx)) for path, rx in (block.get("require") or {}).items()]

    def check(event: dict) -> str | None:
        for path, parts, rx in rules:
            values = _values_at(event, parts)
            if not values or not all(isinstance(v, str) and rx.search(v) for v in values):
                shown = values[0] if values else "(missing)"
                return f"{path}={shown!r} does not match {rx.pattern!r}, so this is not this log type"
        return None

    return check


def payload_indicators(block: dict) -> Callable[[dict, list], None]:
    """Scan the `indicators:` paths of a decoded event into `ind` (the parser's per-event hit list)."""
    scans = [(path.split("."), sc) for path, kinds in (block.get("indicators") or {}).items()
             if (sc := compile_scanner(tuple(kinds))) is not None]

    def scan(event: dict, ind: list) -> None:
        for parts, scanner in scans:
            for v in _values_at(event, parts):
                if isinstance(v, str) and v.strip():
                    scanner(v.strip(), ind)

    return scan
