"""Load detection YAML with YAML 1.2 semantics, as Panther's tooling does.

Only `true`/`false` (any case spelling of those) are booleans (`on`, `off`, `yes`, `no` stay strings),
`0644` is decimal, and timestamps and `1:30:00` stay strings. Built on PyYAML's C loader with the YAML 1.2
core-schema resolvers, which is what Panther's CLI does too, and fast enough to read a whole
panther-analysis checkout on every run. Errors carry the file's line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.detections.yaml_block import load_block
from workbench.detections.yaml_error import YamlError
from workbench.detections.yaml_fast import NOT_PLAIN, load_plain
from workbench.detections.yaml_json import put_back, split_json_logs

__all__ = ["Yaml12Loader", "YamlError", "load_yaml_file", "load_yaml_text"]

if TYPE_CHECKING:
    from workbench.detections.yaml12_loader import Yaml12Loader


def __getattr__(name: str) -> Any:
    # the full loader, imported when first needed: a spec directory read by the fast paths never loads PyYAML
    if name == "Yaml12Loader":
        from workbench.detections.yaml12_loader import Yaml12Loader

        return Yaml12Loader
    raise AttributeError(name)


def load_yaml_text(text: str, name: str = "<string>") -> Any:
    # test events written as JSON are read by orjson (yaml_json.py); block-style specs are read line by line
    # (yaml_block.py), other plain data (what spec files are) is built straight from the parser's events,
    # ~2x faster; anything else, errors included, goes through the full loader below
    value = _load_fast(text)
    if value is not NOT_PLAIN:
        return value
    import yaml

    from workbench.detections.yaml12_loader import Yaml12Loader

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
    # the bytes, then the text with line ends translated as a text-mode read does (a quarter cheaper)
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlError(f"{path}: not UTF-8 text") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return load_yaml_text(text, str(path))
