"""The code generator: a schema's object fields → one Python function per top-level object, decoding
nested objects inline up to `_INLINE_DEPTH`, scalar fast paths written out, the reference decoders of
`workbench.parse.values` called for everything else.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from workbench.errors import WorkbenchError
from workbench.parse.values import (
    _BOOL_TEXT,
    _INT_RANGES,
    _JSON_SCALARS,
    Decoder,
    _Bad,
    _bool_decoder,
    _embedded,
    _float_decoder,
    _int_decoder,
    _kind,
    _string_decoder,
    _timestamp_decoder,
)
from workbench.schema import Field
from workbench.schema.indicators import compile_scanner
from workbench.schema.timeformats import compile_time_formats


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
