"""The one exception type users see: a single plain sentence saying what failed and what to do next."""


class WorkbenchError(Exception):
    """A failure meant for the user. `str(err)` is one line, safe to print as plain text."""

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(" ".join(message.split()))
        self.detail = detail  # longer context (traceback, AWS response) shown behind a key, never by default
