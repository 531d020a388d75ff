"""Parsed YAML of a large content directory, kept between runs.

Reading YAML is where `rules test` spends most of its time on a big repository (PyYAML builds every object
in Python: ~2.5 ms per rule file of a panther-analysis-sized checkout, seconds in all). Each file's parsed
value is stored with the file's identity (mtime, size, inode); a file whose identity is unchanged is not
read again. Only directories with at least `MIN_FILES` spec files use it: small ones parse in milliseconds.

The cache lives in `$WORKBENCH_CACHE_DIR`, else `$XDG_CACHE_HOME/log-workbench`, else
`~/.cache/log-workbench`, one file per content directory, written atomically; a cache that cannot be read
or written is simply not used. `WORKBENCH_CACHE_DIR=off` disables it.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
from pathlib import Path
from typing import Any

import orjson

from workbench.detections.yaml12 import YamlError, load_yaml_file

MIN_FILES = 100
FORMAT = 1  # bump when what is stored changes
# A test's `Log` mapping as stored in the cache: (ENCODED_LOG, its JSON). YAML never yields a tuple, so
# this cannot be mistaken for something a spec file wrote.
ENCODED_LOG = "\0json"


def encode_log(log: Any) -> bytes:
    """A test event as the JSON the rule worker reads (non-string keys and odd values as text)."""
    try:
        return orjson.dumps(log, default=str, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. an integer beyond 64 bits, which orjson refuses
        return json.dumps(log, default=str).encode()


def _encode_logs(raw: Any) -> Any:
    """Replace each well-formed `Tests[i].Log` mapping by its encoded form (anything else is left for the
    spec validation to report)."""
    tests = raw.get("Tests") if isinstance(raw, dict) else None
    if isinstance(tests, list):
        for case in tests:
            if isinstance(case, dict) and isinstance(case.get("Log"), dict):
                case["Log"] = (ENCODED_LOG, encode_log(case["Log"]))
    return raw


def cache_dir() -> Path | None:
    explicit = os.environ.get("WORKBENCH_CACHE_DIR")
    if explicit:
        return None if explicit.lower() == "off" else Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "log-workbench"


class YamlCache:
    """`load(path)`: the parsed YAML of one file (YamlError as `load_yaml_file` raises it), from the cache
    when the file is unchanged. `save()` writes back what changed."""

    def __init__(self, root: Path, n_files: int):
        self.root = str(root)
        self.path: Path | None = None
        self.old: dict[str, tuple] = {}
        self.new: dict[str, tuple] = {}
        self.dirty = False
        folder = cache_dir() if n_files >= MIN_FILES else None
        if folder is None:
            return
        digest = hashlib.sha1(str(root).encode()).hexdigest()[:20]
        self.path = folder / "specs" / f"{digest}.marshal"
        try:
            data = marshal.loads(self.path.read_bytes())
            if isinstance(data, dict) and data.get("format") == FORMAT and data.get("root") == str(root):
                self.old = data["files"]
        except (OSError, ValueError, EOFError, TypeError, KeyError):
            self.old = {}

    def load(self, path: Path) -> Any:
        if self.path is None:
            return load_yaml_file(path)
        key = str(path)
        try:
            st = os.stat(path)
            ident = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            return load_yaml_file(path)  # raises the usual error
        hit = self.old.get(key)
        if hit is not None and hit[0] == ident:
            self.new[key] = hit
        else:
            try:
                hit = (ident, True, _encode_logs(load_yaml_file(path)))
            except YamlError as e:
                hit = (ident, False, str(e))
            self.new[key] = hit
            self.dirty = True
        if not hit[1]:
            raise YamlError(hit[2])
        return hit[2]

    def save(self) -> None:
        if self.path is None or not (self.dirty or set(self.old) - set(self.new)):
            return
        try:
            blob = marshal.dumps({"format": FORMAT, "root": self.root, "files": self.new})
        except ValueError:  # a value marshal cannot store (a custom YAML tag's object): no cache
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, self.path)
        except OSError:
            pass
