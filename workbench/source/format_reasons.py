"""What a detection says about one format in a group: the name users search for, a one-line reason, the
Panther parser (and its config) to start from, and which managed schema to suggest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from workbench.source.record_labels import KV_PAIR, Labelled
from workbench.source.signatures import BY_FORMAT_ID, PARSER_PATTERNS, SIGNATURES
from workbench.wording import plural

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


def key_summary(values: list[dict]) -> tuple[bool, int, int]:
    """(stable, keys in every record, keys in all) over top-level keys of JSON objects."""
    counts: Counter[str] = Counter()
    for v in values:
        counts.update(v.keys())
    n = len(values)
    always = sum(1 for c in counts.values() if c == n)
    return always == len(counts), always, len(counts)


def _share_text(n: int, total: int, noun: str) -> str:
    noun = f"sampled {noun}"
    return f"all {plural(total, noun)}" if n == total else f"{n:,} of {plural(total, noun)}"


def _logfmt_pattern(texts: list[str]) -> str | None:
    orders = Counter(tuple(k for k, _ in KV_PAIR.findall(t)) for t in texts)
    keys, n = orders.most_common(1)[0]
    if n < 0.8 * len(texts):
        return None
    sample = dict(KV_PAIR.findall(texts[0]))
    return " ".join(f'{k}="%{{{k}}}"' if sample.get(k, "").startswith('"') else f"{k}=%{{{k}}}" for k in keys)


@dataclass
class Described:
    name: str
    reason: str
    parser: str
    parser_config: dict | None
    weight: float


def describe(fmt: str, idx: list[int], lab: Labelled, stream: str, envelope: str | None) -> Described:
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
        dicts = [v for i in idx if isinstance(v := lab.values[i], dict)]
        name = {"JsonArray": "JSON with envelope" if envelope else "JSON array",
                "JSON": "JSON (multi-line values)", "CloudWatchLogs": "JSON in CloudWatch Logs",
                "Parquet": "Parquet"}.get(stream, name)
        what = "parse as JSON objects" if len(dicts) == len(idx) else "parse as JSON values"
        if dicts:
            stable, always, every = key_summary(dicts)
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
        keys = Counter(k for t in texts[:50] for k, _ in KV_PAIR.findall(t))
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
    return Described(name, reason, parser, parser_config, weight)


def suggestion(fmt: str, available: frozenset[str]) -> tuple[str | None, tuple[str, ...], str]:
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
