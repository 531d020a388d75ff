"""The app-wide registry of unsaved work, so quitting can ask before losing it.

A screen that holds edits (the schema editor, a rule buffer) calls `app.dirty.mark(key, "what is unsaved")`
when the user edits and `app.dirty.clear(key)` after saving. `q` asks for confirmation while anything is marked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path


class DirtyRegistry:
    """Named pieces of unsaved work. Keys are owner-chosen ids, e.g. "schema:Custom.Panoptica.Auth".

    `mark(..., text=callable)` also says how to read the unsaved text, so `save_recovery` can keep a copy
    when the app is ended by a signal (terminal closed, SIGTERM) instead of by `q`."""

    def __init__(self) -> None:
        self._items: dict[str, str] = {}
        self._texts: dict[str, Callable[[], str]] = {}
        self._listeners: list[Callable[[DirtyRegistry], None]] = []

    def mark(self, key: str, description: str, text: Callable[[], str] | None = None) -> None:
        if text is not None:
            self._texts[key] = text
        if self._items.get(key) != description:
            self._items[key] = description
            self._changed()

    def clear(self, key: str) -> None:
        self._texts.pop(key, None)
        if self._items.pop(key, None) is not None:
            self._changed()

    def save_recovery(self, folder: Path) -> list[Path]:
        """Write every unsaved text that can be read to `folder` (one file per piece); returns the files."""
        saved = []
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for key, read in list(self._texts.items()):
            if key not in self._items:
                continue
            try:
                text = read()
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', key)[:80]}-{stamp}.txt"
                path.write_text(f"# {self._items[key]}\n{text}", encoding="utf-8")
            except Exception:  # shutting down: one piece that cannot be written must not stop the rest
                continue
            saved.append(path)
        return saved

    def is_dirty(self, key: str | None = None) -> bool:
        return bool(self._items) if key is None else key in self._items

    def descriptions(self) -> list[str]:
        return list(self._items.values())

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def on_change(self, listener: Callable[[DirtyRegistry], None]) -> None:
        """Call `listener(registry)` after every change (on the thread that made it: the UI thread)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)
