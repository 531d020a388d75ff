"""Schema YAML → the model: validation whose problems carry YAML line:column, and loading files and folders.

Loading accepts both the legacy `timeFormat` string and the current `timeFormats` list. Keys this tool does
not act on but Panther accepts (transformations such as `rename`/`mask`, `isExpiration`, `definitions`) are
kept, so load → dump → load gives the same model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from workbench.errors import WorkbenchError
from workbench.schema.dump import dump_schema_dict
from workbench.schema.grok import compile_regex, expand_grok
from workbench.schema.model import (
    _FIELD_KEYS,
    _NAME_RE,
    _PARSER_KEYS,
    _STRFTIME_RE,
    _TOP_KEYS,
    _VALUE_KEYS,
    INDICATORS,
    LEGACY_TYPES,
    NAMED_TIME_FORMATS,
    PARSERS,
    TRANSFORMS,
    TYPES,
    Field,
    Schema,
    SchemaProblem,
    is_schema_file,
)
from workbench.wording import plural

# --- YAML with positions -----------------------------------------------------------------------------------

class _Pos:
    """Positions of a mapping's keys and values and of a sequence's items (1-based line, column)."""

    __slots__ = ("items", "keys", "start", "values")

    def __init__(self, start: tuple[int, int]) -> None:
        self.start = start
        self.keys: dict[Any, tuple[int, int]] = {}
        self.values: dict[Any, tuple[int, int]] = {}
        self.items: list[tuple[int, int]] = []


class _PosDict(dict):
    __slots__ = ("pos",)
    pos: _Pos


class _PosList(list):
    __slots__ = ("pos",)
    pos: _Pos


if TYPE_CHECKING:  # the C loader is picked at run time; both have the SafeLoader interface
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """SafeLoader that records where each key, value and item sits, and refuses duplicate keys.

    On libyaml's C parser when PyYAML has it (marks are the same): the pure-Python one took seconds on a
    5,000-field schema, and the Schema screen validates on every pause in typing."""


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _PosDict:
    loader.flatten_mapping(node)
    out = _PosDict()
    out.pos = _Pos(_mark(node))
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value", key_node.start_mark)
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key `{key}`", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.pos.keys[key] = _mark(key_node)
        out.pos.values[key] = _mark(value_node)
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _PosList:
    out = _PosList(loader.construct_object(n, deep=True) for n in node.value)
    out.pos = _Pos(_mark(node))
    out.pos.items = [_mark(n) for n in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def _yaml_load(text: str) -> tuple[Any, SchemaProblem | None]:
    try:
        return yaml.load(text, Loader=_Loader), None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "not valid YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return None, SchemaProblem(line, col, f"not valid YAML: {problem}")
    except yaml.YAMLError as e:
        return None, SchemaProblem(0, 0, f"not valid YAML: {str(e).splitlines()[0]}")
    except RecursionError:
        return None, SchemaProblem(0, 0, "not a usable schema: nested too deeply")


# --- validation and model building --------------------------------------------------------------------------

class _Builder:
    """Walks the loaded YAML once, collecting problems and building the model."""

    def __init__(self) -> None:
        self.problems: list[SchemaProblem] = []

    def problem(self, where: tuple[int, int] | None, message: str) -> None:
        line, col = where or (0, 0)
        self.problems.append(SchemaProblem(line, col, message))

    @staticmethod
    def _start(m: object) -> tuple[int, int] | None:
        pos: _Pos | None = getattr(m, "pos", None)
        return pos.start if pos else None

    @staticmethod
    def _key_pos(m: object, key: Any) -> tuple[int, int] | None:
        pos: _Pos | None = getattr(m, "pos", None)
        return pos.keys.get(key, pos.start) if pos else None

    @staticmethod
    def _val_pos(m: object, key: Any) -> tuple[int, int] | None:
        pos: _Pos | None = getattr(m, "pos", None)
        return pos.values.get(key, pos.start) if pos else None

    def _unknown(self, m: dict, allowed: Iterable[str], what: str) -> None:
        allowed = tuple(allowed)
        for k in m:
            if k not in allowed:
                self.problem(self._key_pos(m, k), f"unknown key `{k}` in {what}; expected one of: {', '.join(allowed)}")

    def _bool(self, m: dict, key: str, what: str) -> bool | None:
        v = m.get(key)
        if v is None:
            return None
        if not isinstance(v, bool):
            self.problem(self._val_pos(m, key), f"`{key}` of {what} must be true or false, got {v!r}")
            return None
        return v

    def _str(self, m: dict, key: str, what: str) -> str | None:
        v = m.get(key)
        if v is None:
            return None
        if not isinstance(v, str):
            self.problem(self._val_pos(m, key), f"`{key}` of {what} must be a string, got {type(v).__name__}")
            return None
        return v

    def schema(self, raw: Any) -> Schema | None:
        if raw is None:
            self.problem((1, 1), "the schema is empty; expected a mapping with `fields:` (and usually `schema:`)")
            return None
        if not isinstance(raw, dict):
            self.problem(getattr(getattr(raw, "pos", None), "start", (1, 1)),
                         "a schema must be a mapping with `fields:` (and usually `schema:`)")
            return None
        self._unknown(raw, _TOP_KEYS, "the schema")
        name = self._str(raw, "schema", "the schema")
        if name is not None and not _NAME_RE.match(name):
            self.problem(self._val_pos(raw, "schema"),
                         f"schema name {name!r} must be dot-separated words starting with capitals, e.g. Custom.MyApp.Audit")
        version = raw.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            self.problem(self._val_pos(raw, "version"), "`version` must be an integer (Panther uses 0)")
            version = None
        fde = self._bool(raw, "fieldDiscoveryEnabled", "the schema")
        parser = self.parser(raw)
        fields_raw = raw.get("fields")
        if fields_raw is None:
            self.problem(self._start(raw), "missing `fields:` (a list with at least one field)")
            fields: tuple[Field, ...] = ()
        else:
            fields = self.fields(raw, "fields", "the schema")
        extra = {"definitions": raw["definitions"]} if "definitions" in raw else {}
        managed = None
        if "managed" in raw:
            from workbench.schema.managed import problems as managed_problems

            for message in managed_problems(raw["managed"], name):
                self.problem(self._val_pos(raw, "managed"), message)
            managed = _plain(raw["managed"]) if isinstance(raw["managed"], dict) else None
        return Schema(
            name=name, fields=fields, description=self._str(raw, "description", "the schema"),
            reference_url=self._str(raw, "referenceURL", "the schema"), field_discovery_enabled=fde,
            version=version, parser=parser, extra=extra, managed=managed,
        )

    def parser(self, raw: dict) -> dict | None:
        p = raw.get("parser")
        if p is None:
            return None
        where = self._val_pos(raw, "parser")
        if not isinstance(p, dict) or len(p) != 1:
            self.problem(where, f"`parser` must have exactly one of: {', '.join(PARSERS)}")
            return None
        kind, opts = next(iter(p.items()))
        if kind not in PARSERS:
            self.problem(self._key_pos(p, kind), f"unknown parser `{kind}`; expected one of: {', '.join(PARSERS)}")
            return None
        if not isinstance(opts, dict):
            self.problem(self._val_pos(p, kind), f"`parser.{kind}` must be a mapping of options")
            return None
        self._unknown(opts, _PARSER_KEYS[kind], f"parser.{kind}")
        if kind in ("fastmatch", "regex"):
            match = opts.get("match")
            if isinstance(match, str):
                match = [match]
            if not isinstance(match, list) or not match or not all(isinstance(x, str) for x in match):
                self.problem(self._val_pos(opts, "match") if "match" in opts else self._key_pos(p, kind),
                             f"`parser.{kind}.match` must be a list of patterns")
            elif kind == "fastmatch":
                for i, pat in enumerate(match):
                    if "%{" not in pat:
                        pos = opts["match"].pos.items[i] if hasattr(opts["match"], "pos") else None
                        self.problem(pos, f"fastmatch pattern {pat!r} has no %{{field}} placeholder")
            else:
                try:
                    compile_regex(expand_grok("".join(match), opts.get("patternDefinitions") or {}))
                except (re.error, KeyError, ValueError) as e:
                    self.problem(self._val_pos(opts, "match"), f"regex does not compile: {e}")
        if kind == "csv":
            d = opts.get("delimiter", ",")
            if not isinstance(d, str) or len(d) != 1:
                self.problem(self._val_pos(opts, "delimiter"), "`parser.csv.delimiter` must be one character, e.g. \",\"")
            if not opts.get("hasHeader") and not opts.get("columns"):
                self.problem(self._key_pos(p, kind), "`parser.csv` needs `columns:` or `hasHeader: true`")
        for key in ("emptyValues", "columns"):
            if key in opts and not (isinstance(opts[key], list) and all(isinstance(x, str) for x in opts[key])):
                self.problem(self._val_pos(opts, key), f"`parser.{kind}.{key}` must be a list of strings")
        if "expandFields" in opts and not isinstance(opts["expandFields"], dict):
            self.problem(self._val_pos(opts, "expandFields"), f"`parser.{kind}.expandFields` must map a field to a template")
        return {kind: _plain(opts)}

    def fields(self, parent: dict, key: str, what: str) -> tuple[Field, ...]:
        raw = parent.get(key)
        if not isinstance(raw, list) or not raw:
            self.problem(self._val_pos(parent, key), f"`{key}` of {what} must be a non-empty list of fields")
            return ()
        out = []
        seen: dict[str, int] = {}
        for i, f in enumerate(raw):
            pos = raw.pos.items[i] if hasattr(raw, "pos") else None
            if not isinstance(f, dict):
                self.problem(pos, f"each entry of `{key}` of {what} must be a mapping with `name` and `type`")
                continue
            built = self.field(f, what, pos)
            if built is None:
                continue
            if built.name in seen:
                self.problem(self._val_pos(f, "name"), f"duplicate field name `{built.name}` in {what}")
            seen[built.name] = i
            out.append(built)
        return tuple(out)

    def field(self, f: dict, parent_what: str, pos, *, element: bool = False) -> Field | None:
        name = "" if element else f.get("name")
        what = "an array element" if element else f"field `{name}`"
        # an array element has no name of its own: "" passes, a named field needs a non-empty string
        if not isinstance(name, str) or (not name and not element):
            self.problem(self._key_pos(f, "name") if "name" in f else pos, f"a field in {parent_what} needs a `name`")
            return None
        self._unknown(f, _VALUE_KEYS if element else _FIELD_KEYS, what)
        typ = f.get("type")
        if typ is None:
            self.problem(pos if "type" not in f else self._val_pos(f, "type"),
                         f"{what} needs a `type` (one of: {', '.join(TYPES)})")
            return None
        if typ not in TYPES and typ not in LEGACY_TYPES:
            self.problem(self._val_pos(f, "type"), f"unknown type {typ!r} for {what}; expected one of: {', '.join(TYPES)}")
            return None
        required = bool(self._bool(f, "required", what)) if not element else False
        is_event_time = bool(self._bool(f, "isEventTime", what))
        is_embedded = bool(self._bool(f, "isEmbeddedJSON", what))
        time_formats = self.time_formats(f, what, typ)
        if is_event_time and typ != "timestamp":
            self.problem(self._key_pos(f, "isEventTime"), f"`isEventTime` is only allowed on timestamp fields ({what} is {typ})")
        if is_embedded and typ not in ("object", "array", "json"):
            self.problem(self._key_pos(f, "isEmbeddedJSON"),
                         f"`isEmbeddedJSON` is only allowed on object, array or json ({what} is {typ})")
        indicators = self.indicators(f, what, typ)
        validate = self.validate(f, what)
        fields: tuple[Field, ...] = ()
        element_schema = None
        if typ == "object":
            if "fields" not in f:
                self.problem(self._val_pos(f, "type"), f"{what} is an object and needs `fields:`")
            else:
                fields = self.fields(f, "fields", what)
        elif "fields" in f:
            self.problem(self._key_pos(f, "fields"), f"`fields` is only allowed on objects ({what} is {typ})")
        if typ == "array":
            el = f.get("element")
            if not isinstance(el, dict):
                self.problem(self._val_pos(f, "element") if "element" in f else self._val_pos(f, "type"),
                             f"{what} is an array and needs `element:` with a `type`")
            else:
                element_schema = self.field(el, what, getattr(getattr(el, "pos", None), "start", None), element=True)
        elif "element" in f:
            self.problem(self._key_pos(f, "element"), f"`element` is only allowed on arrays ({what} is {typ})")
        extra = {k: _plain(f[k]) for k in ("isExpiration", "target", *TRANSFORMS) if k in f}
        desc = self._str(f, "description", what) if not element else None
        return Field(name=name, type=typ, required=required, description=desc, time_formats=time_formats,
                     is_event_time=is_event_time, is_embedded_json=is_embedded, indicators=indicators,
                     validate=validate, fields=fields, element=element_schema, extra=extra)

    def time_formats(self, f: dict, what: str, typ: str) -> tuple[str, ...]:
        has_one, has_many = "timeFormat" in f, "timeFormats" in f
        if typ != "timestamp":
            for k in ("timeFormat", "timeFormats"):
                if k in f:
                    self.problem(self._key_pos(f, k), f"`{k}` is only allowed on timestamp fields ({what} is {typ})")
            return ()
        if has_one and has_many:
            self.problem(self._key_pos(f, "timeFormat"), f"{what} has both `timeFormat` and `timeFormats`; keep `timeFormats`")
        formats: list[str] = []
        if has_many:
            v = f["timeFormats"]
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
                self.problem(self._val_pos(f, "timeFormats"), f"`timeFormats` of {what} must be a list of formats")
            else:
                formats = list(v)
        elif has_one:
            v = f["timeFormat"]
            if not isinstance(v, str):
                self.problem(self._val_pos(f, "timeFormat"), f"`timeFormat` of {what} must be a string")
            else:
                formats = [v]
        else:
            self.problem(self._val_pos(f, "type"),
                         f"{what} is a timestamp and needs `timeFormats` "
                         "(rfc3339, unix, unix_ms, unix_us, unix_ns or a strftime format)")
        key = "timeFormats" if has_many else "timeFormat"
        for fmt in formats:
            if (fmt not in NAMED_TIME_FORMATS and fmt != "cloudflare" and not fmt.startswith("layout=")
                    and not _STRFTIME_RE.search(fmt)):
                self.problem(self._val_pos(f, key),
                             f"time format {fmt!r} of {what} is not rfc3339, unix, unix_ms, unix_us, unix_ns "
                             "or a strftime format like '%Y-%m-%d %H:%M:%S'")
            elif "%" in fmt and not fmt.startswith("layout=") and fmt not in NAMED_TIME_FORMATS:
                from workbench.schema.timeformats import compile_time_format

                try:  # the directives Panther's strftime library reads (a %L or %s would fail at parse time)
                    compile_time_format(fmt)
                except ValueError as e:
                    self.problem(self._val_pos(f, key), f"time format {fmt!r} of {what}: {e}")
        return tuple(formats)

    def indicators(self, f: dict, what: str, typ: str) -> tuple[str, ...]:
        if "indicators" not in f:
            return ()
        v = f["indicators"]
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            self.problem(self._val_pos(f, "indicators"), f"`indicators` of {what} must be a list such as [ip, email]")
            return ()
        if typ not in ("string", "array"):
            self.problem(self._key_pos(f, "indicators"), f"`indicators` are only allowed on string fields ({what} is {typ})")
        for x in v:
            if x not in INDICATORS:
                self.problem(self._val_pos(f, "indicators"),
                             f"unknown indicator {x!r} on {what}; expected one of: {', '.join(INDICATORS)}")
        return tuple(v)

    def validate(self, f: dict, what: str) -> dict | None:
        if "validate" not in f:
            return None
        v = f["validate"]
        if not isinstance(v, dict):
            self.problem(self._val_pos(f, "validate"), f"`validate` of {what} must be a mapping with allow, deny, ip or cidr")
            return None
        self._unknown(v, ("allow", "deny", "ip", "cidr"), f"validate of {what}")
        for k in ("allow", "deny"):
            if k in v and not (isinstance(v[k], list) and all(isinstance(x, str | int | float) for x in v[k])):
                self.problem(self._val_pos(v, k), f"`validate.{k}` of {what} must be a list of values")
        for k in ("ip", "cidr"):
            if k in v and v[k] not in ("ipv4", "ipv6", "any"):
                self.problem(self._val_pos(v, k), f"`validate.{k}` of {what} must be ipv4, ipv6 or any")
        return _plain(v)


def _plain(v: Any) -> Any:
    """Positions off: plain dicts and lists, for the model and for dumping."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _build(text: str) -> tuple[Schema | None, list[SchemaProblem]]:
    raw, err = _yaml_load(text)
    if err:
        return None, [err]
    b = _Builder()
    schema = b.schema(raw)
    return schema, sorted(b.problems, key=lambda p: (p.line, p.column))


# --- public API --------------------------------------------------------------------------------------------

def validate_schema_text(text: str) -> list[SchemaProblem]:
    """Every problem in a schema's YAML text, in file order; empty when the schema is valid."""
    return _build(text)[1]


def load_schema(path_or_text: str | os.PathLike) -> Schema:
    """A Schema from a file path or from YAML text; raises WorkbenchError naming line:column of the first problem."""
    path: str | None = None
    if isinstance(path_or_text, os.PathLike) or (isinstance(path_or_text, str) and "\n" not in path_or_text
                                                  and path_or_text.endswith((".yml", ".yaml"))):
        path = os.fspath(path_or_text)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise WorkbenchError(f"Schema file {path} does not exist.") from None
        except (OSError, UnicodeDecodeError) as e:
            raise WorkbenchError(f"Cannot read schema file {path}: {e.__class__.__name__}.") from None
    else:
        text = str(path_or_text)
    schema, problems = _build(text)
    if problems or schema is None:
        first = problems[0] if problems else SchemaProblem(0, 0, "not a schema")
        more = f" (and {plural(len(problems) - 1, 'more problem')})" if len(problems) > 1 else ""
        raise WorkbenchError(f"{path or 'schema'}:{first.line}:{first.column}: {first.message}{more}.")
    return replace(schema, path=path)



def schema_from_dict(data: dict) -> Schema:
    """A Schema from an already-parsed mapping (validated the same way; positions unknown)."""
    return load_schema(dump_schema_dict(data))



def load_schema_dir(dirs: str | os.PathLike | Iterable[str | os.PathLike]) -> dict[str, Schema]:
    """Every schema (`*.yml`/`*.yaml`, not `*_tests.yml`) under the directories, by schema name.

    A file without `schema:` takes its name from the file stem. Raises WorkbenchError on the first bad
    file or on two files claiming the same name.
    """
    if isinstance(dirs, str | os.PathLike):
        dirs = [dirs]
    out: dict[str, Schema] = {}
    for d in dirs:
        d = Path(d)
        if d.is_file():
            files = [d]
        elif d.is_dir():
            files = sorted(p for p in d.rglob("*") if p.is_file() and is_schema_file(p))
        else:
            raise WorkbenchError(f"Schema directory {d} does not exist.")
        for p in files:
            s = load_schema(p)
            name = s.name or p.stem
            if name in out and out[name].path != s.path:
                raise WorkbenchError(f"Two schema files are named {name}: {out[name].path} and {p}; rename one.")
            out[name] = s if s.name else replace(s, name=name)
    return out


def loadable_log_types(schema_dirs: Iterable[str | os.PathLike]) -> frozenset[str]:
    """Log types loadable from these schema directories: what `detect` may suggest (bad files are left out)."""
    out: set[str] = set()
    for d in map(Path, schema_dirs):
        files = [d] if d.is_file() else sorted(p for p in d.rglob("*") if p.is_file() and is_schema_file(p)) if d.is_dir() else []
        for p in files:
            try:
                s = load_schema(p)
            except WorkbenchError:
                continue
            out.add(s.name or p.stem)
    return frozenset(out)
