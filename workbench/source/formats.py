"""Say what each group of objects is: a format users would search for, a confidence, and a one-line reason.

Objects are grouped by key pattern (`workbench.source.partitions.key_pattern`: dates, accounts and regions become
placeholders). Each record of a group is tried against the content signatures of Panther's managed log
types first (`workbench.source.signatures`: JSON keys and values per type, a line layout per text type), then the
generic formats: JSON, key=value (logfmt), CSV/TSV (decided over the whole group: one delimiter, one column
count, a shared header), and finally unknown text. A prefix whose records split between formats yields one
`Detection` per format, each a candidate log type.

Every detection suggests a Panther parser (JSON, csv, fastmatch, regex) and, when the tool can load it, the
managed schema (`available`: by default the schemas shipped in schemas/); a recognised type whose schema is
not loadable is named, with no schema suggested. Detection reads records only; it never touches AWS.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from workbench.model import Record
from workbench.source.partitions import key_pattern
from workbench.source.signatures import (
    BY_FORMAT_ID,
    PARSER_PATTERNS,
    SIGNATURES,
    is_metadata_line,
    is_vpc_header,
    match_json,
    match_text,
    shipped_log_types,
)

MAX_RECORDS_PER_GROUP = 500  # enough to be sure, cheap enough to run on every sample

# name shown to users, managed schema, Panther parser, base confidence: the generic formats, then one entry
# per managed-type signature (format ids such as cloudtrail, s3_access, okta_systemlog)
FORMATS: dict[str, tuple[str, str | None, str, float]] = {
    "json": ("JSON lines", None, "JSON", 0.95),
    "logfmt": ("logfmt / key=value", None, "fastmatch", 0.8),
    "csv": ("CSV", None, "csv", 0.9),
    "tsv": ("TSV", None, "csv", 0.9),
    "text": ("unknown text", None, "regex", 0.3),
}
FORMATS.update({s.format_id: (s.title, s.log_type if s.managed_reads else None, s.parser, s.confidence)
                for s in SIGNATURES})

_KV = re.compile(r"(?:^|(?<=\s))([A-Za-z_@][\w.\-/@]*)=(\"(?:[^\"\\]|\\.)*\"|\S*)")
_IDENT = re.compile(r"^[A-Za-z_][\w .\-/()#]*$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


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


# ---------------------------------------------------------------------------------------------------------
# per-record fingerprints


def _classify(text: str) -> tuple[str | None, object]:
    """(format id or None, parsed JSON value or None). None means: decide at group level (CSV) or text."""
    s = text.lstrip()
    if s[:1] in ("{", "["):
        try:
            value = orjson.loads(s)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            sig = match_json(value)
            return (sig.format_id if sig else "json"), value
        if value is not None:
            return "json", value
    sig = match_text(s)
    if sig is not None:
        return sig.format_id, None
    if is_vpc_header(s):
        return "vpc_flow", None
    if _is_logfmt(s):
        return "logfmt", None
    return None, None


def _is_logfmt(s: str) -> bool:
    pairs = _KV.findall(s)
    if len(pairs) < 3:
        return False
    covered = sum(len(k) + 1 + len(v) for k, v in pairs)
    return covered >= 0.7 * len(s.replace(" ", ""))


# ---------------------------------------------------------------------------------------------------------
# group-level checks


def _csv_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    return list(csv.reader(lines, delimiter=delimiter))


def _best_delimiter(lines: list[str]) -> tuple[str, int, float] | None:
    """(delimiter, columns, share of lines with that column count) for the most consistent candidate."""
    best = None
    for d in (",", "\t", ";", "|"):
        if not any(d in ln for ln in lines[:20]):
            continue
        try:
            rows = _csv_rows(lines, d)
        except csv.Error:
            continue
        counts = Counter(len(r) for r in rows)
        cols, n = counts.most_common(1)[0]
        share = n / len(rows)
        if cols >= 2 and share >= 0.9 and (best is None or (share, cols) > (best[2], best[1])):
            best = (d, cols, share)
    return best


def _header(first_rows: list[list[str]], body_rows: list[list[str]]) -> list[str] | None:
    """The header row, when each object starts with the same identifier-like row that data rows don't repeat."""
    if not first_rows:
        return None
    head = first_rows[0]
    if any(r != head for r in first_rows):
        return None
    if not all(c and _IDENT.match(c) and not _NUMBER.match(c) for c in head) or len(set(head)) != len(head):
        return None
    if any(r == head for r in body_rows):
        return None
    if len(first_rows) == 1 and body_rows:
        # one object: the header must look unlike the data (data has numbers, header has none)
        numeric = sum(any(_NUMBER.match(c) for c in r) for r in body_rows)
        if numeric < 0.5 * len(body_rows):
            return None
    return head


def _key_summary(values: list[dict]) -> tuple[bool, int, int]:
    """(stable, keys in every record, keys in all) over top-level keys of JSON objects."""
    counts: Counter[str] = Counter()
    for v in values:
        counts.update(v.keys())
    n = len(values)
    always = sum(1 for c in counts.values() if c == n)
    return always == len(counts), always, len(counts)


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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _share_text(n: int, total: int, noun: str) -> str:
    noun = f"sampled {noun}"
    return f"all {_plural(total, noun)}" if n == total else f"{n} of {_plural(total, noun)}"


def _logfmt_pattern(texts: list[str]) -> str | None:
    orders = Counter(tuple(k for k, _ in _KV.findall(t)) for t in texts)
    keys, n = orders.most_common(1)[0]
    if n < 0.8 * len(texts):
        return None
    sample = dict(_KV.findall(texts[0]))
    return " ".join(f'{k}="%{{{k}}}"' if sample.get(k, "").startswith('"') else f"{k}=%{{{k}}}" for k in keys)


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
        g = groups.get(pat)
        if g is None:
            g = groups[pat] = _Group(pat)
        g.keys.add(r.key)
        g.records.append(r)
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


@dataclass
class _Labelled:
    """The records examined for one group, each with its format id and parsed JSON value (if any)."""

    recs: list[Record]
    labels: list[str]
    values: list[object]
    csv: tuple[str, int, list[str] | None] | None = None  # delimiter, columns, header


def _vpc_custom_rows(recs: list[Record], labels: list[str | None]) -> None:
    """A VPC flow log in a custom format is known by its header line: the rows of that object with as many
    space-separated values as the header names are flow records too (no fixed layout says so line by line)."""
    columns = {r.key: len(r.text.split()) for r in recs if r.line == 1 and is_vpc_header(r.text)}
    if columns:
        for i, r in enumerate(recs):
            if labels[i] in (None, "logfmt") and len(r.text.split()) == columns.get(r.key, -1):
                labels[i] = "vpc_flow"


def label_records(records: list[Record]) -> list[str]:
    """The format id of every record, decided as `detect` decides it over these records as one group."""
    return _label(records).labels


def _label(recs: list[Record]) -> _Labelled:
    """Fingerprint every record; CSV/TSV is then decided over the unlabelled lines of the whole group."""
    labels: list[str | None] = []
    values: list[object] = []
    for r in recs:
        label, value = _classify(r.text)
        labels.append(label)
        values.append(value)
    _vpc_custom_rows(recs, labels)
    csv_info = None
    loose = [r for r, lab in zip(recs, labels, strict=True) if lab is None]
    found = _best_delimiter([r.text for r in loose]) if loose else None
    if found:
        delim, cols, _share = found
        rows = _csv_rows([r.text for r in loose], delim)
        firsts = [row for r, row in zip(loose, rows, strict=True) if r.line == 1]
        body = [row for r, row in zip(loose, rows, strict=True) if r.line != 1]
        csv_info = (delim, cols, _header(firsts, body))
        label = "tsv" if delim == "\t" else "csv"
        labels = [label if (lab is None and len(row) == cols) else lab
                  for lab, row in zip(labels, _rows_for(labels, rows), strict=True)]
    return _Labelled(recs, [lab or "text" for lab in labels], values, csv_info)


@dataclass
class _Described:
    name: str
    reason: str
    parser: str
    parser_config: dict | None
    weight: float


def _describe(fmt: str, idx: list[int], lab: _Labelled, stream: str, envelope: str | None) -> _Described:
    """Name, reason and parser suggestion for the records `idx` of one format in a group."""
    name, _schema, parser, weight = FORMATS[fmt]
    total = len(lab.labels)
    share = _share_text(len(idx), total, "line" if stream == "Lines" else "record")
    parser_config = None
    sig = BY_FORMAT_ID.get(fmt)
    if sig is not None and sig.is_json:
        reason = sig.reason(len(idx), total)
        if envelope:
            reason += f' inside a {{"{envelope}": [...]}} envelope'
    elif fmt == "json":
        dicts = [lab.values[i] for i in idx if isinstance(lab.values[i], dict)]
        name = {"JsonArray": "JSON with envelope" if envelope else "JSON array",
                "JSON": "JSON (multi-line values)", "CloudWatchLogs": "JSON in CloudWatch Logs",
                "Parquet": "Parquet"}.get(stream, name)
        what = "parse as JSON objects" if len(dicts) == len(idx) else "parse as JSON values"
        if dicts:
            stable, always, every = _key_summary(dicts)
            what += (f" with a stable key set ({always} keys)" if stable
                     else f" with a varying key set ({always} keys in every record, {every} in all)")
            weight -= 0 if stable else 0.05
        if envelope:
            what += f' inside a {{"{envelope}": [...]}} envelope'
        reason = f"{share} {what}"
    elif fmt in ("csv", "tsv") and lab.csv:
        delim, cols, header = lab.csv
        shown = {",": "','", "\t": "tab", ";": "';'", "|": "'|'"}[delim]
        reason = f"{_share_text(len(idx), total, 'line')} split on {shown} into {cols} columns"
        if header:
            preview = ", ".join(header[:4]) + (", …" if len(header) > 4 else "")
            reason += f"; each object starts with the header ({preview})"
            parser_config = {"csv": {"delimiter": delim, "hasHeader": True}}
        else:
            reason += "; no header row"
            weight -= 0.15
            parser_config = {"csv": {"delimiter": delim, "columns": [f"col{i + 1}" for i in range(cols)]}}
    elif fmt == "text":
        reason = f"{_share_text(len(idx), total, 'line')} match no known format (free text)"
    elif fmt == "logfmt":
        texts = [lab.recs[i].text for i in idx]
        keys = Counter(k for t in texts[:50] for k, _ in _KV.findall(t))
        reason = (f"{_share_text(len(idx), total, 'line')} are key=value pairs "
                  f"({', '.join(k + '=' for k, _ in keys.most_common(4))})")
        pattern = _logfmt_pattern(texts)
        parser = "fastmatch" if pattern else "regex"
        parser_config = {"fastmatch": {"match": [pattern]}} if pattern else None
    elif sig is not None:
        reason = sig.reason(len(idx), total)
        if fmt == "vpc_flow":
            parser_config = {"csv": {"delimiter": " ", "hasHeader": True}}
        elif fmt in PARSER_PATTERNS:
            parser_config = {"regex" if parser == "regex" else "fastmatch": {"match": [PARSER_PATTERNS[fmt]]}}
    if stream == "CloudWatchLogs" and fmt != "json":
        reason += ", unwrapped from CloudWatch Logs subscription payloads"
    return _Described(name, reason, parser, parser_config, weight)


def _suggestion(fmt: str, available: frozenset[str]) -> tuple[str | None, tuple[str, ...], str]:
    """(managed schema to suggest, other loadable types with the same layout, a note for the reason)."""
    sig = BY_FORMAT_ID.get(fmt)
    if sig is None:
        return None, (), ""
    if not sig.managed_reads:
        return None, (), f"; Panther's managed {sig.log_type} parser does not read this variant: infer a custom schema"
    others = tuple(t for t in sig.same_layout if t in available)
    if sig.log_type in available:
        note = f"; same layout as {', '.join(others)}: pick by where the logs come from" if others else ""
        return sig.log_type, others, note
    if others:
        return others[0], others[1:], f"; {sig.log_type} is not loadable here, {others[0]} has the same layout"
    return None, (), f"; Panther's managed {sig.log_type} schema is not loadable here: infer a custom schema"


def _detect_group(g: _Group, source, max_records: int, available: frozenset[str]) -> list[Detection]:
    lab = _label(_spread_records([r for r in g.records if r.text.strip() and not is_metadata_line(r.text)], max_records))
    stream, envelope = _stream_hint(g)
    counts = Counter(lab.labels)
    total = len(lab.labels)
    log_types = source.log_types_for(min(g.keys)) if source is not None and g.keys else ()
    base = dict(pattern=g.pattern, compression=tuple(sorted(g.compression)), flags=dict(g.flags),
                log_types=tuple(log_types), examples=tuple(sorted(g.keys)[:3]), stream=stream, envelope=envelope)
    if not total and g.streams.get("binary"):
        # binary content is never split into "lines" (decode.looks_binary): say so instead of "unknown text"
        return [Detection(format="binary data", format_id="binary", confidence=0.9, parser="", managed_schema=None,
                          reason=f"{_plural(g.streams['binary'], 'object')} hold binary data, not text or a known "
                                 "compression of text; Panther cannot parse it as logs", objects=len(g.keys),
                          records=0, **base)]
    if not total:
        return [Detection(format="empty", format_id="empty", confidence=0.0, parser="JSON", managed_schema=None,
                          reason=f"{_plural(len(g.keys), 'object')} held no records", objects=len(g.keys), records=0,
                          **base)]
    out = []
    main = counts.most_common(1)[0][0]
    for fmt, n in counts.most_common():
        if fmt != main and (n < 3 or n < 0.1 * total):
            continue  # a few stray lines (a hostile record, a footer) are not a log type of their own
        idx = [i for i, label in enumerate(lab.labels) if label == fmt]
        d = _describe(fmt, idx, lab, stream, envelope)
        if len(counts) > 1:
            d.reason += f" (mixed prefix: {', '.join(f'{FORMATS[k][0]} {v}' for k, v in counts.most_common())})"
        records = len(g.records) if fmt == main else round(len(g.records) * len(idx) / total)
        objects = len(g.keys) if fmt == main else len({lab.recs[i].key for i in idx})
        field_name = _discriminator([lab.values[i] for i in idx if isinstance(lab.values[i], dict)]) if fmt == "json" else None
        if field_name is None:
            schema, others, note = _suggestion(fmt, available)
            out.append(Detection(format=d.name, format_id=fmt, confidence=round(max(0.0, min(1.0, d.weight * n / total)), 2),
                                 reason=d.reason + note, parser=d.parser, managed_schema=schema, objects=objects,
                                 records=records, parser_config=d.parser_config, alternatives=others, **base))
        else:
            out += _split_shapes(lab, idx, field_name, d, records, base)
    return out


def _split_shapes(lab: _Labelled, idx: list[int], field_name: str, d: _Described, records: int, base: dict) -> list[Detection]:
    """One prefix, several JSON shapes told apart by `field_name`: one candidate log type per value."""
    total = len(lab.labels)
    shapes: dict[str, list[int]] = {}
    for i in idx:
        v = lab.values[i].get(field_name) if isinstance(lab.values[i], dict) else None
        shapes.setdefault(v if isinstance(v, str) else "(missing)", []).append(i)
    out = []
    for value, members in sorted(shapes.items(), key=lambda kv: -len(kv[1])):
        stable, always, every = _key_summary([lab.values[i] for i in members if isinstance(lab.values[i], dict)])
        keys_text = (f"a stable key set ({always} keys)" if stable
                     else f"a varying key set ({always} keys in every record, {every} in all)")
        share = len(members) / total
        out.append(Detection(
            format=d.name, format_id="json", confidence=round(d.weight * share / max(share, 0.5), 2),
            reason=(f"{len(members)} of {_plural(total, 'sampled record')} have {field_name}={value!r} and "
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


def _rows_for(labels: list[str | None], loose_rows: list[list[str]]) -> list[list[str]]:
    """Align the CSV rows of the unlabelled records back to every record (labelled ones get no row)."""
    it = iter(loose_rows)
    return [next(it) if lab is None else [] for lab in labels]


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
    labels = Counter(_classify(t)[0] for t in texts)
    fmt, n = labels.most_common(1)[0]
    if fmt is None or n < min_share * len(texts):
        return None
    if fmt in PARSER_PATTERNS:
        parser = FORMATS[fmt][2]
        return fmt, FORMATS[fmt][1], {"regex" if parser == "regex" else "fastmatch": {"match": [PARSER_PATTERNS[fmt]]}}
    if fmt == "vpc_flow":
        return fmt, FORMATS[fmt][1], {"csv": {"delimiter": " ", "hasHeader": True}}
    return None
