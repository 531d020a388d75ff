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
_JSON_SCALARS = frozenset((int, float, bool))  # falsy values of these types are still stored (0, 0.0, false)
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

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str | bytes) -> Any:
    """orjson first; the stdlib only for what orjson refuses but is still JSON (deep nesting, big integers)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        first = str(e)
    try:
        return json.loads(text, parse_constant=_reject_constant)
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
# Each decoder takes (value, indicator sets) and returns the stored value, or None to omit it.

Decoder = Callable[[Any, dict], Any]


def _string_decoder(f: Field) -> Decoder:
    scan = compile_scanner(f.indicators)
    allow = deny = None
    ipcheck = None
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
        if t is int or t is float:
            return orjson.dumps(v).decode()
        raise _Bad(v, f"expected a string, got {_kind(v)}")

    if scan is None and allow is None and deny is None and ipcheck is None:
        def dec(v: Any, ind: dict) -> Any:
            if type(v) is str:
                return v or None
            return text(v) or None
        return dec

    if allow is None and deny is None and ipcheck is None:
        def dec_indicators(v: Any, ind: dict) -> Any:
            if type(v) is str:
                if v:
                    scan(v, ind)
                    return v
                return None
            s = text(v)
            if s:
                scan(s, ind)
            return s or None
        return dec_indicators

    def dec_checked(v: Any, ind: dict) -> Any:
        s = v if type(v) is str else text(v)
        if not s:
            return None
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
    return dec_checked


def _int_decoder(f: Field) -> Decoder:
    lo, hi = _INT_RANGES[f.type]

    def dec(v: Any, ind: dict) -> Any:
        t = type(v)
        if t is int:
            if lo <= v <= hi:
                return v
            raise _Bad(v, f"out of range for {f.type}")
        if t is str:
            if not v:
                return None
            s = v.strip()
            if not _INT_TEXT.match(s):
                raise _Bad(v, f"not an integer ({f.type})")
            n = int(s)
        elif t is float:
            if not v.is_integer():
                raise _Bad(v, f"not an integer ({f.type})")
            n = int(v)
        else:
            raise _Bad(v, f"expected a number ({f.type}), got {_kind(v)}")
        if lo <= n <= hi:
            return n
        raise _Bad(v, f"out of range for {f.type}" + (" (integers beyond 64 bits are not allowed)" if f.type == "bigint" else ""))
    return dec


def _float_decoder(f: Field) -> Decoder:
    def dec(v: Any, ind: dict) -> Any:
        t = type(v)
        if t is float:
            if v - v == 0.0:  # false for NaN and ±Inf
                return v
            raise _Bad(v, "not a finite number")
        if t is int:
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
    def dec(v: Any, ind: dict) -> Any:
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
        if t is int and v in (0, 1):
            return bool(v)
        raise _Bad(v, f"expected a boolean, got {_kind(v)}")
    return dec


def _timestamp_decoder(f: Field) -> Decoder:
    try:
        parse = compile_time_formats(f.time_formats or ("rfc3339",))
    except ValueError as e:
        raise WorkbenchError(f"Field {f.name}: {e}.") from None
    formats = list(f.time_formats or ("rfc3339",))

    def dec(v: Any, ind: dict) -> Any:
        if v == "":
            return None
        try:
            return parse(v)
        except ValueError as e:
            raise _Bad(v, f"{e} (timeFormats {formats})") from None
        except (OverflowError, OSError):
            raise _Bad(v, "timestamp out of range") from None
    return dec


def _embedded(dec_inner: Decoder, f: Field) -> Decoder:
    def dec(v: Any, ind: dict) -> Any:
        if type(v) is str:
            if not v.strip():
                return None
            try:
                v = loads(v)
            except _Bad as e:
                raise _Bad(_short(v), f"embedded JSON: {e.reason}") from None
        return dec_inner(v, ind)
    return dec
