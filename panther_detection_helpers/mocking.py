"""Test-time helpers: is a value a unittest mock (as patched in by a unit test's `Mocks`)?"""

from unittest.mock import MagicMock


def allowed_char(char: str) -> bool:
    """Characters kept by `sanitize_key`."""
    return char.isalnum() or char in "-_."


def is_mocked(obj: object) -> bool:
    return isinstance(obj, MagicMock)
