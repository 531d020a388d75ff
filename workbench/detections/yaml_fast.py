"""A fast path for `yaml12.load_yaml_text`: objects built straight from libyaml's event stream.

PyYAML's loader builds a node tree, then resolves and constructs every node through several Python method
calls each: on a panther-analysis-sized repository that is most of the time `rules test` takes when its
parse cache (spec_cache.py) is cold. Spec files are plain data (mappings, lists, scalars), so this builds
them in one loop over the parser's events with the same YAML 1.2 core-schema resolution as `Yaml12Loader`.

Anything beyond plain data (tags, anchors and aliases, merge keys, several documents, complex keys) and
any error returns NOT_PLAIN, and the caller uses the full loader, which also words the errors.
"""

from __future__ import annotations

import re
from typing import Any

NOT_PLAIN = object()
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_NULL = frozenset({"~", "null", "Null", "NULL", ""})
_PARSER: list = []  # libyaml's parser class (None without it), found on first use: PyYAML costs ~11 ms to import


def _parser_class() -> Any:
    if not _PARSER:
        try:  # libyaml's parser: PyYAML built without it has no fast path to offer
            from yaml import _yaml

            _PARSER.append(_yaml.CParser)
        except ImportError:  # pragma: no cover
            _PARSER.append(None)
    return _PARSER[0]


def _plain(value: str) -> Any:
    """A plain (unquoted) scalar, resolved as the YAML 1.2 core schema of yaml12.Yaml12Loader does."""
    if not value:
        return None
    first = value[0]
    if first in "-+0123456789.":
        if _INT.match(value):
            if value.startswith("0o"):
                return int(value[2:], 8)
            if value.startswith("0x"):
                return int(value[2:], 16)
            return int(value, 10)
        if _FLOAT.match(value):
            low = value.lower()
            sign = -1.0 if low[0] == "-" else 1.0
            if low.lstrip("+-") == ".inf":
                return sign * float("inf")
            if low == ".nan":
                return float("nan")
            return float(low)
        return value
    if first in "tTfF" and _BOOL.match(value):
        return first in "tT"
    if value in _NULL:
        return None
    if value == "<<":
        raise _Unsupported  # a merge key
    if first == "." and _FLOAT.match(value):
        return float("nan") if value.lower() == ".nan" else float("inf")
    return value


class _Unsupported(Exception):
    pass


def load_plain(text: str) -> Any:
    """The document in `text` as Python data, or NOT_PLAIN when the full loader must read it."""
    parser = _parser_class()
    if parser is None:
        return NOT_PLAIN
    try:
        return _build(parser(text))
    except Exception:  # an error or something this fast path does not build: the full loader decides
        return NOT_PLAIN


def _build(parser: Any) -> Any:
    import yaml

    get = parser.get_event
    scalar, seq_start, seq_end = yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.SequenceEndEvent
    map_start, map_end = yaml.MappingStartEvent, yaml.MappingEndEvent
    # a stack of open containers: [container, pending mapping key or _NO_KEY]
    stack: list[list] = []
    root: Any = None
    documents = 0
    while True:
        ev = get()
        t = type(ev)
        if t is scalar:
            if ev.anchor is not None or ev.tag is not None:
                raise _Unsupported
            value = _plain(ev.value) if ev.implicit[0] else ev.value  # [0]: plain, untagged
        elif t is map_start or t is seq_start:
            if ev.anchor is not None or (ev.tag is not None and ev.tag != "!"):
                raise _Unsupported
            if ev.tag is not None:
                raise _Unsupported
            stack.append([{} if t is map_start else [], _NO_KEY])
            continue
        elif t is map_end or t is seq_end:
            value = stack.pop()[0]
        elif t is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Unsupported  # the full loader refuses several documents, with its message
            continue
        elif t is yaml.StreamEndEvent:
            return root
        elif t is yaml.AliasEvent:
            raise _Unsupported
        else:  # StreamStart, DocumentEnd
            continue
        if not stack:
            root = value
            continue
        top = stack[-1]
        container = top[0]
        if type(container) is list:
            container.append(value)
        elif top[1] is _NO_KEY:
            if type(value) is dict or type(value) is list:
                raise _Unsupported  # a complex key
            top[1] = value
        else:
            container[top[1]] = value
            top[1] = _NO_KEY


_NO_KEY = object()
