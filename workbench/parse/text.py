"""Text splitters: csv, fastmatch and regex lines → flat dicts of strings, as Panther's text parsers emit them.
"""

from __future__ import annotations

import csv
import re

from workbench.errors import WorkbenchError
from workbench.parse.values import _Bad, _short
from workbench.schema.grok import _ungroup, compile_regex, expand_grok

_PLACEHOLDER = re.compile(r"%\{([^}]*)\}")


_FAST_TAG = re.compile(r"%\{\s*([^}]*)\s*\}")  # Go's splitFields in pkg/x/fastmatch/fastmatch.go
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


class FastPattern:
    """A fastmatch pattern, matched as Panther's pkg/x/fastmatch does.

    The text before the first field must start the line; each field runs to the first occurrence of the text
    after it; a field with nothing after it takes the rest of the line, and text after the last delimiter is
    ignored. A field between two equal quotes reads Go escapes (`\\"`, `\\n`, `\\u00e9` …) when the rest
    of the line has a backslash, and otherwise simply runs to the closing quote-and-delimiter.
    """

    __slots__ = ("_match", "names", "prefix", "source", "steps")

    def __init__(self, pattern: str):
        self.source = pattern
        tags = _FAST_TAG.findall(pattern)
        if not tags:
            raise WorkbenchError(f"fastmatch pattern {pattern!r} has no %{{field}}.")
        literals = _FAST_TAG.split(pattern)[0::2]
        self.prefix = literals[0]
        delims = literals[1:]
        steps: list[tuple[str, str, str]] = []
        prev = self.prefix
        for i, (tag, delim) in enumerate(zip(tags, delims, strict=True)):
            if delim == "" and i < len(delims) - 1:
                raise WorkbenchError(f"fastmatch pattern {pattern!r}: two fields with no delimiter between them.")
            quote = prev[-1:] if prev[-1:] in ("'", '"') and delim[:1] == prev[-1:] else ""
            steps.append((tag, delim, quote))
            prev = delim
        self.steps = tuple(steps)
        self.names = tuple(tag for tag, _, _ in steps if tag)
        self._match = _first_delimiter_regex(self.prefix, self.steps).match

    def groups(self, text: str) -> tuple[str, ...] | None:
        """The named fields' values in order, or None when the line does not match."""
        if "\\" not in text:
            # no escapes anywhere: every field runs to the first occurrence of its delimiter, which one
            # possessive regex does in C
            m = self._match(text)
            return None if m is None else m.groups()
        return self.groups_stepwise(text)

    def groups_stepwise(self, text: str) -> tuple[str, ...] | None:
        """`groups` field by field, as pkg/x/fastmatch MatchString walks the line (escapes decoded)."""
        if not text.startswith(self.prefix):
            return None
        tail = text[len(self.prefix):]
        out: list[str] = []
        for name, delim, quote in self.steps:
            if not delim:
                if name:
                    out.append(tail)
                return tuple(out)
            if quote and "\\" in tail:
                got = _match_quoted(tail, delim, quote)
                if got is None:
                    return None
                value, tail = got
            else:
                pos = tail.find(delim)
                if pos < 0:
                    return None
                value, tail = tail[:pos], tail[pos + len(delim):]
            if name:
                out.append(value)
        return tuple(out)


def _first_delimiter_regex(prefix: str, steps: tuple[tuple[str, str, str], ...]) -> re.Pattern:
    """One regex matching as FastPattern.groups does when the line has no backslash: each field up to the first
    occurrence of its delimiter (possessive, so it never gives characters back), the last field with no
    delimiter to the end of the line, text after the last delimiter ignored."""
    rx = [re.escape(prefix)]
    for name, delim, _quote in steps:
        if not delim:
            rx.append("(.*)\\Z" if name else "(?:.*)\\Z")
            break
        c, rest = re.escape(delim[0]), re.escape(delim[1:])
        body = f"[^{c}]*+" if not rest else f"(?:[^{c}]++|{c}(?!{rest}))*+"
        rx.append(f"({body})" if name else f"(?:{body})")
        rx.append(re.escape(delim))
    return re.compile("".join(rx), re.DOTALL)


def _match_quoted(src: str, delim: str, quote: str) -> tuple[str, str] | None:
    """A quoted field read with Go's strconv.UnquoteChar up to the closing quote, then the delimiter."""
    out: list[str] = []
    i, n = 0, len(src)
    while i < n and src[i] != quote:
        c = src[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = src[i + 1:i + 2]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            i += 2
        elif e in ("'", '"'):
            if e != quote:
                return None  # \\' inside "…" (or the reverse) is a syntax error in Go
            out.append(e)
            i += 2
        elif e in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = src[i + 2:i + 2 + width]
            if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                return None
            code = int(digits, 16)
            if e != "x" and (code > 0x10FFFF or 0xD800 <= code <= 0xDFFF):
                return None
            out.append(chr(code))
            i += 2 + width
        elif "0" <= e <= "7":
            digits = src[i + 1:i + 4]
            if len(digits) != 3 or not all("0" <= d <= "7" for d in digits) or int(digits, 8) > 255:
                return None
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            return None
    rest = src[i:]
    if not rest.startswith(delim):
        return None
    return "".join(out), rest[len(delim):]


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
        delims: list[str] = []
        for pi in patterns[:j]:
            rest = pi[len(pj):] if pi.startswith(pj) else None
            if not rest or rest.startswith("%{"):
                out.append(None)
                break
            delims.append(_PLACEHOLDER.split(rest, 1)[0])
        else:
            out.append(tuple(d for d in dict.fromkeys(delims) if d) if all(delims) else None)
    return out


# A user's regex parser can backtrack exponentially ((a+)+$): each line's match is bounded, the line becomes a
# parse error and the file goes on. The `regex` engine takes a timeout; `re` does not.
REGEX_TIMEOUT = 0.5



class _TextParser:
    """csv / fastmatch / regex: a line → a flat dict of strings, as Panther's text preprocessors emit."""

    def __init__(self, kind: str, opts: dict, *, custom: bool = True):
        self.kind = kind
        # Panther's custom-log preprocessors store a regex group that took no part in the match as "" (gork.go
        # sliceMatch) and hold a CSV file to one number of fields (csv.go); the managed types' own Go parsers
        # leave an absent or empty text field out and read each row on its own
        self.custom = custom
        self.empty = frozenset(opts.get("emptyValues") or ())
        self.trim = bool(opts.get("trimSpace"))
        self.skip_prefix = opts.get("skipPrefix")
        # template tags are trimmed: `%{ name }` is `%{name}` (preprocessors/text.go normalizeTemplate)
        self.expand = [(k, [p.strip() if i % 2 else p for i, p in enumerate(_PLACEHOLDER.split(str(t)))])
                       for k, t in (opts.get("expandFields") or {}).items()]
        self.header: tuple[str, ...] = ()
        self.columns: tuple[str, ...] = ()
        self.headers_by_key: dict[str, tuple[str, ...]] = {}
        self.field_counts: dict[str, int] = {}
        if kind == "csv":
            self.delimiter = opts.get("delimiter") or ","
            self.has_header = bool(opts.get("hasHeader"))
            self.columns = tuple(opts.get("columns") or ())
        elif kind == "fastmatch":
            self.match = list(opts["match"])
            self.patterns = [FastPattern(p) for p in self.match]
        elif kind == "regex":
            rx = expand_grok("".join(opts["match"]), opts.get("patternDefinitions"))
            self.regex = compile_regex(rx)
            self.regex_names = {g: _ungroup(g) for g in self.regex.groupindex}

    def split(self, text: str, key: str, line: int) -> dict | None:
        """None for lines to skip (header, skipPrefix); raises _Bad for a line that does not match."""
        if self.skip_prefix and text.startswith(self.skip_prefix):
            return None
        if self.kind == "fastmatch":
            for pattern in self.patterns:
                g = pattern.groups(text)
                if g is not None:
                    break
            else:
                raise _Bad(_short(text), "line does not match any fastmatch pattern")
            raw = dict(zip(pattern.names, g, strict=True))
        elif self.kind == "regex":
            try:
                # Panther's regex parser finds the pattern anywhere in the line (Go's FindStringSubmatch): a search
                m = self.regex.search(text, timeout=REGEX_TIMEOUT)
            except TimeoutError:
                raise _Bad(_short(text), f"the regex took over {REGEX_TIMEOUT:g} s on this line (catastrophic "
                                         "backtracking?); make its repeats possessive or more specific") from None
            if m is None:
                raise _Bad(_short(text), "line does not match the regex")
            # a named group that took no part in the match is "" (gork.go sliceMatch), like an empty one
            if self.custom:
                raw = {self.regex_names[k]: v or "" for k, v in m.groupdict().items()}
            else:
                raw = {self.regex_names[k]: v for k, v in m.groupdict().items() if v}
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
                        self.field_counts[key] = len(row)  # every row of the file must have as many fields
                        return None
                    columns = self.headers_by_key[key]
                elif tuple(row) == columns or (line == 1 and key):
                    # line numbers are only trusted for records from an object (tests and pasted lines have no key)
                    return None
            # Panther's CSV reader (preprocessors/csv.go) keeps Go's FieldsPerRecord rule: the header or the first
            # row of a file fixes the number of fields and a row with another number is an error; named columns
            # beyond a row's fields get "", fields beyond the named columns are ignored (zipFields)
            expected = self.field_counts.setdefault(key, len(row))
            if len(row) != expected and self.custom:
                raise _Bad(_short(text), f"wrong number of fields: {len(row)} (the file's first row has {expected})")
            if self.custom:
                raw = {c: (row[i] if i < len(row) else "") for i, c in enumerate(columns) if c}
            else:
                raw = {c: v for c, v in zip(columns, row, strict=False) if c and v}
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
