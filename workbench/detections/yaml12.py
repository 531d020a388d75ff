"""Load detection YAML with YAML 1.2 semantics, as Panther's tooling does.

Only `true`/`false` (any case spelling of those) are booleans (`on`, `off`, `yes`, `no` stay strings),
`0644` is decimal, and timestamps and `1:30:00` stay strings. Built on PyYAML's C loader with the YAML 1.2
core-schema resolvers, which is what Panther's CLI does too, and fast enough to read a whole
panther-analysis checkout on every run. Errors carry the file's line and column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from workbench.detections.yaml_block import load_block
from workbench.detections.yaml_error import YamlError
from workbench.detections.yaml_fast import NOT_PLAIN, load_plain
from workbench.detections.yaml_json import put_back, split_json_logs

__all__ = ["Yaml12Loader", "YamlError", "load_yaml_file", "load_yaml_text"]

if TYPE_CHECKING:  # the C loader is picked at run time; both have the SafeLoader interface
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Yaml12Loader(_Base):
    """SafeLoader with YAML 1.2 core-schema implicit types."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))


def _int12(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # "0644" is 644: no YAML 1.1 octal


def _timestamp_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)  # an explicit !!timestamp still reads as the text written


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)
Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_text)


def load_yaml_text(text: str, name: str = "<string>") -> Any:
    # test events written as JSON are read by orjson (yaml_json.py); block-style specs are read line by line
    # (yaml_block.py), other plain data (what spec files are) is built straight from the parser's events,
    # ~2x faster; anything else, errors included, goes through the full loader below
    value = _load_fast(text)
    if value is not NOT_PLAIN:
        return value
    try:
        return yaml.load(text, Loader=Yaml12Loader)  # a SafeLoader subclass: safe
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise YamlError(f"{where}: not valid YAML ({e.problem or e.context})") from None
    except yaml.YAMLError as e:
        raise YamlError(f"{name}: not valid YAML ({str(e).splitlines()[0]})") from None


def _load_fast(text: str) -> Any:
    split = split_json_logs(text)
    if split is not None:
        skeleton, events = split
        value = _load_plain(skeleton)
        if value is not NOT_PLAIN and put_back(value, events):
            return value
    return _load_plain(text)


def _load_plain(text: str) -> Any:
    """Block-style spec YAML read line by line (yaml_block.py), else built from libyaml's events."""
    value = load_block(text)
    return load_plain(text) if value is NOT_PLAIN else value


def load_yaml_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlError(f"{path}: not UTF-8 text") from None
    return load_yaml_text(text, str(path))
