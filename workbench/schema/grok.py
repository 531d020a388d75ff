"""Grok patterns and the one regex compiler that both schema validation and the regex parser use.

The parser runs user regexes on the `regex` engine (per-line timeouts, `\\p{L}` classes); validating with
the same compiler means a pattern is reported invalid exactly when it cannot parse.
"""

from __future__ import annotations

import re

# --- text parsers (csv, fastmatch, regex) ------------------------------------------------------------------

# Panther's built-in grok patterns (pkg/x/gork/builtin.go, "based on logrusorgru/grokky"), by name. A reference
# %{NAME} expands to (?:…) and %{NAME:field} to a named group. They are kept as Panther defines them, quirks
# included (HEXDIGIT is [0-9a-fAF]; TZ is any three capitals), because a pattern that matches more or less than
# Panther's would preview lines Panther rejects.
_HEX = "%{HEXDIGIT}"
_V4 = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_V4TAIL = _V4 + r"(?:\.(" + _V4 + r")){3}"
_IPV6 = (r"\b(?:(?:(?:H{1,4}:){7}(?:H{1,4}|:))|(?:(?:H{1,4}:){6}(?::H{1,4}|(?:V4T)|:))"
         r"|(?:(?:H{1,4}:){5}(?:(?:(?::H{1,4}){1,2})|:(?:V4T)|:))"
         r"|((H{1,4}:){4}(((:H{1,4}){1,3})|((:H{1,4})?:(V4T))|:))"
         r"|((H{1,4}:){3}(((:H{1,4}){1,4})|((:H{1,4}){0,2}:(V4T))|:))"
         r"|((H{1,4}:){2}(((:H{1,4}){1,5})|((:H{1,4}){0,3}:(V4T))|:))"
         r"|((H{1,4}:){1}(((:H{1,4}){1,6})|((:H{1,4}){0,4}:(V4T))|:))"
         r"|(:(((:H{1,4}){1,7})|((:H{1,4}){0,5}:(V4T))|:)))(%.+)?\b").replace("H{", _HEX + "{").replace("V4T", _V4TAIL)
GROK = {
    "DATA": r".*?", "GREEDYDATA": r".*", "NOTSPACE": r"\S+", "SPACE": r"\s*", "WORD": r"\b\w+\b",
    "QUOTEDSTRING": r'"(?:\\.|[^\\"]+)+"|""' + r"|'(?:\\.|[^\\']+)+'|''",
    "HEXDIGIT": r"[0-9a-fAF]", "UUID": r"%{HEXDIGIT}{8}-(?:%{HEXDIGIT}{4}-){3}%{HEXDIGIT}{12}",
    # numbers
    "INT": r"[+-]?(?:[0-9]+)", "BASE10NUM": r"[+-]?(?:[0-9]+(?:\.[0-9]+)?)|\.[0-9]+", "NUMBER": r"%{BASE10NUM}",
    "BASE16NUM": r"(?:0[xX])?%{HEXDIGIT}+", "POSINT": r"\b[1-9][0-9]*\b", "NONNEGINT": r"\b[0-9]+\b",
    # network
    "CISCOMAC": r"(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4}", "WINDOWSMAC": r"(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2}",
    "COMMONMAC": r"(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2}", "MAC": r"%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}",
    "IPV6": _IPV6,
    "IPV4INT": r"25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9]", "IPV4": r"\b(?:(?:%{IPV4INT})\.){3}(?:%{IPV4INT})\b",
    "IP": r"%{IPV6}|%{IPV4}",
    "HOSTNAME": r"\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(\.?|\b)",
    "IPORHOST": r"%{IP}|%{HOSTNAME}", "HOSTPORT": r"%{IPORHOST}:%{POSINT}",
    # URI
    "USERNAME": r"[a-zA-Z0-9._-]+", "UNIXPATH": r"(?:/[\w_%!$@:.,-]?/?)(\S+)?",
    "WINPATH": r"(?:[A-Za-z]:|\\)(?:\\[^\\?*]*)+", "PATH": r"(?:%{UNIXPATH}|%{WINPATH})",
    "TTY": r"(?:/dev/(pts|tty([pq])?)(\w+)?/?(?:[0-9]+))", "URIPROTO": r"[A-Za-z]+(?:\+[A-Za-z+]+)?",
    "URIHOST": r"%{IPORHOST}(?::%{POSINT})?", "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%_\-]*)+",
    "URIPARAM": r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*", "URIPATHPARAM": r"%{URIPATH}(?:%{URIPARAM})?",
    "URI": r"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?",
    # timestamps
    "MONTH": (r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:tember)?"
              r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b"),
    "MONTHNUM": r"0?[1-9]|1[0-2]", "MONTHNUM2": r"0[1-9]|1[0-2]", "MONTHDAY": r"(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9]",
    "DAY": r"\b(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)\b",
    "YEAR": r"(?:\d\d){1,2}", "HOUR": r"2[0123]|[01]?[0-9]", "MINUTE": r"[0-5][0-9]",
    "SECOND": r"(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?", "KITCHEN": r"%{HOUR}:%{MINUTE}",
    "TIME": r"%{HOUR}:%{MINUTE}:%{SECOND}", "DATE_US": r"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}",
    "DATE_EU": r"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}", "ISO8601_TIMEZONE": r"(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))",
    "ISO8601_SECOND": r"(?:%{SECOND}|60)",
    "TIMESTAMP_ISO8601": r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?",
    "DATE": r"%{DATE_US}|%{DATE_EU}", "DATETIME": r"%{DATE}[- ]%{TIME}", "TZ": r"[A-Z]{3}", "TZOFFSET": r"[+-]\d{4}",
    "TIMESTAMP_RFC822": r"%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}",
    "TIMESTAMP_RFC2822": r"%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}",
    "TIMESTAMP_OTHER": r"%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}",
    "TIMESTAMP_EVENTLOG": r"%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}",
    "SYSLOGTIMESTAMP": r"%{MONTH} +%{MONTHDAY} %{TIME}", "HTTPDATE": r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{TZOFFSET}",
    # aliases
    "NS": r"%{NOTSPACE}", "QS": r"%{QUOTEDSTRING}", "HOST": r"%{HOSTNAME}", "PID": r"%{POSINT}", "USER": r"%{USERNAME}",
}
_GROK_REF = re.compile(r"%\{([A-Z][A-Z0-9_]*)(?::([\w.@\[\]-]+))?(?::\w+)?\}")


def expand_grok(pattern: str, definitions: dict | None = None, _depth: int = 0) -> str:
    """Grok `%{NAME:field}` references → a Python regex with named groups (plain `(?P<x>…)` passes through)."""
    if _depth == 0 and definitions:
        clash = sorted(set(definitions) & set(GROK))
        if clash:  # Panther refuses to redefine a built-in pattern (gork.go checkDuplicate)
            raise KeyError(f"%{{{clash[0]}}} is a built-in grok pattern and cannot be redefined")
    defs = {**GROK, **(definitions or {})}
    if _depth > 20:
        raise ValueError("grok patterns refer to each other too deeply")

    def sub(m: re.Match) -> str:
        name, fieldname = m.group(1), m.group(2)
        if name not in defs:
            raise KeyError(f"unknown grok pattern %{{{name}}}")
        inner = expand_grok(defs[name], definitions, _depth + 1)
        return f"(?P<{_group_name(fieldname)}>{inner})" if fieldname else f"(?:{inner})"

    return _GROK_REF.sub(sub, pattern)


def _group_name(name: str) -> str:
    # Python group names must be identifiers; keep a reversible mapping for names like "user.id"
    return re.sub(r"\W", lambda m: f"_x{ord(m.group()):02x}_", name)


_GROUP_UNNAME = re.compile(r"_x([0-9a-f]{2})_")


def _ungroup(name: str) -> str:
    return _GROUP_UNNAME.sub(lambda m: chr(int(m.group(1), 16)), name)


# A user's regex parser can backtrack exponentially ((a+)+$): each line's match is bounded by the caller's
# timeout, which the `regex` engine takes and `re` does not.
class _ReWithTimeout:
    """`re` pattern fallback for the rare pattern only `re` compiles: same interface, no bound."""

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern
        self.groupindex = pattern.groupindex

    def match(self, text: str, timeout: float | None = None):
        return self.pattern.match(text)

    def search(self, text: str, timeout: float | None = None):
        return self.pattern.search(text)


def compile_regex(rx: str):
    """A user regex compiled as the regex parser runs it: the `regex` engine (timeouts, Unicode classes),
    `re` only for the rare pattern that only `re` accepts. Raises ValueError when neither compiles."""
    import regex

    try:
        # Go's RE2 semantics: \d \w \s \b are ASCII, `.` stops at a newline
        return regex.compile(rx, regex.ASCII | regex.VERSION0)
    except regex.error as e:
        try:
            return _ReWithTimeout(re.compile(rx, re.ASCII))
        except re.error:
            raise ValueError(str(e)) from None
