"""Value decoders: JSON loading, Panther's coercions of one value per type, and the per-line `ParseError`.

Each decoder takes (value, indicator sets) and returns the stored value, or None to omit it; a value that
does not fit raises `_Bad`, which the parser turns into a `ParseError` naming the field path and the reason.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from workbench.errors import WorkbenchError
from workbench.schema import Field
from workbench.schema.indicators import compile_scanner
from workbench.schema.timeformats import compile_time_formats

VALUE_LIMIT = 200  # characters of an offending value kept in a ParseError

_INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_BOOL_TEXT = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
              "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
_INT_TEXT = re.compile(r"[+-]?\d+\Z", re.ASCII)
_FLOAT_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z|[+-]?(?:[Ii]nf(?:inity)?|NaN)\Z", re.ASCII)
_MISSING = object()
_orjson_loads = orjson.loads
_JSONError = orjson.JSONDecodeError


@dataclass(frozen=True, slots=True)
class ParseError:
    """One line that a schema could not parse: where, which field, the value, and why."""

    key: str
    line: int
    field: str
    value: str
    reason: str
    log_type: str

    def to_json(self) -> dict:
        return {"key": self.key, "line": self.line, "log_type": self.log_type, "field": self.field,
                "value": self.value, "reason": self.reason}

    def __str__(self) -> str:
        where = f"{self.key}:{self.line}" if self.key else f"line {self.line}"
        fld = f" field {self.field}" if self.field else ""
        return f"{where}: {self.log_type}{fld}: {self.reason} (value {self.value!r})"


class _Bad(Exception):
    """Internal: a value that does not fit; carries the field path built up while unwinding."""

    __slots__ = ("path", "reason", "value")

    def __init__(self, value: Any, reason: str, path: str = ""):
        self.value = value
        self.reason = reason
        self.path = path

    def under(self, name: str) -> _Bad:
        self.path = f"{name}.{self.path}" if self.path and not self.path.startswith("[") else f"{name}{self.path}"
        return self


def _short(value: Any) -> str:
    if isinstance(value, str):
        s = value
    else:
        try:
            s = orjson.dumps(value).decode()
        except (TypeError, orjson.JSONEncodeError):
            s = repr(value)
    return s if len(s) <= VALUE_LIMIT else s[: VALUE_LIMIT - 1] + "…"


def _kind(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(v), type(v).__name__)


# --- JSON ---------------------------------------------------------------------------------------------------

class IntLiteral(int):
    """A JSON integer that remembers how it was written (read only when a `string` field needs the text)."""

    text: str

    def __new__(cls, text: str) -> IntLiteral:
        self = int.__new__(cls, text)
        self.text = text
        return self


class FloatLiteral(float):
    """A JSON number with a fraction or exponent that remembers how it was written (`1.50`, `1e3`, `-0.0`)."""

    text: str

    def __new__(cls, text: str) -> FloatLiteral:
        self = float.__new__(cls, text)
        self.text = text
        return self


class NeedsLiteral(Exception):
    """Raised when a `string` field got a JSON number: the line is read again keeping number texts, because
    Panther stores the number as written (`iter.ReadNumber().String()` in pantherlog/null/string.go)."""


def plain(v: Any) -> Any:
    """A decoded value with IntLiteral/FloatLiteral turned back into int/float (for json fields)."""
    t = type(v)
    if t is dict:
        return {k: plain(x) for k, x in v.items()}
    if t is list:
        return [plain(x) for x in v]
    if t is IntLiteral:
        return int(v)
    if t is FloatLiteral:
        return float(v)
    return v


def loads_literal(text: str) -> Any:
    """The first JSON value of `text`, numbers as IntLiteral/FloatLiteral; trailing data ignored (see `loads`)."""
    try:
        return _LITERAL_DECODER.raw_decode(text.lstrip(" \t\r\n"))[0]
    except RecursionError:
        raise _Bad(_short(text), "JSON is nested too deeply") from None
    except ValueError as e:
        raise _Bad(_short(text), f"not valid JSON ({str(e).split(':')[0]})") from None

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_STDLIB_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_LITERAL_DECODER = json.JSONDecoder(parse_int=IntLiteral, parse_float=FloatLiteral, parse_constant=_reject_constant)


def loads(text: str | bytes) -> Any:
    """The first JSON value of a line: orjson first; the stdlib for what orjson refuses but is still JSON (deep
    nesting, big integers) and for a value followed by more text, which Panther ignores (its JSON parser reads
    one value per line and stops: pantherlog/parsers.go, simpleJSONParser.ParseLog)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        first = str(e)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        return _STDLIB_DECODER.raw_decode(text.lstrip(" \t\r\n"))[0]
    except RecursionError:
        raise _Bad(_short(text), "JSON is nested too deeply") from None
    except ValueError:
        raise _Bad(_short(text), f"not valid JSON ({first.split(':')[0]})") from None


def event_to_json(event: dict) -> bytes:
    """One NDJSON line for an event (orjson; the stdlib for values orjson cannot write, e.g. >64-bit ints)."""
    try:
        return orjson.dumps(event)
    except (TypeError, orjson.JSONEncodeError):
        text = json.dumps(event, ensure_ascii=False, default=str, separators=(",", ":"))
    try:
        return text.encode()
    except UnicodeEncodeError:  # lone surrogates (from "\ud800" escapes in the log): keep them escaped, as they came
        return json.dumps(event, default=str, separators=(",", ":")).encode()


# --- value decoders -----------------------------------------------------------------------------------------
# Each decoder takes (value, indicator sets) and returns the stored value, or None to omit it. Panther's null
# types omit only what does not exist: "" in a string field, {} for a present object, null elements inside
# arrays, and any present json value are stored (pantherlog/null/string.go: IsEmpty is true only for null).

# (value, indicator hits of this event) → decoded value; scanners append encoded hits to the list
Decoder = Callable[[Any, list], Any]


def number_text(v: Any) -> str:
    """A JSON number in a string field, as written; plain ints/floats (parsed without their text) ask for the
    line to be read again keeping number texts."""
    t = type(v)
    if t is IntLiteral or t is FloatLiteral:
        return v.text
    raise NeedsLiteral


def _string_decoder(f: Field) -> Decoder:
    scan = compile_scanner(f.indicators)
    allow = deny = None
    ipcheck = None
    cidr = False
    if f.validate:
        if "allow" in f.validate:
            allow = frozenset(str(x) for x in f.validate["allow"])
        elif "deny" in f.validate:
            deny = frozenset(str(x) for x in f.validate["deny"])
        ipcheck = f.validate.get("ip") or f.validate.get("cidr")
        cidr = "cidr" in f.validate

    def text(v: Any) -> str:
        t = type(v)
        if t is str:
            return v
        if t is bool:
            return "true" if v else "false"
        if t is int or t is float or t is IntLiteral or t is FloatLiteral:
            return number_text(v)
        raise _Bad(v, f"expected a string, got {_kind(v)}")

    def dec(v: Any, ind: list) -> Any:
        s = text(v)
        if s:
            if allow is not None and s not in allow:
                raise _Bad(s, f"not one of the allowed values {sorted(allow)}")
            if deny is not None and s in deny:
                raise _Bad(s, "is one of the denied values")
            if ipcheck:
                try:
                    addr = ipaddress.ip_network(s, strict=False) if cidr else ipaddress.ip_address(s)
                except ValueError:
                    raise _Bad(s, f"not an {'IP network' if cidr else 'IP address'}") from None
                if ipcheck != "any" and addr.version != (4 if ipcheck == "ipv4" else 6):
                    raise _Bad(s, f"not an {ipcheck} address")
            if scan is not None:
                scan(s, ind)
        return s
    return dec


def _int_decoder(f: Field) -> Decoder:
    """Go's strconv.ParseInt on the number's text or the string: no fraction, exponent or spaces
    (pantherlog/null/int64.go)."""
    lo, hi = _INT_RANGES[f.type]

    def dec(v: Any, ind: list) -> Any:
        t = type(v)
        if t is int or t is IntLiteral:
            n = int(v)
        elif t is str:
            if not v:
                return None
            if not _INT_TEXT.match(v):
                raise _Bad(v, f"not an integer ({f.type})")
            n = int(v)
        elif t is FloatLiteral:
            raise _Bad(v, f"not an integer ({f.type})")
        elif t is float:
            raise NeedsLiteral  # 1.0, 1e3 or an integer beyond 64 bits (orjson reads those as floats): see the text
        else:
            raise _Bad(v, f"expected a number ({f.type}), got {_kind(v)}")
        if lo <= n <= hi:
            return n
        raise _Bad(v, f"out of range for {f.type}" + (" (integers beyond 64 bits are not allowed)" if f.type == "bigint" else ""))
    return dec


def _float_decoder(f: Field) -> Decoder:
    def dec(v: Any, ind: list) -> Any:
        t = type(v)
        if t is float or t is FloatLiteral:
            if v - v == 0.0:  # false for NaN and ±Inf
                return float(v)
            raise _Bad(v, "not a finite number")
        if t is int or t is IntLiteral:
            try:
                return float(v)
            except OverflowError:  # an integer literal beyond 1e308 (JSON allows any length)
                raise _Bad(v, "not a finite number") from None
        if t is str:
            if not v:
                return None
            # Python's float() also reads other scripts' digits, "1_000" and surrounding spaces; Go does not
            if not _FLOAT_TEXT.match(v):
                raise _Bad(v, "not a number (float)")
            x = float(v)
            if x - x != 0.0:
                raise _Bad(v, "not a finite number")
            return x
        raise _Bad(v, f"expected a number (float), got {_kind(v)}")
    return dec


def _bool_decoder(f: Field) -> Decoder:
    def dec(v: Any, ind: list) -> Any:
        t = type(v)
        if t is bool:
            return v
        if t is str:
            if not v:
                return None
            b = _BOOL_TEXT.get(v)
            if b is None:
                raise _Bad(v, "not a boolean (true/false)")
            return b
        if (t is int or t is IntLiteral) and v in (0, 1):
            return bool(v)
        raise _Bad(v, f"expected a boolean, got {_kind(v)}")
    return dec


def _timestamp_decoder(f: Field) -> Decoder:
    try:
        parse = compile_time_formats(f.time_formats or ("rfc3339",))
    except ValueError as e:
        raise WorkbenchError(f"Field {f.name}: {e}.") from None
    formats = list(f.time_formats or ("rfc3339",))

    def dec(v: Any, ind: list) -> Any:
        if v == "":
            return None
        t = type(v)
        if t is IntLiteral or t is FloatLiteral:
            v = v.text if t is FloatLiteral else int(v)  # unix seconds read from the number as written
        try:
            return parse(v)
        except ValueError as e:
            raise _Bad(v, f"{e} (timeFormats {formats})") from None
        except (OverflowError, OSError):
            raise _Bad(v, "timestamp out of range") from None
    return dec


def _embedded(dec_inner: Decoder, f: Field) -> Decoder:
    def dec(v: Any, ind: list) -> Any:
        if type(v) is str:
            if not v.strip():
                return None
            try:
                v = loads(v)
            except _Bad as e:
                raise _Bad(_short(v), f"embedded JSON: {e.reason}") from None
        return dec_inner(v, ind)
    return dec
