"""Compile a Panther schema once into a parser; parse records into exactly the events Panther would store.

An event holds the declared fields only (case-sensitive names, undeclared keys dropped, nulls and empty
values omitted), values coerced by Panther's decoding rules, timestamps as `YYYY-MM-DD HH:MM:SS.fffffffff`
UTC, embedded JSON decoded, then the standard fields `p_log_type`, `p_row_id`, `p_event_time`,
`p_parse_time`, `p_source_file` and the `p_any_*` indicator columns. A line that does not fit is a
`ParseError` value naming the field, the value and the reason; it never stops a file.
"""

from __future__ import annotations

import csv
import ipaddress
import itertools
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from workbench.errors import WorkbenchError
from workbench.indicators import compile_scanner, fold_into
from workbench.model import Record
from workbench.schema import Field, Schema
from workbench.timeformats import compile_time_formats, ns_to_text

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


class _BadHere(_Bad):
    """Raised by generated code with the field path already set (no prefixing on the way out)."""


_INLINE_DEPTH = 6  # nested objects this deep are decoded inline in their top-level function


def _path_join(parent: str, name: str) -> str:
    """The error path `_Bad.under` builds for `name` inside `parent` (so inlined code reports the same path)."""
    if not parent:
        return name
    return f"{parent}.{name}" if name and not name.startswith("[") else f"{parent}{name}"


def _object_decoder(fields: tuple[Field, ...], empty: frozenset[str] = frozenset(),
                    positions: dict[str, int] | None = None) -> Callable[[Any, Any], dict | None]:
    """Compile an object's fields into one straight-line Python function (generated source, exec'd once).

    Per field it is a dict lookup and an inline type check for the common case (a non-empty string, a
    boolean, an in-range integer, a timestamp string); anything else goes through the field's decoder
    closure. Nested objects are written inline too (a call per object cost more than its fields), with error
    paths built exactly as the nested functions would build them. A loop over a field table costs about
    twice as much per value, and this is the hot path.
    """
    ns: dict[str, Any] = {"_Bad": _Bad, "_BadHere": _BadHere, "_kind": _kind, "BOOL_TEXT": _BOOL_TEXT,
                          "SCALARS": _JSON_SCALARS, "EMPTY": empty, "FROMISO": datetime.fromisoformat}
    ids = itertools.count()
    # With `positions` (a fastmatch pattern's field → group index) the input is the regex's groups tuple:
    # indexing a tuple is cheaper than building a dict and looking every field up in it.
    head = ["    if type(v) is not dict:", "        raise _Bad(v, 'expected an object, got ' + _kind(v))",
            "    get = v.get"] if positions is None else []
    lines = ["def dec(v, ind):", *head, "    out = {}", "    cur = ''", "    try:"]
    _emit_fields(lines, ns, ids, fields, empty, positions, level=0, prefix="", pad="        ")
    lines += [
        "    except _BadHere:",
        "        raise",
        "    except _Bad as e:",
        "        raise e.under(cur) from None",
        "    return out or None",
    ]
    exec("\n".join(lines), ns)  # our own generated source; field names enter only as repr() literals
    return ns["dec"]


def _emit_fields(lines: list[str], ns: dict[str, Any], ids: Iterator[int], fields: tuple[Field, ...],
                 empty: frozenset[str], positions: dict[str, int] | None, *, level: int, prefix: str,
                 pad: str) -> None:
    """Append the decoding lines for one object's fields. Level 0 reads `v`/`get` into `out`; a nested level
    n reads `get{n}` into `out{n}`. `prefix` is the error path of the object these fields belong to."""
    x, out, get = ("x", "out", "get") if level == 0 else (f"x{level}", f"out{level}", f"get{level}")
    for f in fields:
        i = next(ids)
        rename = f.extra.get("rename")
        src = rename.get("from", f.name) if isinstance(rename, dict) else f.name
        d, k = f"D{i}", repr(f.name)
        cur = repr(_path_join(prefix, f.name))
        if positions is not None and src not in positions:
            if f.required:
                lines += [f"{pad}raise _BadHere(None, 'required field is not in the matched pattern', {cur})"]
            continue
        fetch = f"{x} = {get}({src!r})" if positions is None else f"{x} = v[{positions[src]}]"
        ns[d] = compile_value(f)
        req = f.required
        on_empty = [f"elif {x} == '': raise _BadHere({x}, 'required field is empty', {cur})"] if req else []
        generic = [f"cur = {cur}", f"r = {d}({x}, ind)", f"if r is not None: {out}[{k}] = r", *on_empty]
        if not empty:
            present = f"{x} is not None"
        elif len(empty) == 1:
            present = f"{x} is not None and {x} != {next(iter(empty))!r}"
        else:
            present = f"{x} is not None and {x} not in EMPTY"
        if positions is not None and f.type == "string" and not f.validate:
            # text fields are always strings: no type check, empty and emptyValues tested in one line
            if empty and len(empty) == 1:
                cond = f"{x} and {x} != {next(iter(empty))!r}"
            elif empty:
                cond = f"{x} and {x} not in EMPTY"
            else:
                cond = x
            lines += [f"{pad}{fetch}", f"{pad}if {cond}:", f"{pad}    {out}[{k}] = {x}"]
            if f.indicators:
                sc = compile_scanner(f.indicators)
                ns[f"C{i}"], ns[f"S{i}"] = sc.get, sc.miss
                lines += [f"{pad}    h = C{i}({x})", f"{pad}    if h is None: h = S{i}({x})", f"{pad}    if h: ind += h"]
            if req:
                lines += [f"{pad}else:", f"{pad}    raise _BadHere({x}, 'required field is missing or empty', {cur})"]
            continue
        lines += [f"{pad}{fetch}", f"{pad}if {present}:"]
        if (f.type == "object" and f.fields and not f.is_embedded_json and positions is None
                and level + 1 < _INLINE_DEPTH):
            # the nested object inline; anything but a dict takes the nested decoder's own error path
            n = level + 1
            lines += [f"{pad}    if type({x}) is dict:", f"{pad}        get{n} = {x}.get", f"{pad}        out{n} = {{}}"]
            _emit_fields(lines, ns, ids, f.fields, frozenset(), None, level=n, prefix=_path_join(prefix, f.name),
                         pad=pad + "        ")
            lines += [f"{pad}        if out{n}: {out}[{k}] = out{n}", f"{pad}    else:", *(f"{pad}        {g}" for g in generic)]
            if req:
                lines += [f"{pad}else:", f"{pad}    raise _BadHere(None, 'required field is missing or null', {cur})"]
            continue
        if f.type == "string" and not f.validate:
            if f.indicators:
                sc = compile_scanner(f.indicators)
                ns[f"C{i}"], ns[f"S{i}"] = sc.get, sc.miss
                # inline cache hit; the scanner runs only for a value not seen before
                fast = [f"if {x}:", f"    {out}[{k}] = {x}", f"    h = C{i}({x})", f"    if h is None: h = S{i}({x})",
                        "    if h: ind += h"]
            else:
                fast = [f"if {x}:", f"    {out}[{k}] = {x}"]
            if req:
                fast += [f"else: raise _BadHere({x}, 'required field is empty', {cur})"]
            body = [f"if type({x}) is str:", *("    " + line for line in fast), "else:", *("    " + g for g in generic)]
        elif f.type == "timestamp" and not f.is_embedded_json:
            ns[f"T{i}"] = compile_time_formats(f.time_formats or ("rfc3339",))
            ns[f"F{i}"] = f" (timeFormats {list(f.time_formats or ('rfc3339',))})"
            call = ["    try:",
                    f"        r = T{i}({x})",
                    "    except ValueError as err:",
                    f"        raise _BadHere({x}, str(err) + F{i}, {cur}) from None"]
            if tuple(f.time_formats or ("rfc3339",)) == ("rfc3339",):
                # parse_rfc3339's fast path written inline (whole-second UTC, by far the commonest form), with
                # the same checks; anything else, and the error message, come from the call
                fast = ["    r = None",
                        f"    if len({x}) == 20 and {x}[4::3] == '--T::Z' and {x}.isascii():",
                        "        try:",
                        f"            FROMISO({x})",
                        f"            r = {x}.replace('T', ' ').replace('Z', '.000000000')",
                        "        except ValueError:",
                        "            pass",
                        "    if r is None:",
                        *("    " + c for c in call)]
            else:
                fast = call
            body = [f"if type({x}) is str and {x}:", *fast, f"    {out}[{k}] = r",
                    "else:", *("    " + g for g in generic)]
        elif f.type == "boolean":
            # CloudTrail writes many booleans as "true"/"false" text: read those without a call
            body = [f"if {x} is True or {x} is False: {out}[{k}] = {x}",
                    f"elif type({x}) is str and {x} in BOOL_TEXT: {out}[{k}] = BOOL_TEXT[{x}]",
                    "else:", *("    " + g for g in generic)]
        elif f.type in _INT_RANGES:
            lo, hi = _INT_RANGES[f.type]
            digits = len(str(hi)) - 1  # shorter digit strings always fit the type
            text_int = f"{x}.isascii() and {x}.isdigit() and len({x}) <= {digits}"
            if positions is not None:  # text parsers only ever give strings
                body = [f"if {text_int}: {out}[{k}] = int({x})", "else:", *("    " + g for g in generic)]
            else:
                body = [f"if type({x}) is int and {lo} <= {x} <= {hi}: {out}[{k}] = {x}",
                        f"elif type({x}) is str and {text_int}: {out}[{k}] = int({x})",
                        "else:", *("    " + g for g in generic)]
        elif f.type == "json" and not f.is_embedded_json and not req:
            # what _json_decoder keeps (anything but "", {} and []), without a call
            body = [f"if {x} or type({x}) in SCALARS: {out}[{k}] = {x}"]
        else:
            body = generic
        lines += [f"{pad}    " + b for b in body]
        if req:
            lines += [f"{pad}else:", f"{pad}    raise _BadHere(None, 'required field is missing or null', {cur})"]


def _array_decoder(f: Field) -> Decoder:
    if f.element is None:
        raise WorkbenchError(f"Array field {f.name} has no element type.")
    el = compile_value(f.element)

    def dec(v: Any, ind: dict) -> Any:
        if type(v) is not list:
            raise _Bad(v, f"expected an array, got {_kind(v)}")
        out = []
        for i, x in enumerate(v):
            if x is None:
                continue
            try:
                r = el(x, ind)
            except _Bad as e:
                raise e.under(f"[{i}]") from None
            if r is not None:
                out.append(r)
        return out or None
    return dec


def _json_decoder(f: Field) -> Decoder:
    def dec(v: Any, ind: dict) -> Any:
        if v == "" or v == {} or v == []:
            return None
        return v
    return dec


def compile_value(f: Field) -> Decoder:
    """The decoder closure for one field's value."""
    t = f.type
    if t == "string":
        d = _string_decoder(f)
    elif t in _INT_RANGES:
        d = _int_decoder(f)
    elif t == "float":
        d = _float_decoder(f)
    elif t == "boolean":
        d = _bool_decoder(f)
    elif t == "timestamp":
        d = _timestamp_decoder(f)
    elif t == "object":
        d = _object_decoder(f.fields)
    elif t == "array":
        d = _array_decoder(f)
    elif t == "json":
        d = _json_decoder(f)
    else:
        raise WorkbenchError(f"Field {f.name}: type {t!r} is not supported by the parser.")
    if f.is_embedded_json and t in ("object", "array", "json"):
        d = _embedded(d, f)
    return d


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


class _ReWithTimeout:
    """`re` pattern fallback for the rare pattern only `re` compiles: same interface, no bound."""

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern
        self.groupindex = pattern.groupindex

    def match(self, text: str, timeout: float | None = None):
        return self.pattern.match(text)


def _bounded_regex(rx: str):
    import regex

    try:
        return regex.compile(rx, regex.DOTALL | regex.VERSION0)
    except regex.error:
        return _ReWithTimeout(re.compile(rx, re.DOTALL))


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
            self.regex = _bounded_regex(rx)
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


# --- the parser ---------------------------------------------------------------------------------------------

class _Clock:
    """p_parse_time text, recomputed at most once per millisecond (formatting is the costly part)."""

    __slots__ = ("_ms", "_text")

    def __init__(self) -> None:
        self._ms = -1
        self._text = ""

    def text(self) -> str:
        ns = time.time_ns()
        ms = ns // 1_000_000
        if ms != self._ms:
            self._ms = ms
            self._text = ns_to_text(ms * 1_000_000)
        return self._text


_CLOCK = _Clock()
_ROW_ID_LOW = tuple(format(i, "03x") for i in range(4096))


def _row_ids() -> Iterator[str]:
    """p_row_id values: a random per-parser prefix and a hex counter (unique without os.urandom per event).

    Ids are made 4,096 at a time (one concatenation each) and handed out by C-level chaining, so taking one
    is a single cheap next(); formatting each id on its own cost a quarter of a microsecond.
    """
    prefix = os.urandom(6).hex()

    def batches() -> Iterator[list[str]]:
        for high in itertools.count(1):
            base = f"{prefix}{high:x}"
            yield [base + low for low in _ROW_ID_LOW]

    return itertools.chain.from_iterable(batches())


def _event_time_getters(fields: tuple[Field, ...]) -> list[Callable[[dict], Any]]:
    """Getters for every isEventTime field, schema order (the first with a value becomes p_event_time)."""
    out: list[Callable[[dict], Any]] = []

    def walk(fs: tuple[Field, ...], path: tuple[str, ...]) -> None:
        for f in fs:
            p = (*path, f.name)
            if f.type == "timestamp" and f.is_event_time:
                if len(p) == 1:
                    name = p[0]
                    out.append(lambda e, n=name: e.get(n))
                else:
                    def get(e: dict, p: tuple[str, ...] = p) -> Any:
                        for k in p:
                            if type(e) is not dict:
                                return None
                            e = e.get(k)
                        return e
                    out.append(get)
            if f.type == "object" and f.fields:
                walk(f.fields, p)

    walk(fields, ())
    return out


def _standard_fields(schema: Schema) -> Callable[[dict | None, list, str, str], dict]:
    """The function adding the `p_` fields to a decoded event (None: every declared field was empty, still
    an event, as Panther keeps it) from its indicator hits and the object it came from."""
    log_type = schema.name
    row_ids = _row_ids()
    clock = _CLOCK.text
    getters = _event_time_getters(schema.fields)
    top = [f.name for f in schema.fields if f.type == "timestamp" and f.is_event_time]
    time_key = top[0] if len(top) == 1 and len(getters) == 1 else None  # the common case: one top-level field

    def finish(event: dict | None, ind: list, bucket: str, key: str) -> dict:
        if event is None:
            event = {}
        parse_time = clock()
        if time_key is not None:
            event_time = event.get(time_key)
        else:
            event_time = None
            for get in getters:
                event_time = get(event)
                if event_time is not None:
                    break
        event["p_log_type"] = log_type
        event["p_row_id"] = next(row_ids)
        event["p_event_time"] = event_time or parse_time
        event["p_parse_time"] = parse_time
        if bucket or key:
            event["p_source_file"] = {"aws_s3_bucket": bucket, "aws_s3_key": key}
        if ind:
            fold_into(event, ind)
        return event

    return finish


class Parser:
    """A schema compiled once. `parse(record)` → event dict, ParseError, or None for a skipped line."""

    def __init__(self, schema: Schema):
        if not schema.name:
            raise WorkbenchError("A schema needs a name (`schema:`) before it can parse.")
        if not schema.fields:
            raise WorkbenchError(f"Schema {schema.name} has no fields.")
        self.schema = schema
        self.log_type = schema.name
        kind = schema.parser_kind
        if kind in ("script", "native"):
            raise WorkbenchError(f"Schema {schema.name}: the `{kind}` parser is not supported here; use csv, fastmatch, regex or JSON.")
        self._text = _TextParser(kind, schema.parser[kind]) if schema.parser else None
        empty = frozenset(self._text.empty) if self._text is not None and not self._text.expand else frozenset()
        self._decode = _object_decoder(schema.fields, empty)
        self._fastmatch = None
        t = self._text
        if t is not None and t.kind == "fastmatch" and not t.trim and not t.expand and not t.skip_prefix:
            self._fastmatch = [(rx.match, names, quoted,
                                _object_decoder(schema.fields, empty, {n: i for i, n in enumerate(names)}))
                               for rx, names, quoted in t.patterns]
            self._shortcuts = _pattern_shortcuts(t.match)
            self._last_pattern = 0
        self._finish = _standard_fields(schema)
        if schema.managed:
            self._manage(schema)
        if self._text is None:
            self.parse = self._json_parse()  # type: ignore[method-assign]  # the hot path, per instance

    def _manage(self, schema: Schema) -> None:
        """Wrap decode and finish with the `managed:` behaviours of a shipped schema (workbench.managed)."""
        from workbench.managed import key_folder, payload_indicators, requirement

        block = schema.managed or {}
        decode, finish = self._decode, self._finish
        if block.get("caseInsensitiveKeys"):
            fold = key_folder(schema.fields)

            def folded(raw: Any, ind: list, _decode=decode) -> Any:
                return _decode(fold(raw) if type(raw) is dict else raw, ind)

            decode = folded
        if block.get("require"):
            check = requirement(block)

            def checked(raw: Any, ind: list, _decode=decode) -> Any:
                event = _decode(raw, ind)
                reason = check(event) if type(event) is dict else None
                if reason:
                    raise _Bad(_short(orjson.dumps(raw).decode() if type(raw) is dict else raw), reason)
                return event

            decode = checked
        if block.get("indicators"):
            scan = payload_indicators(block)

            def finished(event: dict | None, ind: list, bucket: str, key: str, _finish=finish) -> dict:
                if event is not None:
                    scan(event, ind)
                return _finish(event, ind, bucket, key)

            self._finish = finished
        self._decode = decode

    def _json_parse(self) -> Callable[[Record], dict | ParseError | None]:
        """`parse` for a JSON schema: the common line (an object that decodes) in as few steps as possible.

        Everything else (blank lines, what only the stdlib reads, non-objects, nesting too deep) goes to
        the general `parse`, which says what is wrong. orjson skips the whitespace around a line itself.
        """
        decode, finish, general = self._decode, self._finish, Parser.parse.__get__(self)

        def parse(record: Record) -> dict | ParseError | None:
            try:
                raw = _orjson_loads(record.text)
            except _JSONError:
                return general(record)
            if type(raw) is not dict:
                return general(record)
            ind: list = []
            try:
                event = decode(raw, ind)
            except (_Bad, RecursionError):
                return general(record)  # rare: the general path decodes again and builds the ParseError
            return finish(event, ind, record.bucket, record.key)

        return parse

    def parse_text(self, text: str, bucket: str = "", key: str = "", line: int = 0) -> dict | ParseError | None:
        return self.parse(Record(bucket, key, line, text))

    def parse(self, record: Record) -> dict | ParseError | None:
        text = record.text.strip()
        if not text:
            return None
        key = record.key
        ind: list = []  # encoded indicator hits, folded into p_any_* once per event
        try:
            if self._text is None:
                try:
                    raw = _orjson_loads(text)
                except _JSONError:
                    raw = loads(text)  # the stdlib fallback, or a ParseError naming the problem
                if type(raw) is not dict:
                    raise _Bad(_short(text), f"expected a JSON object, got {_kind(raw)}")
                event = self._decode(raw, ind)
            elif self._fastmatch is not None:
                m = None
                j = self._last_pattern
                guard = self._shortcuts[j]
                if guard is not None:
                    # the pattern that won last time, tried first when an earlier-listed pattern provably
                    # could not have matched (see _pattern_shortcuts): one regex pass instead of several
                    hit = self._fastmatch[j]
                    m = hit[0](text)
                    if m is not None and guard:
                        rest = m.group(m.lastindex or 0)
                        for d in guard:
                            if d in rest:
                                m = None
                                break
                if m is None:
                    for j, hit in enumerate(self._fastmatch):
                        m = hit[0](text)
                        if m is not None:
                            self._last_pattern = j
                            break
                    else:
                        raise _Bad(_short(text), "line does not match any fastmatch pattern")
                _, _, quoted, dec = hit
                g = m.groups()
                if "\\" in text and any(quoted):
                    g = tuple(_UNESCAPE.sub(r"\1", x) if q and "\\" in x else x for x, q in zip(g, quoted, strict=True))
                event = dec(g, ind)
            else:
                raw = self._text.split(text, key, record.line)
                if raw is None:
                    return None
                event = self._decode(raw, ind)
        except _Bad as e:
            return ParseError(key, record.line, e.path, _short(e.value), e.reason, self.log_type)
        except RecursionError:
            return ParseError(key, record.line, "", _short(text), "value is nested too deeply", self.log_type)
        return self._finish(event, ind, record.bucket, key)

    def parse_many(self, records: Iterable[Record]) -> list[dict | ParseError]:
        parse = self.parse
        return [r for r in map(parse, records) if r is not None]


def compile_parser(schema: Schema) -> Parser:
    """Compile a schema into a Parser (raises WorkbenchError if the schema cannot parse anything)."""
    return Parser(schema)


class Classifier:
    """Several candidate parsers for one stream: the first (in order) that parses a line wins, as in Panther."""

    def __init__(self, parsers: Iterable[Parser]):
        self.parsers = list(parsers)
        if not self.parsers:
            raise WorkbenchError("No schemas to parse with.")
        self.log_type = self.parsers[0].log_type if len(self.parsers) == 1 else "|".join(p.log_type for p in self.parsers)

    def parse(self, record: Record) -> dict | ParseError | None:
        if len(self.parsers) == 1:
            return self.parsers[0].parse(record)
        errors: list[ParseError] = []
        for p in self.parsers:
            r = p.parse(record)
            if r is None or type(r) is dict:
                return r
            errors.append(r)
        first = errors[0]
        why = "; ".join(f"{e.log_type}: {e.field + ' ' if e.field else ''}{e.reason}" for e in errors)
        return ParseError(first.key, first.line, first.field, first.value, f"no schema matched ({why})", self.log_type)

    __call__ = parse


def parsers_for_source(config, source, schemas: dict[str, Schema] | None = None) -> Callable[[Record], dict | ParseError | None]:
    """A function parsing any record of `source`: the record's key prefix picks its log types.

    With `schemas` given, those schemas are tried (in order) for every record instead of the prefix
    mapping, which is how a freshly inferred schema is tried on a prefix.
    """
    from workbench.schema import load_schema_dir

    if schemas is not None:
        classifier = Classifier(compile_parser(s) for s in schemas.values())
        return classifier.parse
    available = load_schema_dir(config.schema_dirs) if config.schema_dirs else {}
    cache: dict[tuple[str, ...], Classifier | str] = {}
    compiled: dict[str, Parser] = {}

    def for_types(types: tuple[str, ...]) -> Classifier | str:
        got = cache.get(types)
        if got is None:
            missing = [t for t in types if t not in available]
            if not types:
                got = "no log type is mapped to this key's prefix in the source config"
            elif missing:
                got = f"no schema named {', '.join(missing)} in {', '.join(map(str, config.schema_dirs)) or 'the schema directories'}"
            else:
                for t in types:
                    if t not in compiled:
                        compiled[t] = compile_parser(available[t])
                got = Classifier(compiled[t] for t in types)
            cache[types] = got
        return got

    def parse(record: Record) -> dict | ParseError | None:
        types = source.log_types_for(record.key)
        c = for_types(types)
        if isinstance(c, str):
            if not record.text.strip():
                return None
            return ParseError(record.key, record.line, "", _short(record.text), c, "|".join(types))
        return c.parse(record)

    return parse
