"""Grok patterns and the one regex compiler that both schema validation and the regex parser use.

The parser runs user regexes on the `regex` engine (per-line timeouts, `\\p{L}` classes); validating with
the same compiler means a pattern is reported invalid exactly when it cannot parse.
"""

from __future__ import annotations

import re

# --- text parsers (csv, fastmatch, regex) ------------------------------------------------------------------

GROK = {
    "DATA": r".*?", "GREEDYDATA": r".*", "NOTSPACE": r"\S+", "SPACE": r"\s*", "WORD": r"\b\w+\b",
    "QUOTEDSTRING": r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', "QS": r'"(?:[^"\\]|\\.)*"',
    "HEXDIGIT": r"[0-9A-Fa-f]+", "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    "INT": r"[+-]?\d+", "POSINT": r"\b[1-9]\d*\b", "NONNEGINT": r"\b\d+\b",
    "BASE10NUM": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", "NUMBER": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)",
    "BASE16NUM": r"(?:0[xX])?[0-9A-Fa-f]+",
    "IPV4": r"(?:\d{1,3}\.){3}\d{1,3}", "IPV6": r"[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+", "IP": r"(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+",
    "HOSTNAME": r"\b[0-9A-Za-z][0-9A-Za-z-]{0,62}(?:\.[0-9A-Za-z][0-9A-Za-z-]{0,62})*\.?\b",
    "IPORHOST": r"(?:\d{1,3}\.){3}\d{1,3}|\b[0-9A-Za-z][0-9A-Za-z-.]*\b", "HOSTPORT": r"\S+:\d+",
    "USERNAME": r"[a-zA-Z0-9._-]+", "USER": r"[a-zA-Z0-9._-]+", "EMAILADDRESS": r"[^@\s]+@[^@\s]+",
    "UNIXPATH": r"(?:/[\w_%!$@:.,+~-]*)+", "PATH": r"(?:/[\w_%!$@:.,+~-]*)+", "URIPROTO": r"[A-Za-z][A-Za-z0-9+.-]+",
    "URIPATHPARAM": r"\S+", "URI": r"[A-Za-z][A-Za-z0-9+.-]+://\S+", "URIPATH": r"/\S*",
    "MONTH": r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b",
    "MONTHNUM": r"(?:0?[1-9]|1[0-2])", "MONTHNUM2": r"(?:0[1-9]|1[0-2])", "MONTHDAY": r"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])",
    "DAY": r"(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)",
    "YEAR": r"\d\d(?:\d\d)?", "HOUR": r"(?:2[0123]|[01]?[0-9])", "MINUTE": r"(?:[0-5][0-9])", "SECOND": r"(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?",
    "TIME": r"(?:2[0123]|[01]?[0-9]):[0-5][0-9](?::(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)?",
    "ISO8601_TIMEZONE": r"(?:Z|[+-]\d{2}(?::?\d{2})?)",
    "TIMESTAMP_ISO8601": r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    "HTTPDATE": r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}",
    "SYSLOGTIMESTAMP": r"\w{3} +\d{1,2} \d{2}:\d{2}:\d{2}", "LOGLEVEL": r"(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn(?:ing)?|WARN(?:ING)?|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?|CRIT(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)",
    "MAC": r"(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}", "COMMONMAC": r"(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}",
    "PID": r"\d+", "TTY": r"/dev/\S+",
}
_GROK_REF = re.compile(r"%\{([A-Z][A-Z0-9_]*)(?::([\w.@\[\]-]+))?(?::\w+)?\}")


def expand_grok(pattern: str, definitions: dict | None = None, _depth: int = 0) -> str:
    """Grok `%{NAME:field}` references → a Python regex with named groups (plain `(?P<x>…)` passes through)."""
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


def compile_regex(rx: str):
    """A user regex compiled as the regex parser runs it: the `regex` engine (timeouts, Unicode classes),
    `re` only for the rare pattern that only `re` accepts. Raises ValueError when neither compiles."""
    import regex

    try:
        return regex.compile(rx, regex.DOTALL | regex.VERSION0)
    except regex.error as e:
        try:
            return _ReWithTimeout(re.compile(rx, re.DOTALL))
        except re.error:
            raise ValueError(str(e)) from None
