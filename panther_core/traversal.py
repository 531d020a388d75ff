"""`deep_get` and `deep_walk`: nested lookups that return a default instead of raising."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def deep_get(obj: Any, *keys: Any, default: Any = None) -> Any:
    """Follow mapping keys only; `default` when a hop is not a mapping or the final value is None.

    Falsy values other than None (0, "", False, empty containers) are returned as they are.
    """
    value = obj
    for key in keys:
        if not isinstance(value, Mapping):
            return default
        value = value.get(key)
        if value is None:
            return default
    return default if value is None else value


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def _leaves(value: Any, keys: tuple, out: list) -> None:
    if value is None:
        return
    if not keys:
        if _is_list(value):
            for item in value:
                _leaves(item, keys, out)
        else:
            out.append(value)
        return
    if isinstance(value, Mapping):
        _leaves(value.get(keys[0]), keys[1:], out)
    elif _is_list(value):
        for item in value:
            _leaves(item, keys, out)


def deep_walk(obj: Any, *keys: Any, default: Any = None, return_val: str = "all") -> Any:
    """Like deep_get, but descends into every list element and collects the leaves.

    Leaves are flattened and de-duplicated in first-seen order. `return_val`: "all" (the single value
    when exactly one was found, else the list), "first" or "last".
    """
    found: list = []
    _leaves(obj, keys, found)
    unique: list = []
    for v in found:
        if v not in unique:
            unique.append(v)
    if not unique:
        return default
    if return_val == "first":
        return unique[0]
    if return_val == "last":
        return unique[-1]
    if return_val != "all":
        raise ValueError(f"return_val must be 'all', 'first' or 'last', not {return_val!r}")
    return unique[0] if len(unique) == 1 else unique
