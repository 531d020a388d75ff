"""`deep_walk`: follow keys through nested mappings and every element of nested lists.

Semantics as Panther's `PantherEvent.deep_walk` (checked by tests/test_detections_oracle.py):

- keys are looked up exactly (case-sensitively) in the raw data, and a missing key continues the walk
  from `default`;
- where the walk ends on a value reached through mappings only, that value is returned as it is stored: a
  list stays a list, even of one element (a copy of it, never a view), and `return_val` plays no part;
  only a value that is None or a list of (lists of) nothing gives `default`;
- where the walk crosses a list, the values found under its elements are flattened one level and
  de-duplicated in first-seen order (they must be hashable); then "first"/"last" pick one, and "all" gives
  the single value when there is exactly one, else the list. Any other `return_val` gives the text "all".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _holds_nothing(value: Any) -> bool:
    """True for [] and lists whose every element holds nothing ([[], [[]]]); False for anything else."""
    return _is_list(value) and all(_holds_nothing(v) for v in value)


def _snapshot(value: Any) -> Any:
    # what is handed back is a shallow copy, so a rule changing it cannot change the event
    return value.copy() if hasattr(type(value), "copy") else value


def deep_walk(data: Any, keys: tuple, default: Any = None, return_val: str = "all") -> Any:
    """Walk `keys` from `data` (raw dicts and lists)."""
    value = data
    for depth, key in enumerate(keys):
        if isinstance(value, Mapping):
            value = value.get(key, default)
            continue
        if _is_list(value):
            return _collect(value, keys[depth:], default, return_val)
        return default
    if value is None or _holds_nothing(value):
        return default
    return _snapshot(value)


def _collect(items: Any, keys: tuple, default: Any, return_val: str) -> Any:
    found: dict = {}  # an ordered set: keeps the first of equal values (1 before True)
    for item in items:
        value = deep_walk(item, keys, default, return_val)
        if value is None:
            continue
        if _is_list(value):
            for sub in value:
                found.setdefault(sub, None)
        else:
            found.setdefault(value, None)
    if not found:
        return default
    values = list(found)
    if return_val == "first":
        return values[0]
    if return_val == "last":
        return values[-1]
    if return_val == "all":
        return values[0] if len(values) == 1 else values
    return "all"
