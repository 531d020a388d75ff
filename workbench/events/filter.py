"""The filter language over parsed events, typed in the Events and Live views (usable from any CLI).

    field = value          equal (dotted path into nested objects); on a list field (p_any_ip_addresses)
                           it means "the list contains value"; `field = ""` matches a missing field
    field != value         not equal / the list does not contain it
    field < value          also >, <=, >=: numbers compare as numbers, anything else as text (so times in
                           one format compare in time order: p_event_time > "2024-05-01")
    field ~ regex          the value matches the regular expression anywhere (case-insensitive); !~ negates
    field in (a, b, c)     equal to any of them ([a, b] works too)
    text                   any value in the event contains text (case-insensitive)
    not X · X and Y · X or Y · ( … )      `not` binds tightest, then `and`, then `or`

Values may be quoted with "..." or '...'. Numbers and booleans compare by their text (`status = 200`
matches 200 and "200"). Operators and keywords are case-insensitive. A malformed expression raises a
one-sentence `WorkbenchError` naming what is wrong and where; with `fields=` given, an unknown field name is
an error too (with the closest known names).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from workbench.errors import WorkbenchError

_MISSING = object()
OPERATORS = ("!=", "<=", ">=", "!~", "=", "<", ">", "~")
KEYWORDS = ("and", "or", "not", "in")
_FIELD = re.compile(r"[A-Za-z_@$][\w.@$:-]*\Z")
_TOKEN = re.compile(r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>[=!<>~]+)|(?P<punct>[(),\[\]])"""
                    r"""|(?P<word>[^\s=!<>~(),\[\]"']+)|(?P<bad>["']))""")

Predicate = Callable[[dict], bool]


# -- reading values -------------------------------------------------------------------------------------------

def get_path(event: Any, path: str) -> Any:
    """The value at a dotted path (`actor.email`), or None. A literal key containing dots wins."""
    if isinstance(event, dict) and path in event:
        return event[path]
    cur = event
    for part in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part, _MISSING)
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
        if cur is _MISSING:
            return None
    return cur


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _values(v: Any):
    """Every scalar inside a value, for 'contains anywhere' searches."""
    if isinstance(v, dict):
        for x in v.values():
            yield from _values(x)
    elif isinstance(v, list):
        for x in v:
            yield from _values(x)
    else:
        yield v


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def field_paths(events: Iterable[dict], limit: int = 500) -> list[str]:
    """Every dotted field path in the first `limit` events (objects walked, lists not), sorted: the names
    the filter completes and checks."""
    seen: set[str] = set()

    def walk(obj: dict, prefix: str) -> None:
        for k, v in obj.items():
            path = f"{prefix}{k}"
            seen.add(path)
            if isinstance(v, dict):
                walk(v, path + ".")

    for n, e in enumerate(events):
        if n >= limit:
            break
        if isinstance(e, dict):
            walk(e, "")
    return sorted(seen)


# -- tokens ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # str, op, punct, word
    text: str
    at: int  # 1-based column, for messages
    end: int = 0  # 0-based index just after the token

    @property
    def value(self) -> str:
        if self.kind == "str":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        return self.text


def tokenize(expression: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only whitespace left
            break
        kind = m.lastgroup or ""
        start = m.start(kind)
        if kind == "bad":
            raise WorkbenchError(f"Unclosed quote at column {start + 1}: close it with {m.group(kind)}.")
        out.append(Token(kind, m.group(kind), start + 1, m.end(kind)))
        pos = m.end()
    return out


# -- parsing --------------------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, source: str, tokens: list[Token], fields: set[str] | None) -> None:
        self.source, self.tokens, self.i, self.fields = source, tokens, 0, fields

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def keyword(self, word: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok is not None and tok.kind == "word" and tok.text.lower() == word

    def parse(self) -> Predicate:
        pred = self.or_()
        tok = self.peek()
        if tok is not None:
            if tok.text == ")":
                raise WorkbenchError(f"Unmatched `)` at column {tok.at}.")
            raise WorkbenchError(f"Expected `and` or `or` before {tok.text!r} at column {tok.at}.")
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.keyword("or"):
            self.take()
            parts.append(self.and_())
        if len(parts) == 1:
            return parts[0]
        alternatives = tuple(parts)
        return lambda e: any(p(e) for p in alternatives)

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while self.keyword("and"):
            self.take()
            parts.append(self.not_())
        if len(parts) == 1:
            return parts[0]
        conditions = tuple(parts)
        return lambda e: all(p(e) for p in conditions)

    def not_(self) -> Predicate:
        if self.keyword("not") and self.peek(1) is not None and not self._is_op(self.peek(1)):
            self.take()
            inner = self.not_()
            return lambda e: not inner(e)
        return self.atom()

    @staticmethod
    def _is_op(tok: Token | None) -> bool:
        return tok is not None and (tok.kind == "op" or (tok.kind == "word" and tok.text.lower() == "in"))

    def atom(self) -> Predicate:
        tok = self.peek()
        if tok is None:
            raise WorkbenchError("The filter ends too early: a condition is missing after the last `and`/`or`/`not`.")
        if tok.text == "(":
            self.take()
            inner = self.or_()
            close = self.peek()
            if close is None or close.text != ")":
                raise WorkbenchError(f"Missing `)` for the `(` at column {tok.at}.")
            self.take()
            return inner
        if tok.text == ")":
            raise WorkbenchError(f"Unmatched `)` at column {tok.at}.")
        if tok.kind == "op":
            raise WorkbenchError(f"A field name is missing before {tok.text!r} at column {tok.at}.")
        if self._is_op(self.peek(1)):
            return self.condition()
        if tok.kind == "word" and tok.text.lower() in ("and", "or"):
            raise WorkbenchError(f"A condition is missing before `{tok.text}` at column {tok.at}.")
        self.take()
        last = tok
        while (nxt := self.peek()) is not None and (nxt.kind in ("word", "str") or nxt.text in "[],") \
                and nxt.text.lower() not in KEYWORDS and not self._is_op(self.peek(1)):
            last = self.take()  # plain words in a row are one phrase: failed login
        needle = (tok.value if last is tok else self.source[tok.at - 1:last.end]).lower()
        if not needle:
            raise WorkbenchError(f"Empty text at column {tok.at}: write some text to look for.")
        return lambda e: any(needle in _text(v).lower() for v in _values(e))

    def condition(self) -> Predicate:
        name_tok, op_tok = self.take(), self.take()
        name = name_tok.value
        if name_tok.kind != "word" or not _FIELD.match(name):
            raise WorkbenchError(f"{name!r} at column {name_tok.at} is not a field name (letters, digits, _ . @ $).")
        self._check_field(name, name_tok)
        op = op_tok.text.lower()
        if op == "in":
            return self.membership(name, op_tok)
        if op not in OPERATORS:
            raise WorkbenchError(f"Unknown operator {op_tok.text!r} at column {op_tok.at}: use one of "
                                 f"{', '.join(OPERATORS)} or `in`.")
        value_tok = self.peek()
        if value_tok is None or value_tok.kind in ("op", "punct"):
            raise WorkbenchError(f"A value is missing after `{name} {op_tok.text}` (column {op_tok.at}).")
        self.take()
        return _compare(name, op, value_tok)

    def membership(self, name: str, op_tok: Token) -> Predicate:
        open_tok = self.peek()
        if open_tok is None or open_tok.text not in "([":
            raise WorkbenchError(f"`in` at column {op_tok.at} needs a list: {name} in (a, b).")
        self.take()
        closing = ")" if open_tok.text == "(" else "]"
        values: list[str] = []
        while True:
            tok = self.peek()
            if tok is None:
                raise WorkbenchError(f"Missing `{closing}` for the list at column {open_tok.at}.")
            self.take()
            if tok.text == closing and tok.kind == "punct":
                break
            if tok.kind in ("word", "str"):
                values.append(tok.value)
                nxt = self.peek()
                if nxt is not None and nxt.text == "," and nxt.kind == "punct":
                    self.take()
                continue
            raise WorkbenchError(f"Unexpected {tok.text!r} in the list at column {tok.at}.")
        if not values:
            raise WorkbenchError(f"The list after `in` at column {op_tok.at} is empty.")
        wanted = frozenset(values)

        def member(e: dict) -> bool:
            v = get_path(e, name)
            if isinstance(v, list):
                return any(_text(x) in wanted for x in v)
            return v is not None and _text(v) in wanted

        return member

    def _check_field(self, name: str, tok: Token) -> None:
        fields = self.fields
        if fields is None or name in fields or any(f.startswith(name + ".") for f in fields):
            return
        close = difflib.get_close_matches(name, sorted(fields), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; Tab completes field names."
        raise WorkbenchError(f"Unknown field {name!r} at column {tok.at}{hint}")


def _compare(name: str, op: str, value_tok: Token) -> Predicate:
    raw = value_tok.value
    if op in ("~", "!~"):
        try:
            rx = re.compile(raw, re.IGNORECASE)
        except re.error as e:
            raise WorkbenchError(f"Bad regular expression {raw!r} at column {value_tok.at}: {e}.") from None

        def matches(e: dict) -> bool:
            return any(rx.search(_text(v)) for v in _values(get_path(e, name)))

        return matches if op == "~" else (lambda e: not matches(e))
    if op in ("=", "!="):
        def equal(e: dict) -> bool:
            v = get_path(e, name)
            if isinstance(v, list):
                return any(_text(x) == raw for x in v)
            if raw == "" and v is None:
                return True
            return v is not None and _text(v) == raw

        return equal if op == "=" else (lambda e: not equal(e))
    want_num = _number(raw)
    test = {"<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}[op]

    def ordered(e: dict) -> bool:
        v = get_path(e, name)
        for x in (v if isinstance(v, list) else (v,)):
            if x is None or isinstance(x, dict | list):
                continue
            n = _number(x)
            if want_num is not None and n is not None:
                if test(n, want_num):
                    return True
            elif test(_text(x), raw):
                return True
        return False

    return ordered


def compile_filter(expression: str, fields: Iterable[str] | None = None) -> Predicate | None:
    """A predicate for `expression`, or None when it is blank (no filtering).

    `fields`, when given, are the known field paths: a condition on any other field is an error."""
    if not expression or not expression.strip():
        return None
    tokens = tokenize(expression)
    return _Parser(expression, tokens, set(fields) if fields is not None else None).parse()


# -- completion -----------------------------------------------------------------------------------------------

def complete(expression: str, fields: Iterable[str]) -> str | None:
    """The expression with its last word completed to the first matching field name (or keyword after a
    complete condition), or None when nothing fits: what the filter input suggests as you type."""
    m = re.search(r"([A-Za-z_@$][\w.@$:-]*)$", expression)
    if m is None:
        return None
    word = m.group(1)
    before = expression[: m.start()]
    try:
        tokens = tokenize(before)
    except WorkbenchError:
        return None
    last = tokens[-1] if tokens else None
    expects_field = last is None or last.text in ("(",) or (last.kind == "word" and last.text.lower() in
                                                           ("and", "or", "not"))
    if expects_field or last is None:
        for f in sorted(fields):
            if f.startswith(word) and f != word:
                return before + f
        return None
    if (last.kind in ("word", "str") and len(tokens) >= 2 and tokens[-2].kind == "op") or (last.text in (")", "]")):
        for k in ("and", "or"):
            if k.startswith(word.lower()) and k != word.lower():
                return before + k
    return None


def sort_key(value: Any) -> tuple:
    """Sort numbers numerically, everything else by text; missing values last."""
    if value is None:
        return (2, "")
    if isinstance(value, bool):
        return (1, str(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, _text(value) if not isinstance(value, dict | list) else repr(value))
