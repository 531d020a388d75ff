"""Write a detected log type into a config's `prefixes:`, keeping the file as the user wrote it.

`detect --apply` and the Browse screen's one-key mapping both call `apply_mapping`. The config is edited
with ruamel.yaml's round-trip mode, so comments, key order and quoting survive; the file is replaced
atomically (`workbench.files.atomic_write`). A prefix that already maps to log types keeps them (the new
type is added, not substituted), so re-running is harmless.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.files import atomic_write

_PLACEHOLDER = re.compile(r"[{*]")


def literal_prefix(pattern: str) -> str:
    """The literal folder prefix of a key pattern: `okta/{yyyy}/{mm}/*.json.gz` → `okta/` ('' at the root)."""
    m = _PLACEHOLDER.search(pattern)
    head = pattern[: m.start()] if m else pattern
    return head[: head.rfind("/") + 1]


@dataclass(frozen=True, slots=True)
class MappingChange:
    prefix: str
    log_type: str
    action: str  # "added" (new prefix), "extended" (type added to a prefix), "unchanged"

    def describe(self) -> str:
        return {"added": f"mapped {self.prefix} to {self.log_type}",
                "extended": f"added {self.log_type} to the log types of {self.prefix}",
                "unchanged": f"{self.prefix} already maps to {self.log_type}"}[self.action]


def apply_mapping(config_path: str | os.PathLike, source: str, prefix: str, log_type: str) -> MappingChange:
    """Map `prefix` to `log_type` under `sources.<source>.prefixes` in the config file at `config_path`."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not prefix:
        raise WorkbenchError("Objects at the bucket root have no prefix to map; give the detection a --prefix.")
    from ruamel.yaml.util import load_yaml_guess_indent

    path = Path(config_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise WorkbenchError(f"Cannot read config {path}: {e.strerror or e}.") from None
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long value (a queue URL) onto a new line
    # keep the file's own "- item" placement: flush with the key (as `workbench demo` writes) or indented
    dash = load_yaml_guess_indent(text)[2]
    dash = 2 if dash is None else dash
    yaml.indent(mapping=2, sequence=dash + 2, offset=dash)
    doc = yaml.load(text)
    sources = doc.get("sources") if isinstance(doc, dict) else None
    if not isinstance(sources, dict) or source not in sources or not isinstance(sources[source], dict):
        raise WorkbenchError(f"{path} has no source named {source!r} to map a prefix in.")
    src = sources[source]
    prefixes = src.get("prefixes")
    if prefixes is None:
        prefixes = src["prefixes"] = CommentedMap()
    if not isinstance(prefixes, dict):
        raise WorkbenchError(f"{path}: sources.{source}.prefixes is not a mapping; fix it by hand first.")
    current = prefixes.get(prefix)
    if current is None:
        prefixes[prefix] = log_type
        change = MappingChange(prefix, log_type, "added")
    else:
        types = [current] if isinstance(current, str) else list(current)
        if log_type in types:
            return MappingChange(prefix, log_type, "unchanged")
        seq = CommentedSeq([*types, log_type])
        seq.fa.set_flow_style()
        prefixes[prefix] = seq
        change = MappingChange(prefix, log_type, "extended")
    out = io.StringIO()
    yaml.dump(doc, out)
    atomic_write(path, out.getvalue())
    return change
