"""Compile a Panther schema once into a parser; parse records into exactly the events Panther would store.

An event holds the declared fields only (case-sensitive names, undeclared keys dropped, nulls and empty
values omitted), values coerced by Panther's decoding rules, timestamps as `YYYY-MM-DD HH:MM:SS.fffffffff`
UTC, embedded JSON decoded, then the standard fields `p_log_type`, `p_row_id`, `p_event_time`,
`p_parse_time`, `p_source_file` and the `p_any_*` indicator columns. A line that does not fit is a
`ParseError` value naming the field, the value and the reason; it never stops a file.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from workbench.errors import WorkbenchError
from workbench.model import Record
from workbench.parse.codegen import _object_decoder, collecting_sources
from workbench.parse.managed import managed_steps
from workbench.parse.text import _pattern_shortcuts, _TextParser
from workbench.parse.values import (
    NeedsLiteral,
    ParseError,
    _Bad,
    _JSONError,
    _kind,
    _orjson_loads,
    _short,
    loads,
    loads_literal,
    plain,
)
from workbench.schema import Field, Schema
from workbench.schema.indicators import fold_into
from workbench.schema.names import column_name
from workbench.schema.refs import has_refs, resolve_refs
from workbench.schema.timeformats import ns_to_text

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
            p = (*path, column_name(f.name))  # events hold the stored column names
            if f.type == "timestamp" and f.is_event_time:
                if len(p) == 1:
                    def get_top(e: dict, n: str = p[0]) -> Any:
                        return e.get(n)
                    out.append(get_top)
                else:
                    def get(e: dict, p: tuple[str, ...] = p) -> Any:
                        cur: Any = e
                        for k in p:
                            if type(cur) is not dict:
                                return None
                            cur = cur.get(k)
                        return cur
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
    top = [column_name(f.name) for f in schema.fields if f.type == "timestamp" and f.is_event_time]
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
        log_type = schema.name
        if not log_type:
            raise WorkbenchError("A schema needs a name (`schema:`) before it can parse.")
        if not schema.fields:
            raise WorkbenchError(f"Schema {schema.name} has no fields.")
        if has_refs(schema.fields):
            schema = replace(schema, fields=resolve_refs(schema))
        self.schema = schema
        self.log_type = log_type
        kind = schema.parser_kind
        if kind == "native":
            name = (schema.parser or {}).get("native") or {}
            name = name.get("name") if isinstance(name, dict) else name
            raise WorkbenchError(
                f"Schema {schema.name}: `parser: native`{f' ({name})' if name else ''} names one of Panther's built-in "
                "Go parsers, which only Panther runs; describe the log with `fields` and a csv, fastmatch or regex "
                "parser (or none, for JSON) to parse it here.")
        if kind == "script":
            raise WorkbenchError(f"Schema {schema.name}: the `script` parser is not supported here; "
                                 "use csv, fastmatch, regex or JSON.")
        custom = (schema.name or "").startswith("Custom.")
        self._text = _TextParser(kind, schema.parser[kind], custom=custom) if schema.parser else None
        empty = frozenset(self._text.empty) if self._text is not None and not self._text.expand else frozenset()
        self._decode = _object_decoder(schema.fields, empty, label=log_type)
        self._fastmatch = None
        t = self._text
        if t is not None and t.kind == "fastmatch" and not t.trim and not t.expand and not t.skip_prefix:
            self._fastmatch = [(fp.groups, _object_decoder(schema.fields, empty,
                                                           {n: i for i, n in enumerate(fp.names)}, label=log_type),
                                fp.names)
                               for fp in t.patterns]
            self._shortcuts = _pattern_shortcuts(t.match)
            self._last_pattern = 0
        self._finish = _standard_fields(schema)
        if schema.managed:  # the schema file's own `managed:` block (workbench.parse.managed_block)
            from workbench.parse.managed_block import wrap

            self._decode, self._finish = wrap(schema, self._decode, self._finish)
        self._managed = managed_steps(schema.name)
        self._managed_split = None
        if self._managed is not None and self._managed.text_splitter is not None:
            self._managed_split = self._managed.text_splitter()
        m = self._managed
        # a managed fastmatch type whose steps work on the matched fields keeps the fastmatch fast path
        self._groups = m.groups if m is not None and self._fastmatch is not None else None
        self._scan = m.scan if m is not None and self._groups is not None else None
        if self._text is None and self._managed_split is None:
            # the hot path, per instance; mypy compares a plain callable with the unbound method's signature
            self.parse = self._json_parse()  # type: ignore[method-assign,assignment]
        elif m is not None and self._groups is None:
            self.parse = self._managed_parse  # type: ignore[method-assign]  # see workbench/parse/managed/

    def _json_parse(self) -> Callable[[Record], dict | ParseError | None]:
        """`parse` for a JSON schema: the common line (an object that decodes) in as few steps as possible.

        Everything else (blank lines, what only the stdlib reads, non-objects, nesting too deep) goes to
        the general `parse`, which says what is wrong. orjson skips the whitespace around a line itself.
        """
        decode, finish = self._decode, self._finish
        if self._managed is None:
            general = Parser.parse.__get__(self)

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
                except (_Bad, RecursionError, NeedsLiteral):
                    return general(record)  # rare: the general path decodes again and builds the ParseError
                return finish(event, ind, record.bucket, record.key)

            return parse

        # a managed JSON type: its prepare and scan steps around the same fast decode. A copy of `parse` above
        # on purpose: the plain path stays free of the two step checks per line (bench_parse.py measures it)
        general = self._managed_parse
        prepare, scan = self._managed.prepare, self._managed.scan

        def managed(record: Record) -> dict | ParseError | None:
            try:
                raw = _orjson_loads(record.text)
            except _JSONError:
                return general(record)
            if type(raw) is not dict:
                return general(record)
            ind: list = []
            try:
                event = decode(raw if prepare is None else prepare(raw), ind)
            except (_Bad, RecursionError, NeedsLiteral, ValueError):
                return general(record)
            if scan is not None:
                scan(event, ind)
            return finish(event, ind, record.bucket, record.key)

        return managed

    def _managed_parse(self, record: Record) -> dict | ParseError | None:
        """`parse` for a shipped managed type: the schema's parser, the type's `prepare`, decoding, its `scan`."""
        line = record.text.rstrip("\r\n")
        text = line.strip()
        if not text:
            return None
        steps = self._managed
        assert steps is not None  # installed as `parse` only for a managed type (see __init__, _json_parse)
        ind: list = []
        try:
            if self._text is None and self._managed_split is not None and text[0] != "{":
                try:
                    raw = self._managed_split(text, record.key)
                except ValueError as e:
                    raise _Bad(_short(text), str(e)) from None
                if raw is None:
                    return None
            elif self._text is None:
                try:
                    raw = _orjson_loads(text)
                except _JSONError:
                    raw = loads(text)
                if type(raw) is not dict:
                    raise _Bad(_short(text), f"expected a JSON object, got {_kind(raw)}")
            else:
                raw = self._text.split(line, record.key, record.line)  # text parsers see the line untrimmed
                if raw is None:
                    return None
            try:
                event = self._decode(self._prepare(raw, text), ind)
            except NeedsLiteral:
                # a string field got a JSON number: read the line again keeping number texts
                ind = []
                event = plain(self._decode(self._prepare(loads_literal(text), text), ind))
            if steps.scan is not None and event is not None:
                try:
                    steps.scan(event, ind)
                except ValueError as e:
                    raise _Bad(_short(text), str(e)) from None
        except _Bad as e:
            return ParseError(record.key, record.line, e.path, _short(e.value), e.reason, self.log_type)
        except RecursionError:
            return ParseError(record.key, record.line, "", _short(text), "value is nested too deeply", self.log_type)
        return self._finish(event, ind, record.bucket, record.key)

    def _prepare(self, raw: dict, text: str) -> dict:
        assert self._managed is not None  # only _managed_parse calls this
        prepare = self._managed.prepare
        if prepare is None:
            return raw
        try:
            return prepare(raw)
        except ValueError as e:
            raise _Bad(_short(text), str(e)) from None

    def parse_text(self, text: str, bucket: str = "", key: str = "", line: int = 0) -> dict | ParseError | None:
        return self.parse(Record(bucket, key, line, text))

    def parse(self, record: Record) -> dict | ParseError | None:
        line = record.text.rstrip("\r\n")
        text = line.strip()
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
                try:
                    event = self._decode(raw, ind)
                except NeedsLiteral:
                    # a string field got a JSON number: read the line again keeping number texts
                    ind = []
                    event = plain(self._decode(loads_literal(text), ind))
            elif self._fastmatch is not None:
                text = line  # text parsers see the line as it is (Panther does not trim it)
                g: Sequence[str] | None = None
                j = self._last_pattern
                guard = self._shortcuts[j]
                if guard is not None:
                    # the pattern that won last time, tried first when an earlier-listed pattern provably
                    # could not have matched (see _pattern_shortcuts): one pass instead of several
                    hit = self._fastmatch[j]
                    g = hit[0](text)
                    if g is not None and guard:
                        rest = g[-1]
                        for d in guard:
                            if d in rest:
                                g = None
                                break
                if g is None:
                    for j, hit in enumerate(self._fastmatch):
                        g = hit[0](text)
                        if g is not None:
                            self._last_pattern = j
                            break
                    else:
                        raise _Bad(_short(text), "line does not match any fastmatch pattern")
                if self._groups is not None:
                    try:
                        g = self._groups(list(g), hit[2])
                    except ValueError as e:
                        raise _Bad(_short(text), str(e)) from None
                event = hit[1](g, ind)
                if self._scan is not None:
                    try:
                        self._scan(event, ind)
                    except ValueError as e:
                        raise _Bad(_short(text), str(e)) from None
            else:
                text = line
                raw = self._text.split(text, key, record.line)
                if raw is None:
                    return None
                event = self._decode(raw, ind)
        except _Bad as e:
            return ParseError(key, record.line, e.path, _short(e.value), e.reason, self.log_type)
        except RecursionError:
            return ParseError(key, record.line, "", _short(text), "value is nested too deeply", self.log_type)
        return self._finish(event, ind, record.bucket, key)

def generated_source(schema: Schema) -> str:
    """The Python source the code generator writes for `schema`: every decoder function, under the file name
    its tracebacks show (`workbench schema codegen FILE` prints it)."""
    with collecting_sources() as sources:
        Parser(schema)
    return "\n".join(f"# --- {name}\n{src}" for name, src in sources)


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
            if not isinstance(r, ParseError):  # an event, or None for a skipped line
                return r
            errors.append(r)
        first = errors[0]
        why = "; ".join(f"{e.log_type}: {e.field + ' ' if e.field else ''}{e.reason}" for e in errors)
        return ParseError(first.key, first.line, first.field, first.value, f"no schema matched ({why})", self.log_type)

    __call__ = parse


def parsers_for_source(config, source, schemas: dict[str, Schema] | None = None, *,
                       edited: Schema | None = None) -> Callable[[Record], dict | ParseError | None]:
    """A function parsing any record of `source`: the record's key prefix picks its log types.

    With `schemas` given, those schemas are tried (in order) for every record instead of the prefix
    mapping, which is how a freshly inferred schema is tried on a prefix.

    With `edited` given (the schema open in an editor), the prefix mapping still routes every record, but
    `edited` stands in for the saved schema of its name, and parses the records whose prefix maps to no log
    type (the prefix the user is onboarding).
    """
    from workbench.schema import load_schema_dir

    if schemas is not None:
        classifier = Classifier(compile_parser(s) for s in schemas.values())
        return classifier.parse
    available = load_schema_dir(config.schema_dirs) if config.schema_dirs else {}
    unmapped = None
    if edited is not None:
        if edited.name:
            available = {**available, edited.name: edited}
        unmapped = compile_parser(edited)
    cache: dict[tuple[str, ...], Classifier | str] = {}
    compiled: dict[str, Parser] = {}

    def for_types(types: tuple[str, ...]) -> Classifier | str:
        got = cache.get(types)
        if got is None:
            missing = [t for t in types if t not in available]
            if not types:
                got = "no log type is mapped to this key's prefix in the source config"
            elif missing:
                got = (f"no schema named {', '.join(missing)} "
                       f"in {', '.join(map(str, config.schema_dirs)) or 'the schema directories'}")
            else:
                for t in types:
                    if t not in compiled:
                        compiled[t] = compile_parser(available[t])
                got = Classifier(compiled[t] for t in types)
            cache[types] = got
        return got

    def parse(record: Record) -> dict | ParseError | None:
        types = source.log_types_for(record.key)
        if not types and unmapped is not None:
            return unmapped.parse(record)
        c = for_types(types)
        if isinstance(c, str):
            if not record.text.strip():
                return None
            return ParseError(record.key, record.line, "", _short(record.text), c, "|".join(types))
        return c.parse(record)

    return parse
