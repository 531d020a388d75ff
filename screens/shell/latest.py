"""Latest request wins: results of superseded background work are dropped when they land.

A screen that starts the same kind of work again before the last one finished (a re-parse per keystroke,
a re-filter per keystroke, a new inference) takes a token with `next()`, passes it to the worker, and the
worker's message carries it back; the handler keeps the result only if `is_current(token)`. Thread workers
cannot be interrupted, so this is what keeps an old answer from replacing a newer one.
"""

from __future__ import annotations


class Latest:
    """A counter of requests of one kind; only the newest request's result counts."""

    __slots__ = ("_n",)

    def __init__(self) -> None:
        self._n = 0

    def next(self) -> int:
        """Start a new request: every earlier token stops being current."""
        self._n += 1
        return self._n

    def supersede(self) -> None:
        """Drop whatever is in flight without starting anything (e.g. the user loaded other text)."""
        self._n += 1

    @property
    def current(self) -> int:
        return self._n

    def is_current(self, token: int) -> bool:
        return token == self._n
