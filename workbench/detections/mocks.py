"""`Mocks:` of unit tests: `MagicMock(return_value=…)` objects, as Panther's CLI makes them, reused when untouched.

Making a MagicMock costs ~0.2–0.4 ms (it builds a class of its own and sets up every magic method): on a
repository with hundreds of mocked cases that was a fifth of the test run. A mock that a case only called
(or did not use at all) is, after `reset_mock()`, indistinguishable from a new one, so it goes back to a
pool for the next case with the same name and return value. One that the rule changed in any way (an
attribute read or set, a child mock, a new return value or side effect, a magic method) is dropped.
"""

from __future__ import annotations

from typing import Any


class MockPool:
    def __init__(self) -> None:
        self._free: dict[tuple, list] = {}

    def take(self, name: str, value: Any) -> Any:
        from unittest.mock import MagicMock  # ~50 ms to import: only when a case has Mocks

        free = self._free.get((name, type(value), value))
        if free:
            return free.pop()[0]
        mock = MagicMock(return_value=value)
        return mock

    def give_back(self, name: str, value: Any, mock: Any, fresh_state: tuple | None) -> None:
        """Pool `mock` again if its state is what it was before the case (`fresh_state` from `state()`)."""
        if fresh_state is not None and _state(mock, value) == fresh_state:
            mock.reset_mock()
            self._free.setdefault((name, type(value), value), []).append((mock,))

    @staticmethod
    def state(mock: Any, value: Any) -> tuple | None:
        return _state(mock, value)


def _state(mock: Any, value: Any) -> tuple | None:
    """What must be unchanged for the mock to be reusable; None if it cannot be told."""
    d = getattr(mock, "__dict__", None)
    if d is None:
        return None
    return (tuple(d), len(type(mock).__dict__), len(d.get("_mock_children") or ()),
            d.get("_mock_return_value") is value, d.get("_mock_side_effect"), d.get("_mock_wraps"),
            d.get("_spec_class"), d.get("_mock_sealed", False))
