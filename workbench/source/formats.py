"""Say what each group of objects is: a format users would search for, a confidence, and a one-line reason.

Objects are grouped by key pattern (`workbench.source.partitions.key_pattern`: dates, accounts and regions become
placeholders). Each record of a group is tried against the content signatures of Panther's managed log
types first (`workbench.source.signatures`: JSON keys and values per type, a line layout per text type), then the
generic formats: JSON, key=value (logfmt), CSV/TSV (decided over the whole group: one delimiter, one column
count, a shared header), and finally unknown text (`workbench.source.record_labels`). A prefix whose records
split between formats yields one `Detection` per format, each a candidate log type; its name, reason and
parser suggestion come from `workbench.source.format_reasons`.

Every detection suggests a Panther parser (JSON, csv, fastmatch, regex) and, when the tool can load it, the
managed schema (`available`: by default the schemas shipped in schemas/); a recognised type whose schema is
not loadable is named, with no schema suggested. Detection reads records only; it never touches AWS.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypedDict

from workbench.model import Record
from workbench.source.format_reasons import FORMATS, Described, describe, key_summary, suggestion
from workbench.source.partitions import key_pattern
from workbench.source.record_labels import Labelled, classify_text, label_group
from workbench.source.record_labels import label_records as label_records
from workbench.source.signatures import PARSER_PATTERNS, is_metadata_line, shipped_log_types
from workbench.wording import plural

MAX_RECORDS_PER_GROUP = 500  # enough to be sure, cheap enough to run on every sample


@dataclass(frozen=True, slots=True)
class Detection:
    """What one group of objects holds. `format` is the name users search for (e.g. "S3 server access log")."""

    pattern: str  # key pattern of the group, e.g. "AWSLogs/{account}/CloudTrail/{region}/{yyyy}/{mm}/{dd}/*.json.gz"
    format: str
    format_id: str  # stable id: cloudtrail, s3_access, json, csv, …
    confidence: float  # 0..1
    reason: str  # one line, for humans
    parser: str  # suggested Panther parser: JSON, csv, fastmatch, regex
    managed_schema: str | None  # a Panther-managed log type that fits, if any
    objects: int
    records: int
    parser_config: dict | None = None  # the Panther `parser:` value to start a custom schema from
    stream: str | None = None  # Panther stream type to configure: Lines, JsonArray, JSON, CloudWatchLogs
    envelope: str | None = None  # e.g. "Records"
    compression: tuple[str, ...] = ()
    flags: dict = field(default_factory=dict)  # flag -> number of objects carrying it (hostile input)
    log_types: tuple[str, ...] = ()  # what the source config maps this prefix to
    examples: tuple[str, ...] = ()  # a few keys of the group
    discriminator: dict | None = None  # e.g. {"event_type": "auth"} when one prefix holds several JSON shapes
    alternatives: tuple[str, ...] = ()  # other loadable managed schemas whose records look the same

    def to_json(self) -> dict:
        return {
            "prefix_pattern": self.pattern,
            "format": self.format,
            "format_id": self.format_id,
            "confidence": self.confidence,
            "reason": self.reason,
            "parser": self.parser,
            "parser_config": self.parser_config,
            "managed_schema": self.managed_schema,
            "stream": self.stream,
            "envelope": self.envelope,
            "compression": list(self.compression),
            "counts": {"objects": self.objects, "records": self.records},
            "flags": dict(self.flags),
            "configured_log_types": list(self.log_types),
            "examples": list(self.examples),
            "discriminator": self.discriminator,
            "alternative_schemas": list(self.alternatives),
        }


def _spread_records(records: list[Record], limit: int) -> list[Record]:
    """Up to `limit` records taken round-robin across objects, so one big object does not decide alone."""
    if len(records) <= limit:
        return records
    by_key: dict[str, list[Record]] = {}
    for r in records:
        by_key.setdefault(r.key, []).append(r)
    out: list[Record] = []
    i = 0
    lists = list(by_key.values())
    while len(out) < limit:
        added = False
        for lst in lists:
            if i < len(lst):
                out.append(lst[i])
                added = True
                if len(out) >= limit:
                    break
        if not added:
            break
        i += 1
    return out


@dataclass
class _Group:
    pattern: str
    keys: set[str] = field(default_factory=set)
    records: list[Record] = field(default_factory=list)
    streams: Counter = field(default_factory=Counter)
    envelopes: Counter = field(default_factory=Counter)
    compression: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)


def _groups(records_or_sample) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    summaries = getattr(records_or_sample, "summaries", None) or {}
    records: Iterable[Record] = getattr(records_or_sample, "records", records_or_sample)
    for key, s in summaries.items():
        g = groups.setdefault(key_pattern(key), _Group(key_pattern(key)))
        g.keys.add(key)
        g.streams[s.stream] += 1
        if s.envelope:
            g.envelopes[s.envelope] += 1
        if s.stream != "empty":
            g.compression[s.compression] += 1
        for f in s.flags:
            g.flags[f] += 1
    for r in records:
        pat = key_pattern(r.key)
        group = groups.get(pat)
        if group is None:
            group = groups[pat] = _Group(pat)
        group.keys.add(r.key)
        group.records.append(r)
    return groups


def _stream_hint(g: _Group) -> tuple[str, str | None]:
    """(Panther stream type, envelope key) from how the group's objects decoded."""
    stream = g.streams.most_common(1)[0][0] if g.streams else "lines"
    envelope = g.envelopes.most_common(1)[0][0] if g.envelopes else None
    if stream == "json_array":
        return "JsonArray", envelope
    if stream == "cloudwatch_logs":
        return "CloudWatchLogs", None
    if stream == "json":
        return "JSON", None
    return ("Parquet", None) if stream == "parquet" else ("Lines", None)


class _GroupFacts(TypedDict):
    """The Detection fields every format found in one group shares."""

    pattern: str
    compression: tuple[str, ...]
    flags: dict
    log_types: tuple[str, ...]
    examples: tuple[str, ...]
    stream: str
    envelope: str | None


def _detect_group(g: _Group, source, max_records: int, available: frozenset[str]) -> list[Detection]:
    lab = label_group(_spread_records([r for r in g.records if r.text.strip() and not is_metadata_line(r.text)], max_records))
    stream, envelope = _stream_hint(g)
    counts = Counter(lab.labels)
    total = len(lab.labels)
    log_types = source.log_types_for(min(g.keys)) if source is not None and g.keys else ()
    base = _GroupFacts(pattern=g.pattern, compression=tuple(sorted(g.compression)), flags=dict(g.flags),
                       log_types=tuple(log_types), examples=tuple(sorted(g.keys)[:3]), stream=stream,
                       envelope=envelope)
    if not total and g.streams.get("binary"):
        # binary content is never split into "lines" (decode.looks_binary): say so instead of "unknown text"
        return [Detection(format="binary data", format_id="binary", confidence=0.9, parser="", managed_schema=None,
                          reason=f"{plural(g.streams['binary'], 'object')} hold binary data, not text or a known "
                                 "compression of text; Panther cannot parse it as logs", objects=len(g.keys),
                          records=0, **base)]
    if not total:
        return [Detection(format="empty", format_id="empty", confidence=0.0, parser="JSON", managed_schema=None,
                          reason=f"{plural(len(g.keys), 'object')} held no records", objects=len(g.keys), records=0,
                          **base)]
    out = []
    main = counts.most_common(1)[0][0]
    for fmt, n in counts.most_common():
        if fmt != main and (n < 3 or n < 0.1 * total):
            continue  # a few stray lines (a hostile record, a footer) are not a log type of their own
        idx = [i for i, label in enumerate(lab.labels) if label == fmt]
        d = describe(fmt, idx, lab, stream, envelope)
        if len(counts) > 1:
            d.reason += f" (mixed prefix: {', '.join(f'{FORMATS[k][0]} {v}' for k, v in counts.most_common())})"
        records = len(g.records) if fmt == main else round(len(g.records) * len(idx) / total)
        objects = len(g.keys) if fmt == main else len({lab.recs[i].key for i in idx})
        field_name = _discriminator([v for i in idx if isinstance(v := lab.values[i], dict)]) if fmt == "json" else None
        if field_name is None:
            schema, others, note = suggestion(fmt, available)
            out.append(Detection(format=d.name, format_id=fmt, confidence=round(max(0.0, min(1.0, d.weight * n / total)), 2),
                                 reason=d.reason + note, parser=d.parser, managed_schema=schema, objects=objects,
                                 records=records, parser_config=d.parser_config, alternatives=others, **base))
        else:
            out += _split_shapes(lab, idx, field_name, d, records, base)
    return out


def _split_shapes(lab: Labelled, idx: list[int], field_name: str, d: Described, records: int,
                  base: _GroupFacts) -> list[Detection]:
    """One prefix, several JSON shapes told apart by `field_name`: one candidate log type per value."""
    total = len(lab.labels)
    shapes: dict[str, list[int]] = {}
    for i in idx:
        v = parsed.get(field_name) if isinstance(parsed := lab.values[i], dict) else None
        shapes.setdefault(v if isinstance(v, str) else "(missing)", []).append(i)
    out = []
    for value, members in sorted(shapes.items(), key=lambda kv: -len(kv[1])):
        stable, always, every = key_summary([v for i in members if isinstance(v := lab.values[i], dict)])
        keys_text = (f"a stable key set ({always} keys)" if stable
                     else f"a varying key set ({always} keys in every record, {every} in all)")
        share = len(members) / total
        out.append(Detection(
            format=d.name, format_id="json", confidence=round(d.weight * share / max(share, 0.5), 2),
            reason=(f"{len(members):,} of {plural(total, 'sampled record')} have {field_name}={value!r} and "
                    f"{keys_text}; the prefix holds {len(shapes)} JSON shapes told apart by {field_name}"),
            parser=d.parser, managed_schema=None, objects=len({lab.recs[i].key for i in members}),
            records=round(records * len(members) / len(idx)), discriminator={field_name: value}, **base))
    return out


_DISCRIMINATOR_HINT = re.compile(r"type|kind|category|event|action|source|class", re.I)


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _discriminator(dicts: list[dict]) -> str | None:
    """A top-level string field whose values split the records into clearly different shapes (e.g.
    ``event_type``: auth / file_access), or None when the records share one shape."""
    n = len(dicts)
    if n < 6:
        return None
    present: Counter[str] = Counter()
    for d in dicts:
        present.update(k for k, v in d.items() if isinstance(v, str) and 0 < len(v) <= 64)
    best: tuple[tuple, str] | None = None
    for name, count in present.items():
        if count < 0.9 * n:
            continue
        groups: dict[str, list[dict]] = {}
        for d in dicts:
            v = d.get(name)
            if isinstance(v, str):
                groups.setdefault(v, []).append(d)
        if not 2 <= len(groups) <= 12 or min(len(m) for m in groups.values()) < 2:
            continue
        cores = [set.intersection(*(set(d) for d in members)) for members in groups.values()]
        closest = max(_jaccard(a, b) for i, a in enumerate(cores) for b in cores[i + 1:])
        if closest >= 0.7:
            continue  # some values share a shape: not what tells log types apart
        score = (not _DISCRIMINATOR_HINT.search(name), closest, len(groups))
        if best is None or score < best[0]:
            best = (score, name)
    return best[1] if best else None


def detect_groups(records_or_sample, *, source=None, max_records: int = MAX_RECORDS_PER_GROUP,
                  available: Iterable[str] | None = None) -> list[Detection]:
    """Detect the format of every key-pattern group in a `SampleResult` (or any iterable of `Record`s).

    With `source`, each detection also names the log types the config maps that prefix to. A managed schema
    is suggested only when its log type is in `available` (default: the schemas shipped in schemas/).
    Groups come back sorted by pattern; a mixed group gives one detection per format it holds.
    """
    loadable = shipped_log_types() if available is None else frozenset(available)
    out: list[Detection] = []
    for pattern, g in sorted(_groups(records_or_sample).items()):
        del pattern
        out.extend(_detect_group(g, source, max_records, loadable))
    return out


def recognised_layout(texts: list[str], *, min_share: float = 0.8) -> tuple[str, str | None, dict] | None:
    """(format id, managed schema, Panther parser config) when most lines are one known text format.

    For inference: a layout detection recognises (syslog, Apache/nginx access, S3 access, ALB, VPC flow) is
    used as is rather than guessed again.
    """
    if not texts:
        return None
    labels = Counter(classify_text(t)[0] for t in texts)
    fmt, n = labels.most_common(1)[0]
    if fmt is None or n < min_share * len(texts):
        return None
    if fmt in PARSER_PATTERNS:
        parser = FORMATS[fmt][2]
        return fmt, FORMATS[fmt][1], {"regex" if parser == "regex" else "fastmatch": {"match": [PARSER_PATTERNS[fmt]]}}
    if fmt == "vpc_flow":
        return fmt, FORMATS[fmt][1], {"csv": {"delimiter": " ", "hasHeader": True}}
    return None
