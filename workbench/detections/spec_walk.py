"""Finding a content directory's spec files: the YAML files under a folder, in os.walk's order, from one
listing per folder; the helper and data model folders Panther's CLI looks for beside it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path


def _yaml_files(root: Path) -> Iterable[Path]:
    """`*.yml`/`*.yaml` under root, sorted per folder; hidden entries and __pycache__ skipped."""
    return (path for path, _link in _walk_yaml(root))


def _walk_yaml(root: Path, listings: dict[str, dict[str, os.DirEntry]] | None = None
               ) -> Iterable[tuple[Path, bool]]:
    """(file, whether it is a symlink) for `_yaml_files(root)`, in the same order (what os.walk with
    sorted folders gives), from one directory listing per folder: the listing's entries also tell whether
    a file is a link (and a plain file), which would otherwise cost a system call per file. `listings`
    collects each folder's files by name (see `_Listings`)."""
    if root.is_file():
        yield root, root.is_symlink()
        return
    yield from _walk_dir(str(root), listings)


def _walk_dir(top: str, listings: dict[str, dict[str, os.DirEntry]] | None) -> Iterable[tuple[Path, bool]]:
    try:
        with os.scandir(top) as it:
            entries = list(it)
    except OSError:
        return  # as os.walk: an unreadable folder is skipped
    dirs: list[os.DirEntry] = []
    files: list[os.DirEntry] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        (dirs if is_dir else files).append(entry)
    if listings is not None:
        listings[top] = {e.name: e for e in files}
    for entry in sorted(files, key=_name):
        name = entry.name
        if not name.startswith(".") and name.endswith((".yml", ".yaml")):
            try:
                link = entry.is_symlink()
            except OSError:
                link = False
            yield Path(entry.path), link
    for entry in sorted(dirs, key=_name):
        name = entry.name
        if name.startswith(".") or name == "__pycache__" or entry.is_symlink():
            continue  # os.walk does not follow symlinked folders either
        yield from _walk_dir(entry.path, listings)


def _name(entry: os.DirEntry) -> str:
    return entry.name


def support_dirs(root: Path, cwd: Path | None = None) -> list[Path]:
    """`global_helpers/` and `data_models/` folders found where Panther's CLI looks for them.

    Inside the content path, in its parent, in the current directory and in the current directory's parent.
    """
    cwd = (cwd or Path.cwd()).resolve()
    base = root if root.is_dir() else root.parent
    seen: list[Path] = []
    for place in (base, base.parent, cwd, cwd.parent):
        for name in ("global_helpers", "data_models"):
            d = (place / name).resolve()
            if d.is_dir() and d not in seen:
                seen.append(d)
    return seen


class _Listings:
    """The walk's folder listings: whether a file beside a spec is a plain file (not a link), without a
    system call per file. False when the listing cannot tell (another folder, a link, a name it lacks): the
    caller then asks the file system."""

    def __init__(self, listings: Mapping[str, Mapping[str, os.DirEntry]] | None):
        self.listings = listings or {}

    def plain_file(self, folder: Path, name: str) -> bool:
        entry = self.listings.get(str(folder), {}).get(name)
        try:
            return entry is not None and not entry.is_symlink() and entry.is_file()
        except OSError:
            return False
