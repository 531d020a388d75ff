"""The app-wide registry of unsaved work, so quitting can ask before losing it.

A screen that holds edits (the schema editor, a rule buffer) calls `app.dirty.mark(key, "what is unsaved")`
when the user edits and `app.dirty.clear(key)` after saving. `q` asks for confirmation while anything is marked.
"""

from __future__ import annotations

from collections.abc import Callable


class DirtyRegistry:
    """Named pieces of unsaved work. Keys are owner-chosen ids, e.g. "schema:Custom.Panoptica.Auth"."""

    def __init__(self) -> None:
        self._items: dict[str, str] = {}
        self._listeners: list[Callable[[DirtyRegistry], None]] = []

    def mark(self, key: str, description: str) -> None:
        if self._items.get(key) != description:
            self._items[key] = description
            self._changed()

    def clear(self, key: str) -> None:
        if self._items.pop(key, None) is not None:
            self._changed()

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
