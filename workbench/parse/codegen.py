"""The code generator: a schema's object fields → one Python function per object, nested objects decoded inline
up to `INLINE_DEPTH`, a fast path per field type written out, the reference decoders of
`workbench.parse.values` called for everything else.

Each field type has one emitter (`_EMITTERS`); an emitter writes the lines that run when the field's value is
present and returns them. The generated source is compiled under a real file name registered in `linecache`, so
tracebacks show its lines, and `generated_sources` prints it (`workbench schema codegen FILE`).
"""

from __future__ import annotations

import contextlib
import itertools
import linecache
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workbench.errors import WorkbenchError
from workbench.parse.values import (
    _BOOL_TEXT,
    _INT_RANGES,
    _MISSING,
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
from workbench.schema.names import column_name
from workbench.schema.timeformats import ZERO_TIME, compile_time_formats


class _BadHere(_Bad):
    """Raised by generated code with the field path already set (no prefixing on the way out)."""


INLINE_DEPTH = 6  # nested objects this deep are decoded inline in their top-level function
_counter = itertools.count(1)
_collector: list[tuple[str, str]] | None = None  # (file name, source) of every function compiled, when collecting


@contextlib.contextmanager
def collecting_sources() -> Iterator[list[tuple[str, str]]]:
    """Collect (file name, source) of every decoder generated inside the block (for `schema codegen`)."""
    global _collector
    saved, _collector = _collector, []
    try:
        yield _collector
    finally:
        _collector = saved


def _path_join(parent: str, name: str) -> str:
    """The error path `_Bad.under` builds for `name` inside `parent` (so inlined code reports the same path)."""
    if not parent:
        return name
    return f"{parent}.{name}" if name and not name.startswith("[") else f"{parent}{name}"


class _Gen:
    """One generated function being written: its lines, its namespace of constants, and the parser options."""

    def __init__(self, empty: frozenset[str], positions: dict[str, int] | None):
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {"_Bad": _Bad, "_BadHere": _BadHere, "_kind": _kind, "BOOL_TEXT": _BOOL_TEXT,
                                   "EMPTY": empty, "MISSING": _MISSING, "ZERO": ZERO_TIME,
                                   "FROMISO": datetime.fromisoformat}
        self.ids = itertools.count()
        self.empty = empty
        self.positions = positions


@dataclass(frozen=True, slots=True)
class _Slot:
    """One field being written: its value variable, the dict it is stored into, and names as literals."""

    f: Field
    i: int
    x: str      # variable holding the input value
    out: str    # variable of the dict being filled
    k: str      # repr() of the stored (column) name
    cur: str    # repr() of the error path
    level: int
    prefix: str

    def generic(self) -> list[str]:
        """The reference decoder call: any value the fast path does not take, with its error and `required`."""
        lines = [f"cur = {self.cur}", f"r = D{self.i}({self.x}, ind)", f"if r is not None: {self.out}[{self.k}] = r"]
        if self.f.required:
            # an empty array is present (it passes `required`) but omitted (omitempty on a slice)
            cond = f"elif type({self.x}) is not list: raise" if self.f.type == "array" else "else: raise"
            lines.append(f"{cond} _BadHere({self.x}, 'required field has no value', {self.cur})")
        return lines


def _otherwise(s: _Slot, fast: list[str]) -> list[str]:
    return [*fast, "else:", *("    " + g for g in s.generic())]


def _scan_lines(g: _Gen, s: _Slot, value: str) -> list[str]:
    """Indicator scanning with the scanner's cache inline: the scanner runs only for a value not seen before."""
    sc = compile_scanner(s.f.indicators)
    if sc is None:  # none of the names is a known indicator: nothing to scan, as in the reference decoder
        return []
    g.ns[f"C{s.i}"], g.ns[f"S{s.i}"] = sc.get, sc.miss
    return [f"h = C{s.i}({value})", f"if h is None: h = S{s.i}({value})", "if h: ind += h"]


def _emit_string(g: _Gen, s: _Slot) -> list[str]:
    if s.f.validate:
        return s.generic()
    scan = _scan_lines(g, s, s.x) if s.f.indicators else []
    store = [f"{s.out}[{s.k}] = {s.x}", *([f"if {s.x}:", *("    " + c for c in scan)] if scan else [])]
    if g.positions is not None:
        return store  # text parsers give strings only
    # "" is stored as it is; a number keeps its text (the reference decoder asks for it)
    return _otherwise(s, [f"if type({s.x}) is str:", *("    " + c for c in store)])


def _emit_int(g: _Gen, s: _Slot) -> list[str]:
    lo, hi = _INT_RANGES[s.f.type]
    digits = len(str(hi)) - 1  # shorter digit strings always fit the type
    text_int = f"{s.x}.isascii() and {s.x}.isdigit() and len({s.x}) <= {digits}"
    if g.positions is not None:
        return _otherwise(s, [f"if {text_int}: {s.out}[{s.k}] = int({s.x})"])
    return _otherwise(s, [f"if type({s.x}) is int and {lo} <= {s.x} <= {hi}: {s.out}[{s.k}] = {s.x}",
                          f"elif type({s.x}) is str and {text_int}: {s.out}[{s.k}] = int({s.x})"])


def _emit_float(g: _Gen, s: _Slot) -> list[str]:
    if g.positions is not None:
        return s.generic()
    return _otherwise(s, [f"if type({s.x}) is float and {s.x} - {s.x} == 0.0: {s.out}[{s.k}] = {s.x}"])


def _emit_boolean(g: _Gen, s: _Slot) -> list[str]:
    # CloudTrail writes many booleans as "true"/"false" text: read those without a call
    return _otherwise(s, [f"if {s.x} is True or {s.x} is False: {s.out}[{s.k}] = {s.x}",
                          f"elif type({s.x}) is str and {s.x} in BOOL_TEXT: {s.out}[{s.k}] = BOOL_TEXT[{s.x}]"])


def _emit_timestamp(g: _Gen, s: _Slot) -> list[str]:
    f, x = s.f, s.x
    if f.is_embedded_json:
        return s.generic()
    formats = tuple(f.time_formats or ("rfc3339",))
    g.ns[f"T{s.i}"] = compile_time_formats(formats)
    g.ns[f"F{s.i}"] = f" (timeFormats {list(formats)})"
    call = ["try:", f"    r = T{s.i}({x})", "except ValueError as err:",
            f"    raise _BadHere({x}, str(err) + F{s.i}, {s.cur}) from None"]
    if formats == ("rfc3339",):
        # parse_rfc3339's fast path written inline (whole-second UTC, by far the commonest form), with the same
        # checks; anything else, and the error message, come from the call
        call = ["r = None",
                f"if len({x}) == 20 and {x}[4::3] == '--T::Z' and {x}.isascii():",
                "    try:",
                f"        FROMISO({x})",
                f"        r = {x}.replace('T', ' ').replace('Z', '.000000000')",
                "    except ValueError:",
                "        pass",
                "if r is None:",
                *("    " + c for c in call)]
    # Go's zero time (0001-01-01 00:00:00 UTC) is written as null, so the field is dropped
    return _otherwise(s, [f"if type({x}) is str and {x}:", *("    " + c for c in call),
                          f"    if r != ZERO: {s.out}[{s.k}] = r",
                          *([f"    else: raise _BadHere({x}, 'required field has no value', {s.cur})"]
                            if f.required else [])])


def _emit_object(g: _Gen, s: _Slot) -> list[str]:
    f = s.f
    if not f.fields or f.is_embedded_json or g.positions is not None or s.level + 1 >= INLINE_DEPTH:
        return s.generic()
    # the nested object inline (a present object is stored even when empty); anything but a dict takes the
    # nested decoder's own error path
    n = s.level + 1
    inner: list[str] = [f"get{n} = {s.x}.get", f"out{n} = {{}}"]
    _emit_fields(g, inner, f.fields, level=n, prefix=_path_join(s.prefix, f.name))
    inner.append(f"{s.out}[{s.k}] = out{n}")
    return _otherwise(s, [f"if type({s.x}) is dict:", *("    " + c for c in inner)])


def _emit_json(g: _Gen, s: _Slot) -> list[str]:
    if s.f.is_embedded_json or g.positions is not None:
        return s.generic()
    # any present value is stored as it came: {}, [], "" and null too
    if s.f.required:
        return [f"if {s.x} is None: raise _BadHere(None, 'required field is missing or null', {s.cur})",
                f"{s.out}[{s.k}] = {s.x}"]
    return [f"{s.out}[{s.k}] = {s.x}"]


def _emit_array(g: _Gen, s: _Slot) -> list[str]:
    el = s.f.element
    if (s.f.is_embedded_json or el is None or el.type != "string" or el.indicators or el.validate
            or el.is_embedded_json):
        return s.generic()
    # an array of plain strings (no nulls, not empty) is stored as it came; anything else takes the decoder
    return _otherwise(s, [f"if type({s.x}) is list and {s.x} and all(type(e) is str for e in {s.x}): "
                          f"{s.out}[{s.k}] = {s.x}"])


_EMITTERS: dict[str, Callable[[_Gen, _Slot], list[str]]] = {
    "string": _emit_string, "int": _emit_int, "smallint": _emit_int, "bigint": _emit_int, "float": _emit_float,
    "boolean": _emit_boolean, "timestamp": _emit_timestamp, "object": _emit_object, "array": _emit_array,
    "json": _emit_json,
}


def _emit_fields(g: _Gen, lines: list[str], fields: tuple[Field, ...], *, level: int, prefix: str) -> None:
    """Append the decoding lines for one object's fields. Level 0 reads `v`/`get` into `out`; a nested level
    n reads `get{n}` into `out{n}`. `prefix` is the error path of the object these fields belong to."""
    x, out, get = ("x", "out", "get") if level == 0 else (f"x{level}", f"out{level}", f"get{level}")
    positions = g.positions if level == 0 else None
    for f in fields:
        i = next(g.ids)
        rename = f.extra.get("rename")
        src = rename.get("from", f.name) if isinstance(rename, dict) else f.name
        s = _Slot(f, i, x, out, repr(column_name(f.name)), repr(_path_join(prefix, f.name)), level, prefix)
        if positions is not None and src not in positions:
            if f.required:
                lines.append(f"raise _BadHere(None, 'required field is not in the matched pattern', {s.cur})")
            continue
        g.ns[f"D{i}"] = compile_value(f)
        is_json = f.type == "json" and not f.is_embedded_json
        if positions is not None:
            lines.append(f"{x} = v[{positions[src]}]")
        else:
            lines.append(f"{x} = {get}({src!r}, MISSING)" if is_json else f"{x} = {get}({src!r})")
        empty = g.empty if level == 0 else frozenset()
        present = f"{x} is not MISSING" if is_json and positions is None else f"{x} is not None"
        if len(empty) == 1:
            present += f" and {x} != {next(iter(empty))!r}"
        elif empty:
            present += f" and {x} not in EMPTY"
        if positions is not None and not empty:
            present = "True"  # a matched group is always a string
        lines.append(f"if {present}:")
        lines.extend("    " + b for b in _EMITTERS[f.type](g, s))
        if f.required:
            lines += ["else:", f"    raise _BadHere(None, 'required field is missing or null', {s.cur})"]


def generate_object_source(fields: tuple[Field, ...], empty: frozenset[str] = frozenset(),
                           positions: dict[str, int] | None = None) -> tuple[str, dict[str, Any]]:
    """The source of one object decoder `dec(v, ind)` and the namespace it runs in."""
    g = _Gen(empty, positions)
    # With `positions` (a fastmatch pattern's field → group index) the input is the regex's groups tuple:
    # indexing a tuple is cheaper than building a dict and looking every field up in it.
    head = ["    if type(v) is not dict:", "        raise _Bad(v, 'expected an object, got ' + _kind(v))",
            "    get = v.get"] if positions is None else []
    body: list[str] = []
    _emit_fields(g, body, fields, level=0, prefix="")
    lines = ["def dec(v, ind):", *head, "    out = {}", "    cur = ''", "    try:",
             *("        " + b for b in body),
             "    except _BadHere:",
             "        raise",
             "    except _Bad as e:",
             "        raise e.under(cur) from None",
             "    return out"]
    return "\n".join(lines) + "\n", g.ns


def _object_decoder(fields: tuple[Field, ...], empty: frozenset[str] = frozenset(),
                    positions: dict[str, int] | None = None, *, label: str = "") -> Callable[[Any, Any], dict]:
    """Compile an object's fields into one straight-line Python function (generated source, exec'd once).

    Per field it is a dict lookup and an inline type check for the common case; anything else goes through the
    field's reference decoder. A loop over a field table costs about twice as much per value, and this is the
    hot path. Field names enter the source only as repr() literals.
    """
    src, ns = generate_object_source(fields, empty, positions)
    first = fields[0].name if fields else ""
    filename = f"<workbench-parser {label or first} #{next(_counter)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)  # tracebacks show the lines
    exec(compile(src, filename, "exec"), ns)
    if _collector is not None:
        _collector.append((filename, src))
    return ns["dec"]


def _array_decoder(f: Field) -> Decoder:
    if f.element is None:
        raise WorkbenchError(f"Array field {f.name} has no element type.")
    el = compile_value(f.element)

    def dec(v: Any, ind: list) -> Any:
        if type(v) is not list:
            raise _Bad(v, f"expected an array, got {_kind(v)}")
        out: list[Any] = []
        for i, x in enumerate(v):
            if x is None:
                out.append(None)  # null elements are stored as null
                continue
            try:
                out.append(el(x, ind))
            except _Bad as e:
                raise e.under(f"[{i}]") from None
        return out or None  # an empty array is omitted (omitempty on a slice)
    return dec


def _json_decoder(f: Field) -> Decoder:
    def dec(v: Any, ind: list) -> Any:
        return v
    return dec


def _object_value(f: Field) -> Decoder:
    if not f.fields:
        raise WorkbenchError(f"Object field {f.name} has no fields.")
    dec = _object_decoder(f.fields, label=f.name)

    def value(v: Any, ind: list) -> dict:
        try:
            return dec(v, ind)
        except _BadHere as e:  # its path is relative to this object: the callers prefix it on the way out
            raise _Bad(e.value, e.reason, e.path) from None
    return value


_REFERENCE: dict[str, Callable[[Field], Decoder]] = {
    "string": _string_decoder, "int": _int_decoder, "smallint": _int_decoder, "bigint": _int_decoder,
    "float": _float_decoder, "boolean": _bool_decoder, "timestamp": _timestamp_decoder, "object": _object_value,
    "array": _array_decoder, "json": _json_decoder,
}


def compile_value(f: Field) -> Decoder:
    """The reference decoder closure for one field's value."""
    make = _REFERENCE.get(f.type)
    if make is None:
        raise WorkbenchError(f"Field {f.name}: type {f.type!r} is not supported by the parser.")
    d = make(f)
    if f.is_embedded_json and f.type in ("object", "array", "json"):
        d = _embedded(d, f)
    return d
