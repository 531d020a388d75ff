"""Load detection YAML with YAML 1.2 semantics, as Panther's tooling does.

Only `true`/`false` are booleans (`on`, `off`, `yes`, `no` stay strings), `0644` is decimal, and
timestamps and `1:30:00` stay strings. Errors carry the file's line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError


class YamlError(ValueError):
    """A file that is not valid YAML; the message names file:line:col."""


def _loader() -> YAML:
    y = YAML(typ="safe", pure=True)
    # ruamel would build datetime objects; Panther keeps timestamps as the strings written in the file
    y.constructor.add_constructor("tag:yaml.org,2002:timestamp", lambda c, node: c.construct_scalar(node))
    return y


_YAML = _loader()


def load_yaml_text(text: str, name: str = "<string>") -> Any:
    try:
        return _YAML.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise YamlError(f"{where}: not valid YAML ({e.problem or e.context})") from None
    except YAMLError as e:
        raise YamlError(f"{name}: not valid YAML ({str(e).splitlines()[0]})") from None


def load_yaml_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlError(f"{path}: not UTF-8 text") from None
    return load_yaml_text(text, str(path))
