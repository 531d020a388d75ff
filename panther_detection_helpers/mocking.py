"""Test-time helper: is a value a unittest mock (as a unit test's `Mocks:` patches names in)?

Rules check `is_mock(X)` before calling a mocked module constant; this says the same as Panther's.
"""

from unittest.mock import MagicMock


def is_mock(func: object) -> bool:
    return isinstance(func, MagicMock)


is_mocked = is_mock  # the name this stand-in first shipped with
