"""Writing files the user keeps: whole or not at all, with the mode the file already had."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: str | bytes | Iterable[bytes], *, make_parents: bool = False) -> None:
    """Replace `path` so a reader sees the old file or the new one, never half of it.

    The new content goes to a temporary file in the same folder (a rename is atomic only within one file
    system), is flushed to disk, and is renamed over `path`; on any failure the temporary file is removed
    and the old file is untouched. An existing file keeps its permission bits (a fresh one gets the
    ordinary umask default), so saving never narrows a file to 0600. `data` may be text, bytes, or an
    iterable of byte chunks (an export of many events). A missing folder is an error unless `make_parents`
    (a path the user typed with a typo should not grow folders).
    """
    path = Path(path)
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, str):
                f.write(data.encode("utf-8"))
            elif isinstance(data, bytes | bytearray):
                f.write(data)
            else:
                for chunk in data:
                    f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def human_size(n: int) -> str:
    """A byte count as people read it, in binary units: `512 B`, `3.4 KiB`, `1.2 GiB`."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
