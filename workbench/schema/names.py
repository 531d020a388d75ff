"""Stored column names: a field's source name as Panther's data lake normalises it.

Letters, digits, `_` and `-` stay (case kept); a few symbols become words between underscores
(`@timestamp` → `at_sign_timestamp`, `$ref` → `dollar_sign_ref`); other non-ASCII letters are transliterated
to ASCII (the same `anyascii` tables Panther uses); anything else becomes `_` (`user.name` → `user_name`).
Reference: panther-labs/panther internal/log_analysis/awsglue/glueschema/columns.go (ColumnName).
"""

from __future__ import annotations

from functools import lru_cache

from anyascii import anyascii

_WORDS = {
    "@": "at_sign", ",": "comma", "`": "backtick", "'": "apostrophe", "$": "dollar_sign", "*": "asterisk",
    "&": "ampersand", "!": "exclamation", "%": "percent", "+": "plus", "/": "slash", "\\": "backslash",
    "#": "hash", "~": "tilde", "=": "eq",
}


def _kept(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or ("0" <= c <= "9") or c in "_-"


@lru_cache(maxsize=4096)
def column_name(name: str) -> str:
    """The column a field named `name` is stored under (identity for plain names)."""
    if all(_kept(c) for c in name):
        return name
    out: list[str] = []
    last = len(name) - 1
    for i, c in enumerate(name):
        if _kept(c):
            out.append(c)
        elif c in _WORDS:
            # the word is set off by underscores, except at either end of the name
            out.append(("_" if i > 0 else "") + _WORDS[c] + ("_" if i < last else ""))
        elif c.isalpha() and (t := anyascii(c)):
            out.append(t)
        else:
            out.append("_")
    return "".join(out)
