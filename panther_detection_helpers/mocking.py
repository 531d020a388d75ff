"""Test-time helper: is a value a unittest mock (as a unit test's `Mocks:` patches names in)?

Rules check `isinstance(X, MagicMock)` before calling a mocked module constant; this says the same.
"""

from unittest.mock import MagicMock


def is_mocked(obj: object) -> bool:
    return isinstance(obj, MagicMock)
