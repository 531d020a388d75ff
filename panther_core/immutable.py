"""Read-only views over event data: mappings with case-insensitive keys and tuple-backed lists.

Nested values are wrapped lazily on access, so constructing a view costs nothing and a rule that reads
three fields of a large event only pays for those three. Keys are matched exactly first, then by their
lower-cased form (the first key in insertion order wins when several differ only in case).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any


def _wrap(value: Any) -> Any:
    # exact type checks first: they are the hot path (events are plain JSON data)
    t = type(value)
    if t in _SCALARS:
        return value
    if t is dict:
        return ImmutableCaseInsensitiveDict(value)
    if t is list or t is tuple:
        return ImmutableList(value)
    if t is ImmutableCaseInsensitiveDict or t is ImmutableList:
        return value
    if isinstance(value, (ImmutableCaseInsensitiveDict, ImmutableList)):
        return value
    if isinstance(value, Mapping):
        return ImmutableCaseInsensitiveDict(value)
    if isinstance(value, (list, tuple)):
        return ImmutableList(value)
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})


def unwrap(value: Any) -> Any:
    """A mutable deep copy of `value` with every immutable view turned back into dicts and lists."""
    if isinstance(value, ImmutableCaseInsensitiveDict):
        return copy.deepcopy(dict(value._container))
    if isinstance(value, ImmutableList):
        return copy.deepcopy(list(value._container))
    return copy.deepcopy(value)


def json_encoder(value: Any) -> Any:
    """`default=` hook for json.dumps: serialises the immutable views as plain containers (sets are refused)."""
    if isinstance(value, ImmutableCaseInsensitiveDict):
        return dict(value._container)
    if isinstance(value, ImmutableList):
        return list(value._container)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"object of type {type(value)} is not JSON serializable")


class ImmutableCaseInsensitiveDict(Mapping):
    """A read-only mapping whose string keys match case-insensitively at every depth."""

    __slots__ = ("_cache", "_container", "_lower")

    def __init__(self, data: Mapping | None = None):
        self._container = data if data is not None else {}
        self._lower: dict[str, Any] | None = None
        self._cache: dict | None = None

    def _fold(self, key: str) -> Any:
        # built on the first miss only: most lookups hit the exact key
        lower = self._lower
        if lower is None:
            lower = {}
            for k in self._container:
                if isinstance(k, str):
                    lower.setdefault(k.lower(), k)
            self._lower = lower
        return lower.get(key.lower(), _MISSING)

    # `__getitem__` and `get` are what every rule calls, several times per event: they are written out
    # in full (no helper calls on the hit path) because a Python-level call costs as much as the lookup.
    # A nested dict or list is wrapped once per event and cached under its real key, so every rule
    # reading it shares the view.

    def __getitem__(self, key: Any) -> Any:
        c = self._container
        try:
            value = c[key]
        except KeyError:
            if not isinstance(key, str):
                raise
            real = self._fold(key)
            if real is _MISSING:
                raise
            key = real
            value = c[real]
        if type(value) in _SCALARS:
            return value
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        else:
            hit = cache.get(key)
            if hit is not None:
                return hit
        wrapped = cache[key] = _wrap(value)
        return wrapped

    def get(self, key: Any, default: Any = None) -> Any:
        c = self._container
        try:
            # not `c[key]`: rules often ask for optional fields, and a raised KeyError costs ~1 µs
            value = c.get(key, _MISSING)
        except TypeError:  # an unhashable key is simply absent
            return default
        if value is _MISSING:
            if not isinstance(key, str):
                return default
            real = self._fold(key)
            if real is _MISSING:
                return default
            key = real
            value = c[real]
        if type(value) in _SCALARS:
            return value
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        else:
            hit = cache.get(key)
            if hit is not None:
                return hit
        wrapped = cache[key] = _wrap(value)
        return wrapped

    def __contains__(self, key: object) -> bool:
        if key in self._container:
            return True
        return isinstance(key, str) and self._fold(key) is not _MISSING

    def __iter__(self):
        return iter(self._container)

    def __len__(self) -> int:
        return len(self._container)

    def __bool__(self) -> bool:
        return bool(self._container)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ImmutableCaseInsensitiveDict):
            return self._container == other._container
        if isinstance(other, Mapping):
            return dict(self._container) == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __setitem__(self, key, value):
        raise TypeError(f"'{type(self).__name__}' object does not support item assignment")

    def __delitem__(self, key):
        raise TypeError(f"'{type(self).__name__}' object does not support item deletion")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._container!r})"

    def copy(self) -> dict:
        """A mutable deep copy."""
        return unwrap(self)

    def to_dict(self) -> dict:
        return unwrap(self)

    def deep_get(self, *keys: Any, default: Any = None) -> Any:
        from panther_core.traversal import deep_get

        return deep_get(self, *keys, default=default)


class ImmutableList(Sequence):
    """A read-only, tuple-backed list that compares equal to lists and tuples with the same items."""

    __slots__ = ("_container", "_items")

    def __init__(self, data: Sequence | None = None):
        self._container = tuple(data) if data is not None else ()
        self._items: tuple | None = None

    def _wrapped(self) -> tuple:
        """The items as rules see them (nested dicts and lists wrapped), built once."""
        items = self._items
        if items is None:
            c = self._container
            items = self._items = c if all(type(x) in _SCALARS for x in c) else tuple(map(_wrap, c))
        return items

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return ImmutableList(self._container[index])
        return self._wrapped()[index]

    def __len__(self) -> int:
        return len(self._container)

    def __bool__(self) -> bool:
        return bool(self._container)

    def __iter__(self):
        return iter(self._wrapped())

    def __contains__(self, value: object) -> bool:
        return value in self._wrapped()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ImmutableList):
            return self._container == other._container
        if isinstance(other, (list, tuple)):
            return list(self._container) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._container)

    def __setitem__(self, index, value):
        raise TypeError(f"'{type(self).__name__}' object does not support item assignment")

    def __delitem__(self, index):
        raise TypeError(f"'{type(self).__name__}' object does not support item deletion")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._container)!r})"

    def copy(self) -> list:
        """A mutable deep copy."""
        return unwrap(self)

    def as_list(self) -> list:
        return unwrap(self)


_MISSING = object()
