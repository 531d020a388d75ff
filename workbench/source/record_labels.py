"""Each record's format id, as format detection decides it: a managed type's signature, JSON, logfmt, and
CSV/TSV (decided over the unlabelled lines of a whole group: one delimiter, one column count, a shared header).
Records that are none of these are "text".
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass

import orjson

from workbench.model import Record
from workbench.source.signatures import is_vpc_header, match_json, match_text

KV_PAIR = re.compile(r"(?:^|(?<=\s))([A-Za-z_@][\w.\-/@]*)=(\"(?:[^\"\\]|\\.)*\"|\S*)")
_IDENT = re.compile(r"^[A-Za-z_][\w .\-/()#]*$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def classify_text(text: str) -> tuple[str | None, object]:
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
    pairs = KV_PAIR.findall(s)
    if len(pairs) < 3:
        return False
    covered = sum(len(k) + 1 + len(v) for k, v in pairs)
    return covered >= 0.7 * len(s.replace(" ", ""))


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


def _rows_for(labels: list[str | None], loose_rows: list[list[str]]) -> list[list[str]]:
    """Align the CSV rows of the unlabelled records back to every record (labelled ones get no row)."""
    it = iter(loose_rows)
    return [next(it) if lab is None else [] for lab in labels]


@dataclass
class Labelled:
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
    return label_group(records).labels


def label_group(recs: list[Record]) -> Labelled:
    """Fingerprint every record; CSV/TSV is then decided over the unlabelled lines of the whole group."""
    labels: list[str | None] = []
    values: list[object] = []
    for r in recs:
        label, value = classify_text(r.text)
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
    return Labelled(recs, [lab or "text" for lab in labels], values, csv_info)
