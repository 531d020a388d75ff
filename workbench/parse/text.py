"""Text splitters: csv, fastmatch and regex lines → flat dicts of strings, as Panther's text parsers emit them.
"""

from __future__ import annotations

import csv
import re

from workbench.errors import WorkbenchError
from workbench.parse.values import _Bad, _short
from workbench.schema.grok import _ungroup, compile_regex, expand_grok

_PLACEHOLDER = re.compile(r"%\{([^}]*)\}")


def fastmatch_regex(pattern: str) -> tuple[re.Pattern, tuple[str, ...], tuple[bool, ...]]:
    """A fastmatch pattern → (regex, names of the captured fields in group order, which were quoted).

    Text between placeholders is the delimiter; a field stops at the first occurrence of the delimiter
    after it, a quoted placeholder reads a quoted string with backslash escapes, and the last field takes
    the rest of the line. Every quantifier is possessive: a field never gives characters back, so a line
    that does not match fails in linear time (lazy fields made failing lines backtrack badly).
    """
    parts = _PLACEHOLDER.split(pattern)  # literal, name, literal, name, …, literal
    literals, names = parts[0::2], parts[1::2]
    rx = [re.escape(literals[0])]
    quoted: list[bool] = []
    out_names: list[str] = []
    for i, name in enumerate(names):
        before, after = literals[i], literals[i + 1]
        is_quoted = bool(before) and before[-1] in "\"'" and after[:1] == before[-1]
        last = i == len(names) - 1 and after == ""
        if is_quoted:
            q = re.escape(before[-1])
            body = f"[^{q}\\\\]*+(?:\\\\.[^{q}\\\\]*+)*+"
        elif last:
            body = ".*"
        elif len(after) == 1:
            body = f"[^{re.escape(after)}]*+"
        elif after:
            c, rest = re.escape(after[0]), re.escape(after[1:])
            body = f"(?:[^{c}]++|{c}(?!{rest}))*+"  # up to the first occurrence of the whole delimiter
        else:
            raise WorkbenchError(f"fastmatch pattern {pattern!r}: two fields with no delimiter between them.")
        if name:
            rx.append(f"({body})")
            out_names.append(name)
            quoted.append(is_quoted)
        else:
            rx.append(f"(?:{body})")
        rx.append(re.escape(after))
    return re.compile("".join(rx) + r"\Z", re.DOTALL), tuple(out_names), tuple(quoted)


def _pattern_shortcuts(patterns: list[str]) -> list[tuple[str, ...] | None]:
    """For each fastmatch pattern j, when it may be tried before the patterns listed ahead of it.

    Patterns are tried in order and the first match wins. Pattern j may go first only if every earlier
    pattern extends it: the same text with more fields after j's last field (S3 access logs: the 27-field
    layout before the 26-field one). j's last field takes the rest of the line, and fields never give
    characters back, so an earlier pattern could only have matched if that rest contains the delimiter
    the earlier pattern needs next. Returns those delimiters (the guard) for j, or None.
    """
    out: list[tuple[str, ...] | None] = []
    for j, pj in enumerate(patterns):
        if j == 0:
            out.append(())
            continue
        if not pj.endswith("}") or not pj.rstrip("}").rsplit("%{", 1)[-1].isidentifier():
            out.append(None)
            continue
        delims = []
        for pi in patterns[:j]:
            rest = pi[len(pj):] if pi.startswith(pj) else None
            if not rest or rest.startswith("%{"):
                delims = None
                break
            delims.append(_PLACEHOLDER.split(rest, 1)[0])
        out.append(tuple(d for d in dict.fromkeys(delims) if d) if delims is not None and all(delims) else None)
    return out


_UNESCAPE = re.compile(r"\\(.)")
# A user's regex parser can backtrack exponentially ((a+)+$): each line's match is bounded, the line becomes a
# parse error and the file goes on. The `regex` engine takes a timeout; `re` does not.
REGEX_TIMEOUT = 0.5



class _TextParser:
    """csv / fastmatch / regex: a line → a flat dict of strings, as Panther's text preprocessors emit."""

    def __init__(self, kind: str, opts: dict):
        self.kind = kind
        self.empty = frozenset(opts.get("emptyValues") or ())
        self.trim = bool(opts.get("trimSpace"))
        self.skip_prefix = opts.get("skipPrefix")
        self.expand = [(k, _PLACEHOLDER.split(str(t))) for k, t in (opts.get("expandFields") or {}).items()]
        self.header: tuple[str, ...] = ()
        self.columns: tuple[str, ...] = ()
        self.headers_by_key: dict[str, tuple[str, ...]] = {}
        if kind == "csv":
            self.delimiter = opts.get("delimiter") or ","
            self.has_header = bool(opts.get("hasHeader"))
            self.columns = tuple(opts.get("columns") or ())
        elif kind == "fastmatch":
            self.match = list(opts["match"])
            self.patterns = [fastmatch_regex(p) for p in self.match]
        elif kind == "regex":
            rx = expand_grok("".join(opts["match"]), opts.get("patternDefinitions"))
            self.regex = compile_regex(rx)
            self.regex_names = {g: _ungroup(g) for g in self.regex.groupindex}

    def split(self, text: str, key: str, line: int) -> dict | None:
        """None for lines to skip (header, skipPrefix); raises _Bad for a line that does not match."""
        if self.skip_prefix and text.startswith(self.skip_prefix):
            return None
        if self.kind == "fastmatch":
            m = None
            for pattern in self.patterns:
                m = pattern[0].match(text)
                if m is not None:
                    break
            if m is None:
                raise _Bad(_short(text), "line does not match any fastmatch pattern")
            _, names, quoted = pattern
            raw = dict(zip(names, m.groups(), strict=True))
            if "\\" in text:  # unescape quoted fields only when the line has a backslash at all
                for name, q in zip(names, quoted, strict=True):
                    if q and "\\" in raw[name]:
                        raw[name] = _UNESCAPE.sub(r"\1", raw[name])
        elif self.kind == "regex":
            try:
                m = self.regex.match(text, timeout=REGEX_TIMEOUT)
            except TimeoutError:
                raise _Bad(_short(text), f"the regex took over {REGEX_TIMEOUT:g} s on this line (catastrophic "
                                         "backtracking?); make its repeats possessive or more specific") from None
            if m is None:
                raise _Bad(_short(text), "line does not match the regex")
            raw = {self.regex_names[k]: v for k, v in m.groupdict().items() if v is not None}
        else:
            try:
                row = next(csv.reader([text], delimiter=self.delimiter, skipinitialspace=False))
            except (csv.Error, StopIteration) as e:
                raise _Bad(_short(text), f"not a CSV row ({e})") from None
            columns = self.columns
            if self.has_header:
                if not columns:
                    if line == 1 or key not in self.headers_by_key:
                        self.headers_by_key[key] = tuple(row)
                        return None
                    columns = self.headers_by_key[key]
                elif tuple(row) == columns or (line == 1 and key):
                    # line numbers are only trusted for records from an object (tests and pasted lines have no key)
                    return None
            elif tuple(row) == columns:
                return None
            if len(row) > len(columns):
                raise _Bad(_short(text), f"row has {len(row)} columns, the schema has {len(columns)}")
            raw = {c: v for c, v in zip(columns, row, strict=False) if c}
        if self.trim:
            raw = {k: v.strip() for k, v in raw.items()}
        if self.empty and self.expand:
            # without templates the compiled decoder treats emptyValues as null, which is cheaper
            raw = {k: v for k, v in raw.items() if v not in self.empty}
        for name, parts in self.expand:
            val = "".join(raw.get(p, "") if i % 2 else p for i, p in enumerate(parts))
            if val and val not in self.empty:
                raw[name] = val
        return raw
