"""A data model: per log type, maps unified field names (`source_ip`, `actor_user`, …) to event fields.

A mapping is either a JSONPath (`Path`, evaluated on the raw event) or the name of a function (`Method`)
in the data model's Python module. JSONPaths are compiled once, when the model is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any


class DataModel:
    """Compiled mappings of one data model. `mappings` are dicts with `Name` and `Path` or `Method`."""

    def __init__(self, model_id: str, mappings: Iterable[Mapping[str, Any]], module: ModuleType | None = None):
        self.model_id = model_id
        self.paths: dict[str, tuple[str, Any]] = {}
        self.methods: dict[str, tuple[str, Callable]] = {}
        for raw in mappings:
            m = {str(k).lower(): v for k, v in raw.items()}
            name = m.get("name")
            if not isinstance(name, str):
                raise ValueError(f"DataModel [{model_id}]: every mapping needs a Name")
            if ("path" in m) == ("method" in m):
                raise ValueError(f"DataModel [{model_id}]: mapping [{name}] needs exactly one of Path or Method")
            if "path" in m:
                self.paths[name] = (str(m["path"]), _compile(str(m["path"])))
            else:
                method = str(m["method"])
                fn = getattr(module, method, None) if module is not None else None
                if not callable(fn):
                    raise ValueError(f"DataModel [{model_id}]: method [{method}] of mapping [{name}] is not defined")
                self.methods[name] = (method, fn)

    def path_of(self, key: str) -> str | None:
        if key in self.paths:
            return self.paths[key][0]
        if key in self.methods:
            return self.methods[key][0]
        return None


_SIMPLE = re.compile(r"^(?:\$\.)?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


class _Match:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class _FieldChain:
    """`$.a.b.c` (or `a.b.c`): what most mappings are, evaluated without a JSONPath engine."""

    def __init__(self, path: str):
        self.text = path
        self.keys = tuple(path.removeprefix("$.").split("."))

    def __str__(self) -> str:
        return self.text  # as jsonpath_ng prints these simple paths

    def find(self, data: Any) -> list[_Match]:
        value = data
        for key in self.keys:
            if not isinstance(value, Mapping) or key not in value:
                return []
            value = value[key]
        return [_Match(value)]


def _compile(path: str) -> Any:
    if _SIMPLE.match(path):
        return _FieldChain(path)
    # the jsonpath_ng "ext" grammar accepts filters like $.a[?(@.name == 'x')].value, as Panther's does
    from jsonpath_ng.ext import parse

    return parse(path)
