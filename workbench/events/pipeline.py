"""decode → parse for whole objects: the path `workbench parse`, live mode and replay share.

`events_from_object` turns one object's bytes into events and ParseErrors; `iter_events` does that for
every object under a source's prefix (listed, fetched concurrently, decoded). Objects that cannot be
fetched or decoded come back as ParseErrors with field "" so they are counted, never raised.

Both take an `ObjectOutcomes` (workbench/events/outcomes.py) and record in it how every object decoded
(incomplete, empty, binary, …) and whether its event times are believable: the one accounting `parse`,
`rules run`, `tail`, `replay`, `infer` and the screens report.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from workbench.config import Config, PrefixMapping, Source
from workbench.events.outcomes import ObjectOutcomes
from workbench.model import FetchFailure, ObjectRef, Record
from workbench.parse import ParseError, parsers_for_source
from workbench.schema import Schema
from workbench.source.decode import decode_object

Parse = Callable[[Record], "dict | ParseError | None"]


def _object_error(ref: ObjectRef, message: str) -> ParseError:
    return ParseError(ref.key, 0, "", "", message, "")


def parse_records(parse: Parse, records: list[Record]) -> list[dict | ParseError]:
    """Parse records, dropping skipped lines (blank lines, CSV headers)."""
    out = []
    for r in records:
        got = parse(r)
        if got is not None:
            out.append(got)
    return out


@dataclass
class ParsedRecords:
    """What parsing a list of records gave: events, parse errors, and lines skipped (blank, CSV header)."""

    events: list[dict] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    skipped: int = 0
    cancelled: bool = False  # stopped early: the lists hold what was parsed so far


def parse_record_list(parse: Parse, records: list[Record], *, cancelled: Callable[[], bool] | None = None,
                      progress: Callable[[int, int], object] | None = None, every: int = 2000) -> ParsedRecords:
    """Parse every record into events / errors / skipped — the one loop the screens' "parse" actions call.

    `cancelled()` is checked and `progress(done, total)` called every `every` records."""
    out = ParsedRecords()
    events, errors = out.events, out.errors
    total = len(records)
    for n, record in enumerate(records, 1):
        got = parse(record)
        if got is None:
            out.skipped += 1
        elif isinstance(got, ParseError):
            errors.append(got)
        else:
            events.append(got)
        if n % every == 0:
            if cancelled is not None and cancelled():
                out.cancelled = True
                return out
            if progress is not None:
                progress(n, total)
    return out


_PARSERS: dict[tuple[int, int, int], tuple[Config, Source, dict | None, Parse]] = {}
_PARSERS_MAX = 8


def cached_parser(config: Config, source: Source, schemas: dict[str, Schema] | None = None) -> Parse:
    """`parsers_for_source`, compiled once per (config, source, schemas) objects and reused.

    Live mode and replay call `events_from_object` once per object; schema files must not be re-read and
    re-compiled each time. Keyed by identity (the objects are kept alive by the cache, so ids stay valid).
    """
    key = (id(config), id(source), id(schemas))
    hit = _PARSERS.get(key)
    if hit is not None and hit[0] is config and hit[1] is source and hit[2] is schemas:
        return hit[3]
    parse = parsers_for_source(config, source, schemas)
    if len(_PARSERS) >= _PARSERS_MAX:
        _PARSERS.pop(next(iter(_PARSERS)))
    _PARSERS[key] = (config, source, schemas, parse)
    return parse


def events_from_object(config: Config, source: Source, ref: ObjectRef, data: bytes,
                       schemas: dict[str, Schema] | None = None, *, parse: Parse | None = None,
                       outcomes: ObjectOutcomes | None = None) -> list[dict | ParseError]:
    """Decode one object and parse every record (routing by key prefix unless `schemas` is given).

    Parsers are compiled once per (config, source, schemas) and cached; pass `parse` to use your own.
    With `outcomes`, how the object decoded and its event-time sanity are recorded there.
    """
    parse = parse or cached_parser(config, source, schemas)
    decoded = decode_object(data, ref, stream=source.stream or "auto")
    if outcomes is not None:
        outcomes.add_decoded(ref.key, decoded)
    if decoded.error:
        return [_object_error(ref, f"cannot decode {ref.uri}: {decoded.error}")]
    got = parse_records(parse, decoded.records)
    if outcomes is not None:
        outcomes.check_times(ref.key, [e for e in got if type(e) is dict])
    return got


def iter_events(config: Config, source: Source, prefix: str | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int | None = None,
                progress: Callable[..., None] | None = None, cancel: threading.Event | None = None,
                schemas: dict[str, Schema] | None = None, *, aws=None,
                counts: dict | None = None, outcomes: ObjectOutcomes | None = None,
                warn: Callable[[str], None] | None = None) -> Iterator[dict | ParseError]:
    """Events (and ParseErrors) for every object under `prefix` in [since, until), objects in completion order.

    `limit` caps the number of objects. `progress(done_objects, total_objects)` is called as objects finish.
    `counts`, if given, is filled with objects / events / errors / failures as the run goes; `outcomes`
    with how each object decoded (see `ObjectOutcomes`).

    Without `schemas`, objects the source config cannot parse (under no mapped prefix, or mapped to a log
    type with no schema) are not fetched: they are counted per prefix in `outcomes.skipped`, and `warn` is
    called once per unmapped folder right after listing (a missing schema is `check_mapping`'s to report).
    """
    from workbench.aws import AwsSession
    from workbench.source.s3 import list_objects
    from workbench.source.sampling import iter_decoded

    aws = aws or AwsSession(source)
    parse = parsers_for_source(config, source, schemas)
    refs = []
    for ref in list_objects(aws, source, prefix=prefix, since=since, until=until):
        if cancel is not None and cancel.is_set():
            return
        refs.append(ref)
        if limit is not None and len(refs) >= limit:
            break
    counts = counts if counts is not None else {}
    for k in ("objects", "events", "errors", "failures"):
        counts.setdefault(k, 0)
    outcomes = outcomes if outcomes is not None else ObjectOutcomes()
    if schemas is None:
        refs = _skip_unparseable(config, source, refs, outcomes, warn)
    total = len(refs)
    for done, (ref, got, _n) in enumerate(iter_decoded(aws, refs, stream=source.stream or "auto", cancel=cancel), 1):
        counts["objects"] = done
        if isinstance(got, FetchFailure):
            counts["failures"] += 1
            outcomes.add_unreadable(ref.key, got.message)
            yield _object_error(ref, got.message)
        else:
            outcomes.add_decoded(ref.key, got)
            items = parse_records(parse, got.records)
            outcomes.check_times(ref.key, [e for e in items if type(e) is dict])
            for item in items:
                if type(item) is dict:
                    counts["events"] += 1
                else:
                    counts["errors"] += 1
                yield item
        if progress is not None:
            progress(done, total)
        if cancel is not None and cancel.is_set():
            return


def _skip_unparseable(config: Config, source: Source, refs: list[ObjectRef], outcomes: ObjectOutcomes,
                      warn: Callable[[str], None] | None) -> list[ObjectRef]:
    """The refs the source config can parse; the rest counted once per prefix (not once per line)."""
    from workbench.events.config_check import (
        available_log_types,
        mapped_prefix,
        top_folder,
        unmapped_problems,
        unusable_log_types,
    )

    unusable = unusable_log_types(source, available_log_types(config))
    keep: list[ObjectRef] = []
    unmapped: dict[str, int] = {}
    for ref in refs:
        types = source.log_types_for(ref.key)
        if not types:
            folder = top_folder(ref.key)
            unmapped[folder] = unmapped.get(folder, 0) + 1
            continue
        prefix = mapped_prefix(source, ref.key)
        if prefix in unusable:
            outcomes.add_skipped(prefix, unusable[prefix])
            continue
        keep.append(ref)
    for p in unmapped_problems(unmapped):
        outcomes.add_skipped(p.prefix, "under no mapped prefix", unmapped[p.prefix])
        if warn is not None:
            warn(p.line())
    return keep


def sample_time_warnings(config: Config, source: Source, records_by_key: dict[str, list[Record]],
                         outcomes: ObjectOutcomes) -> None:
    """Parse a sample's records with the source's mapping and flag objects whose event times look wrong
    (what `sample` and the Events screen show; records of unmapped prefixes are left alone)."""
    from workbench.events.config_check import available_log_types, unusable_log_types

    if not config.schema_dirs:
        return
    unusable = unusable_log_types(source, available_log_types(config))
    parse = cached_parser(config, source)
    for key, records in records_by_key.items():
        types = source.log_types_for(key)
        if not types or any(key.startswith(p) for p in unusable):
            continue
        outcomes.check_times(key, [e for e in parse_records(parse, records) if type(e) is dict])


def iter_object_batches(config: Config, source: Source, prefix: str | None = None, since: datetime | None = None,
                        until: datetime | None = None, limit: int | None = None,
                        cancel: threading.Event | None = None, *, aws=None,
                        counts: dict | None = None, outcomes: ObjectOutcomes | None = None,
                        warn: Callable[[str], None] | None = None,
                        ) -> Iterator[tuple[ObjectRef, list[Record] | FetchFailure]]:
    """(ref, decoded records | FetchFailure) per object under `prefix` in [since, until), not parsed: for a
    consumer that parses elsewhere (the rule worker, in `rules run`). `counts` gets objects / failures;
    `outcomes` how each object decoded, and the objects the source config cannot parse (as `iter_events`:
    counted per prefix, not fetched; `warn` once per unmapped folder)."""
    from workbench.aws import AwsSession
    from workbench.source.s3 import list_objects
    from workbench.source.sampling import iter_decoded

    aws = aws or AwsSession(source)
    refs = []
    for ref in list_objects(aws, source, prefix=prefix, since=since, until=until):
        refs.append(ref)
        if limit is not None and len(refs) >= limit:
            break
    outcomes = outcomes if outcomes is not None else ObjectOutcomes()
    refs = _skip_unparseable(config, source, refs, outcomes, warn)
    counts = counts if counts is not None else {}
    counts.setdefault("objects", 0)
    counts.setdefault("failures", 0)
    counts["total"] = len(refs)
    for done, (ref, got, _n) in enumerate(iter_decoded(aws, refs, stream=source.stream or "auto", cancel=cancel), 1):
        counts["objects"] = done
        if isinstance(got, FetchFailure):
            counts["failures"] += 1
            outcomes.add_unreadable(ref.key, got.message)
            yield ref, got
        else:
            outcomes.add_decoded(ref.key, got)
            yield ref, got.records


def worker_parser(config: Config, source: Source) -> tuple[str, str, dict]:
    """What `RuleEngine.run_objects` needs to build `source`'s parsers inside the rule worker: the same
    schemas and prefix mapping as `parsers_for_source(config, source)` here."""
    args = {"schema_dirs": [str(d) for d in config.schema_dirs],
            "source": {"name": source.name, "bucket": source.bucket, "stream": source.stream,
                       "prefixes": [[m.prefix, list(m.log_types)] for m in source.prefixes]}}
    return f"{id(config)}:{id(source)}:{source.name}", f"{__name__}:parsers_from_args", args


def parsers_from_args(schema_dirs: list[str], source: dict) -> Parse:
    """`worker_parser`'s factory, run in the rule worker."""
    from pathlib import Path

    src = Source(source["name"], source["bucket"], stream=source.get("stream") or "auto",
                 prefixes=tuple(PrefixMapping(p, tuple(t)) for p, t in source["prefixes"]))
    config = Config(None, {src.name: src}, schema_dirs=tuple(Path(d) for d in schema_dirs))
    return parsers_for_source(config, src)
