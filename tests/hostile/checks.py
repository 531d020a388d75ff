"""The guarantees, as assertions shared by every hostile test module."""

from __future__ import annotations

import re

from .corpus import FORBIDDEN

# A traceback or a Python repr of an exception leaking to the user instead of a sentence.
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s+File \"", re.M)


def assert_no_control(text: str, where: str = "output") -> None:
    """Nothing that could drive a terminal (ESC, C1, BEL, NUL, bidi overrides) is in `text`."""
    for bad in FORBIDDEN:
        assert bad not in text, f"{bad!r} reached the {where}: {text[max(0, text.find(bad) - 60):text.find(bad) + 60]!r}"


def assert_plain_sentence(message: object, where: str = "message") -> None:
    """One plain line: no traceback, no newline, no control characters, not empty, not absurdly long."""
    text = str(message)
    assert text.strip(), f"empty {where}"
    assert "\n" not in text.strip(), f"{where} is several lines: {text[:300]!r}"
    assert not _TRACEBACK.search(text), f"{where} is a traceback: {text[:300]!r}"
    assert len(text) <= 2000, f"{where} is {len(text)} characters long"
    assert_no_control(text, where)


def assert_safe_output(text: str, where: str = "output", *, secrets: tuple[str, ...] = ()) -> None:
    """What a command printed for a human: no control sequences, no traceback, no secret."""
    assert_no_control(text, where)
    assert not _TRACEBACK.search(text), f"traceback in {where}: {text[:500]!r}"
    for s in secrets:
        if s:
            assert s not in text, f"a credential reached the {where}"
