"""Messages screens and widgets post up to the App. Attributes flow down; these flow up."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class SessionUpdate(Message):
    """Ask the App to change session fields, e.g. `self.post_message(SessionUpdate(sample=result))`.

    The App applies it on the UI thread and publishes `app.session_changed` with the changed names.
    Safe to post from a thread worker.
    """

    def __init__(self, **changes: Any) -> None:
        super().__init__()
        self.changes = changes


class GotoScreen(Message):
    """Ask the App to switch to another screen (mode name from `screens.shell.registry`)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
