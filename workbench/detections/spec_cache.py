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

import json
import marshal
import os
import signal
import sys
import zlib
from pathlib import Path
from typing import Any

import orjson

from workbench.detections.yaml_error import YamlError

MIN_FILES = 100
PARALLEL_MIN = 200  # files to parse before a second process is worth its fork
# the share of the files the child parses: a little under half, as the child also pays for its fork (pages
# copied on write), for sending its half back, and shares the cores with a rule worker's start-up; both then
# finish at about the same time (measured on a 900-rule repository: the parent waited ~10 ms at one half)
CHILD_SHARE = 0.45
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


def _ident(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def load_yaml_file(path: Path) -> Any:
    """yaml12.load_yaml_file, imported when first needed: a run whose specs all come from the cache never
    loads PyYAML and the YAML modules (~11 ms)."""
    from workbench.detections.yaml12 import load_yaml_file as load

    return load(path)


def _parse(path: Path, ident: tuple) -> tuple:
    """(identity, True, parsed value with encoded logs) or (identity, False, the YamlError text)."""
    try:
        return (ident, True, _encode_logs(load_yaml_file(path)))
    except YamlError as e:
        return (ident, False, str(e))


class YamlCache:
    """`load(path)`: the parsed YAML of one file (YamlError as `load_yaml_file` raises it), from the cache
    when the file is unchanged. `save()` writes back what changed."""

    def __init__(self, root: Path, n_files: int):
        self.root = str(root)
        self.path: Path | None = None
        self.old: dict[str, tuple] = {}
        self.new: dict[str, tuple] = {}
        self.parsed: dict[str, tuple] = {}  # read ahead by prefetch()
        self.idents: dict[str, tuple | None] = {}  # what prefetch() found, for load() (one stat per file)
        self._child: tuple[int, int] | None = None  # (pid, pipe) of the child parsing the second half
        self.dirty = False
        folder = cache_dir() if n_files >= MIN_FILES else None
        if folder is None:
            return
        # a name for the folder (the folder itself is checked inside the file); zlib is loaded already,
        # hashlib would cost ~3 ms of start-up
        name = str(root).encode()
        digest = f"{zlib.crc32(name):08x}{zlib.adler32(name):08x}"
        self.path = folder / "specs" / f"{digest}.marshal"
        try:
            data = marshal.loads(self.path.read_bytes())
            if isinstance(data, dict) and data.get("format") == FORMAT and data.get("root") == str(root):
                self.old = data["files"]
        except (OSError, ValueError, EOFError, TypeError, KeyError):
            self.old = {}

    def prefetch(self, files: list[Path]) -> None:
        """Parse the files the cache cannot answer for, half of them in a forked child when there are many
        (the machine's second core reads YAML while this one does): on a cold cache this is most of the run.
        This process parses the first half; the child's second half is collected when `load()` first
        asks for one of its files, so the caller goes on with the first half's files meanwhile.

        Only from a process without threads (fork is unsafe with them); any failure of the child just
        leaves its half to `load()`.
        """
        if self.path is None:
            return
        misses = []
        idents = self.idents
        for path in files:
            key = str(path)
            idents[key] = ident = _ident(path)
            hit = self.old.get(key)
            if ident is not None and (hit is None or hit[0] != ident):
                misses.append((path, ident))
        if misses:  # imported here, before the fork, so the child inherits the spec readers
            import workbench.detections.yaml12  # noqa: F401
        threading = sys.modules.get("threading")
        if (len(misses) < PARALLEL_MIN or not hasattr(os, "fork")
                or (threading is not None and threading.active_count() > 1)):
            return
        cut = len(misses) - int(len(misses) * CHILD_SHARE)
        mine, theirs = misses[:cut], misses[cut:]
        try:
            r, w = os.pipe()
            pid = os.fork()
        except OSError:
            return
        if pid == 0:  # the child: parse, send, and leave without running any of the parent's exit code
            try:
                os.close(r)
                blob = marshal.dumps({str(path): _parse(path, ident) for path, ident in theirs})
                view = memoryview(blob)
                while view:
                    view = view[os.write(w, view):]
            finally:
                os._exit(0)
        os.close(w)
        self._child = (pid, r)
        for path, ident in mine:
            try:
                self.parsed[str(path)] = _parse(path, ident)
            except OSError:
                pass  # gone or unreadable since the walk: load() reads it again and reports it

    def _join_child(self) -> None:
        """Take in what the child parsed (or nothing, when it died or wrote half a reply: `load()` parses
        what is missing) and reap it."""
        if self._child is None:
            return
        pid, r = self._child
        self._child = None
        chunks = []
        with os.fdopen(r, "rb") as f:
            while chunk := f.read(1 << 20):
                chunks.append(chunk)
        try:
            os.waitpid(pid, 0)
            self.parsed.update(marshal.loads(b"".join(chunks)))
        except (OSError, ValueError, EOFError, TypeError):
            pass

    def close(self) -> None:
        """Stop and reap a parse child still running (the caller gave up half-way, e.g. on an error)."""
        if self._child is not None:
            pid, r = self._child
            self._child = None
            os.close(r)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass

    def load(self, path: Path) -> Any:
        if self.path is None:
            return load_yaml_file(path)
        key = str(path)
        ident = self.idents.pop(key) if key in self.idents else _ident(path)
        if ident is None:
            return load_yaml_file(path)  # raises the usual error
        hit = self.old.get(key)
        if hit is not None and hit[0] == ident:
            self.new[key] = hit
        else:
            hit = self.parsed.get(key)
            if hit is None and self._child is not None:
                self._join_child()
                hit = self.parsed.get(key)
            if hit is None or hit[0] != ident:
                hit = _parse(path, ident)
            self.new[key] = hit
            self.dirty = True
        if not hit[1]:
            raise YamlError(hit[2])
        return hit[2]

    def save(self) -> None:
        self.finish()
        self.write()

    def finish(self) -> None:
        """Reap the parse child (never left behind); `write()` may come later."""
        self._join_child()

    def write(self) -> None:
        """Store what changed (after `finish()`)."""
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
