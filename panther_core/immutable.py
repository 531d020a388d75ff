"""Read-only views over event data: mappings with case-insensitive keys and tuple-backed lists.

Behaviour follows Panther's `panther_core` as detection authors see it (checked by the differential tests
in tests/test_detections_oracle.py): only plain dicts and lists are wrapped on access; a key is matched
exactly first, then through its `.lower()` (the first key in insertion order wins when several differ only
in case; a non-string key that is not present therefore raises AttributeError on a non-empty mapping);
lists are tuple-backed, unhashable, compare equal to lists and tuples, and slice into plain tuples.

Nested views are made lazily and cached per parent, so a rule that reads three fields of a large event only
pays for those three, and every rule reading the same field shares the view.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

_MISSING = object()


def _wrap(value: Any) -> Any:
    """Plain dicts and lists become views; everything else (tuples, sets, views already) is left alone."""
    t = type(value)
    if t is dict:
        return ImmutableCaseInsensitiveDict(value)
    if t is list:
        return ImmutableList(value)
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})


def json_encoder(value: Any) -> Any:
    """`default=` hook for json.dumps: a view serialises as what it wraps; anything else is refused."""
    if isinstance(value, (ImmutableCaseInsensitiveDict, ImmutableList)):
        return value._container
    raise TypeError(f"object of type {type(value)} is not JSON serializable")


class ImmutableCaseInsensitiveDict(Mapping):
    """A read-only mapping whose string keys match case-insensitively at every depth."""

    def __init__(self, data: Any = None):
        if data is None:
            data = {}
        # a snapshot of the top level, as the original does (`.copy()` where the type has one)
        self._container = data.copy() if hasattr(type(data), "copy") else data
        self._lower: dict | None = None
        self._cache: dict | None = None

    def _real_key(self, key: Any) -> Any:
        """The stored key `key` matches case-insensitively, or _MISSING. Called only after an exact miss."""
        folded = key.lower()  # a key without .lower() (an int) raises here, as in Panther's
        lower = self._lower
        if lower is None:
            lower = {}
            for k in self._container:
                if isinstance(k, str):
                    lower.setdefault(k.lower(), k)
            self._lower = lower
        return lower.get(folded, _MISSING)

    # `__getitem__` and `get` are what every rule calls, several times per event: they are written out in
    # full (no helper calls on the hit path) because a Python-level call costs as much as the lookup.

    def __getitem__(self, key: Any) -> Any:
        c = self._container
        try:
            value = c[key]
        except KeyError:
            if not c:
                raise
            real = self._real_key(key)
            if real is _MISSING:
                raise
            key = real
            value = c[real]
        if type(value) in _SCALARS:
            return value
        return self._wrapped(key, value)

    def _wrapped(self, key: Any, value: Any) -> Any:
        """A nested value, wrapped once per key and cached: the same object on every access."""
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
        # not `c[key]` first: rules often ask for optional fields, and a raised KeyError costs ~1 µs
        value = c.get(key, _MISSING)  # an unhashable key raises TypeError, as in Panther's
        if value is _MISSING:
            if not c:
                return default
            real = self._real_key(key)
            if real is _MISSING:
                return default
            key = real
            value = c[real]
        if type(value) in _SCALARS:
            return value
        return self._wrapped(key, value)

    def __contains__(self, key: object) -> bool:
        c = self._container
        if key in c:
            return True
        return bool(c) and self._real_key(key) is not _MISSING

    def __iter__(self):
        return iter(self._container)

    def __len__(self) -> int:
        return len(self._container)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._container})"

    def copy(self) -> dict:
        """A mutable deep copy."""
        return dict(copy.deepcopy(self._container))

    def to_dict(self) -> dict:
        return self.copy()

    def raw_view(self) -> Any:
        """The wrapped mapping itself, without a copy (read-only by convention)."""
        return self._container

    def deep_get(self, *keys: Any, default: Any = None) -> Any:
        """Follow `keys` through mappings; `default` when a hop is not a mapping or the result is None.

        A missing key continues the walk from `default`, as in Panther's (so it only matters when `default`
        is itself a mapping).
        """
        value: Any = self
        for key in keys:
            value = value.get(key, default) if isinstance(value, Mapping) else default
        return default if value is None else value


class ImmutableList(Sequence):
    """A read-only, tuple-backed list that compares equal to lists and tuples with the same items."""

    def __init__(self, data: Any = None):
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
        if type(index) is slice:
            return self._container[index]  # a plain tuple of the raw items, as in Panther's
        return self._wrapped()[index]

    def __len__(self) -> int:
        return len(self._container)

    def __iter__(self):
        return iter(self._wrapped())

    def __contains__(self, value: object) -> bool:
        return value in self._wrapped()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ImmutableList):
            return self._container == other._container
        if isinstance(other, (tuple, list)):
            return len(self._container) == len(other) and self._container == tuple(other)
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._container})"

    def copy(self) -> list:
        """A mutable deep copy."""
        return list(copy.deepcopy(self._container))

    def as_list(self) -> list:
        return self.copy()
