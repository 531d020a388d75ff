"""safetext.clean: printable text comes back as is (the fast path), and equals what the escape and control
patterns would make of it; anything else goes through them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.safetext import _CONTROLS, _ESCAPES, _VISIBLE, clean, one_line


def _patterns(s: str, single_line: bool) -> str:
    out = _CONTROLS.sub(lambda m: _VISIBLE.get(m.group(), ""), _ESCAPES.sub("", s))
    return out.replace("\n", " ").replace("\t", " ") if single_line else out


text = st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=4) | st.sampled_from(
    ["\x1b[31m", "\x1b]0;t\x07", "\x9b2J", "\t", "\n", "\r", "\x00", "\u202e", "\u2066", "\x85", "é", "😀"]),
    max_size=8).map("".join)


@settings(max_examples=500, deadline=None)
@given(text, st.booleans())
def test_clean_is_the_patterns_whatever_the_path(s, single_line):
    assert clean(s, single_line=single_line) == _patterns(s, single_line)


def test_one_line_cuts_and_flattens():
    assert one_line("a\tb\nc\x1b[1mD", 100) == "a b cD"
    assert one_line("x" * 10, 5) == "xxxx…"
