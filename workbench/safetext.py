"""Make untrusted text (log data, keys, rule output, AWS errors) safe to show on a terminal.

Strips ANSI/VT escape sequences (CSI, OSC, DCS, …), C0/C1 control characters except tab and newline,
bidi overrides and isolates, and replaces NUL. The result is still *text*: callers must render it as plain
text (rich.text.Text / markup=False), never as markup. One place for this, so every view gets it right.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ … final), OSC/DCS/SOS/PM/APC (ESC ] … BEL|ST), two-char escapes.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]             # CSI
  | \x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\|$)  # OSC, DCS, SOS, PM, APC up to BEL or ST (or end)
  | \x9b[0-?]*[ -/]*[@-~]               # 8-bit CSI
  | [\x90\x9d\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c|\x1b\\|$)  # 8-bit OSC/DCS/… strings
  | \x1b[ -/]*[0-~]?                    # other escapes (and a lone ESC)
    """,
    re.VERBOSE,
)
# C0 except \t \n, DEL, C1; bidi embeddings/overrides/isolates; zero-width joiners are kept (emoji).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_VISIBLE = {"\x00": "\u2400", "\r": "\u240d"}


def clean(text: object, *, single_line: bool = False, limit: int | None = None) -> str:
    """Return `text` with every terminal control sequence removed, safe for plain-text rendering.

    NUL and CR become visible symbols (␀, ␍); other controls vanish. With `single_line`, newlines and tabs
    become spaces. With `limit`, the result is cut to that many characters with an ellipsis.
    """
    s = text if isinstance(text, str) else str(text)
    if s.isprintable():
        # nothing to remove or replace: every character the patterns below match (ESC, C0/C1, bidi
        # controls) and newlines and tabs are all non-printable (most of what a report shows takes this path)
        out = s
    else:
        s = _ESCAPES.sub("", s)
        out = _CONTROLS.sub(lambda m: _VISIBLE.get(m.group(), ""), s)
        if single_line:
            out = out.replace("\n", " ").replace("\t", " ")
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 1)] + "…"
    return out


def one_line(text: object, limit: int = 500) -> str:
    """A cleaned single line, for status bars, notifications and error messages."""
    return clean(text, single_line=True, limit=limit)
