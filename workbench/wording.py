"""Wording shared by the CLI and the screens: a count with the noun that agrees with it."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n` (with thousands separators) and `word`, or its plural: "1 rule", "21 rules", "1,204 records".

    The plural is `word` + "s" unless `many` names it ("match" → "matches", "entry" → "entries").
    """
    return f"{n:,} {word if n == 1 else many or word + 's'}"
