"""Text-log layouts for inference: a CSV header, a fastmatch pattern from aligned tokens, or a regex fallback.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict

from workbench.schema.indicators import is_ip
from workbench.schema.timeformats import detect_text_format

# --- text formats ------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+')
_HEADER_NAME = re.compile(r"[A-Za-z_@$][A-Za-z0-9_ .@$-]*\Z")


def _csv_header(texts: list[str], first_lines: list[str]) -> tuple[str, list[str]] | None:
    """(delimiter, header) when the object's first lines look like a CSV header and the rows agree."""
    if not first_lines:
        return None
    for delim in (",", "\t", "|", ";"):
        try:
            header = next(csv.reader([first_lines[0]], delimiter=delim))
        except (csv.Error, StopIteration):
            continue
        if len(header) < 2 or not all(_HEADER_NAME.match(h.strip()) for h in header) or len(set(header)) != len(header):
            continue
        rows = [next(csv.reader([t], delimiter=delim), []) for t in texts[:2000]]
        ok = sum(1 for r in rows if len(r) == len(header))
        if ok >= 0.9 * len(rows):
            return delim, header
    return None


def _guess_token_name(values: list[str], i: int, used: Counter) -> str:
    vals = [v for v in values if v not in ("-", "")]
    base = f"field_{i + 1}"
    if vals:
        if all(is_ip(v) for v in vals):
            base = "ip"
        elif detect_text_format(vals[:200]):
            base = "time"
        elif all(v.isdigit() and 100 <= int(v) <= 599 for v in vals[:500]):
            base = "status"
        elif all(re.match(r"[A-Z]+ \S+ HTTP/", v) for v in vals[:200]):
            base = "request"
        elif all(v.startswith("arn:") for v in vals[:200]):
            base = "arn"
    used[base] += 1
    return base if used[base] == 1 else f"{base}_{used[base]}"


def _fastmatch(texts: list[str]) -> tuple[dict, list[dict]] | None:
    groups: dict[tuple, list[list[str]]] = defaultdict(list)
    for t in texts:
        toks = _TOKEN.findall(t)
        if " ".join(toks) != t:  # only single-space separated lines
            return None
        kinds = tuple("q" if x[0] == '"' and x[-1] == '"' and len(x) > 1 else "b" if x[0] == "[" else "w" for x in toks)
        groups[kinds].append(toks)
    big = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    if not big or len(big[0][0]) < 3 or len(big[0][1]) < 0.8 * len(texts):
        return None
    kinds, rows = big[0]
    used: Counter = Counter()
    names = [_guess_token_name([(r[i][1:-1] if kinds[i] in "qb" else r[i]) for r in rows], i, used) for i in range(len(kinds))]
    parts = []
    for k, n in zip(kinds, names, strict=True):
        parts.append(f'"%{{{n}}}"' if k == "q" else f"[%{{{n}}}]" if k == "b" else f"%{{{n}}}")
    patterns = [" ".join(parts)]
    has_dash = any(tok == "-" for r in rows[:500] for tok in r)
    opts: dict = {"match": patterns}
    if has_dash:
        opts["emptyValues"] = ["-"]
    out_rows = []
    for toks in (r for g in groups.values() for r in g if len(r) == len(kinds)):
        row = {}
        for k, n, tok in zip(kinds, names, toks, strict=True):
            v = tok[1:-1] if k in "qb" else tok
            if v != "-" or not has_dash:
                row[n] = v
        out_rows.append(row)
    return {"fastmatch": opts}, out_rows


def _regex(texts: list[str]) -> tuple[dict, list[dict]]:
    firsts = [t.split(" ", 1)[0] for t in texts]
    if all(" " in t for t in texts) and detect_text_format(firsts[:500]):
        rx = r"(?P<timestamp>\S+) (?P<message>.*)"
        rows = [{"timestamp": t.split(" ", 1)[0], "message": t.split(" ", 1)[1]} for t in texts]
    else:
        rx = r"(?P<message>.*)"
        rows = [{"message": t} for t in texts]
    return {"regex": {"match": [rx]}}, rows
