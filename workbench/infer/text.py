"""Text logs → a Panther text parser and the rows it splits the lines into.

In order: a CSV file with a header row; a layout that format detection recognises (syslog, Apache/nginx
access, ALB, S3 access, VPC flow: its known parser is used as is); a header inferred from the lines
(`text_header`, `text_layout`: timestamp, level, host, process[pid], thread, component …, the rest as
`message`); space-separated columns; and last, the whole line as `message`. Lines that do not fit the
chosen layout are counted and shown, never allowed to reduce the layout to `message` alone.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from workbench.infer.shapes import _FIELD_NAME, _fmt
from workbench.infer.text_header import LEVELS, split_head
from workbench.infer.text_layout import Layout, build_layout
from workbench.schema.grok import expand_grok
from workbench.schema.indicators import is_ip
from workbench.schema.timedetect import choose_formats
from workbench.source.formats import FORMATS, recognised_layout

LAYOUT_SAMPLE = 400  # lines whose headers are analysed (evenly spread over the input)
MIN_FIT = 0.5  # a layout must fit at least this share of the lines
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+')
_HEADER_NAME = re.compile(r"[A-Za-z_@$][A-Za-z0-9_ .@$-]*\Z")
_PLACEHOLDER = re.compile(r"%\{([^}]*)\}")
_CONTINUATION = re.compile(r"\s|at |Caused by|\.\.\. \d+ more|Traceback|\}|\)|\]")


@dataclass
class TextInference:
    format: str  # csv | regex | fastmatch
    parser: dict
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    layout: str = ""  # how the layout was found: csv-header, detected:<format id>, inferred-header, columns, message
    managed_schema: str | None = None
    off_layout: dict | None = None  # {"lines", "total", "examples", "continuation"}
    plain_regex: str | None = None  # when the parser is written with grok patterns: the plain regex it stands for

    def order(self) -> list[str]:
        """Field names in the order the parser reads them (the schema lists fields in that order)."""
        kind, opts = next(iter(self.parser.items()))
        if kind == "csv":
            return list(opts.get("columns") or [])
        if kind == "fastmatch":
            return [n for n in _PLACEHOLDER.findall(opts["match"][0]) if n]
        return list(re.compile(expand_grok("".join(opts["match"]))).groupindex)


def _spread(texts: list[str], n: int) -> list[str]:
    if len(texts) <= n:
        return texts
    step = len(texts) / n
    return [texts[int(i * step)] for i in range(n)]


def infer_text(texts: list[str], first_lines: list[str]) -> TextInference:
    """The parser for text lines and the rows (flat dicts of strings) it gives, with notes on how."""
    found = _csv(texts, first_lines)
    if found is None:
        found = _detected(texts, first_lines)
    if found is None:
        found = _inferred_header(texts)
    if found is None:
        found = _headerless_csv(texts)
    if found is None:
        found = _columns(texts)
    if found is None:
        found = TextInference("regex", {"regex": {"match": [r"(?P<message>.*)"]}}, [{"message": t} for t in texts],
                              ["No header found before the text (no leading timestamp in at least half the lines, "
                               "no delimiter, no known format): each line is kept whole as `message`."],
                              layout="message")
    if found.managed_schema is None:
        managed = _managed_text_type(texts)
        if managed:
            found.managed_schema = managed
            found.notes.insert(0, f"Format detection recognises {managed} lines: Panther's managed schema {managed} "
                                  "reads them (its own parser); use it instead of a custom schema where it fits.")
    return found


def _managed_text_type(texts: list[str]) -> str | None:
    """The managed log type most lines have the layout of (detection's text signatures), when it ships."""
    from workbench.source.signatures import match_text, shipped_log_types

    probe = _spread(texts, 200)
    kinds = Counter(s.log_type for s in map(match_text, probe) if s is not None and s.managed_reads)
    if not kinds:
        return None
    kind, n = kinds.most_common(1)[0]
    return kind if n >= 0.8 * len(probe) and kind in shipped_log_types() else None


# --- CSV ---------------------------------------------------------------------------------------------------

def csv_header(texts: list[str], first_lines: list[str], delims: tuple[str, ...] = (",", "\t", "|", ";")
               ) -> tuple[str, list[str]] | None:
    """(delimiter, header) when the object's first lines look like a CSV header and the rows agree."""
    if not first_lines:
        return None
    for delim in delims:
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


def _csv(texts: list[str], first_lines: list[str], delims: tuple[str, ...] = (",", "\t", "|", ";")) -> TextInference | None:
    header = csv_header(texts, first_lines or texts[:1], delims)
    if not header:
        return None
    delim, cols = header
    columns = [_FIELD_NAME.sub("_", c.strip()) for c in cols]
    header_set = {first_lines[0] if first_lines else texts[0], *first_lines}
    rows = []
    empties: Counter = Counter()
    for t in texts:
        if t in header_set:
            continue
        row = next(csv.reader([t], delimiter=delim), [])
        if len(row) != len(columns):
            continue
        empties.update(v for v in row if v in ("-", ""))
        rows.append({c: v for c, v in zip(columns, row, strict=True) if v not in ("", "-")})
    opts: dict = {"delimiter": delim, "hasHeader": True, "columns": columns}
    if empties.get("-"):
        opts["emptyValues"] = ["-"]
    return TextInference("csv", {"csv": opts}, rows, [f"CSV with a header row ({len(columns)} columns, delimiter {delim!r})."],
                         layout="csv-header")


def _headerless_csv(texts: list[str]) -> TextInference | None:
    """Comma- or tab-separated rows with no header row: one column count in ≥ 80 % of the lines (lines starting
    with '#', such as Zeek's header block, are skipped with skipPrefix); columns named from what they hold."""
    body = [t for t in texts if not t.startswith("#")]
    skipped = len(texts) - len(body)
    for delim in (",", "\t"):
        if not body or sum(1 for t in body[:200] if delim in t) < 0.9 * min(len(body), 200):
            continue
        rows = list(csv.reader(body, delimiter=delim))
        width, n = Counter(len(r) for r in rows).most_common(1)[0]
        if width < 3 or n < 0.8 * len(rows):
            continue
        fit = [r for r in rows if len(r) == width]  # Go's CSV reader wants every row as wide as the first
        used: Counter = Counter()
        declared = next((t.split(delim)[1:] for t in texts if t.startswith("#fields" + delim)), None)  # Zeek's
        if declared and len(declared) == width:
            names = [_FIELD_NAME.sub("_", d) for d in declared]
        else:
            names = [_guess_token_name([r[i] for r in fit[:2000] if i < len(r)], i, used) for i in range(width)]
        opts: dict = {"delimiter": delim, "columns": names}
        if skipped:
            opts["skipPrefix"] = "#"
        out = [{c: v for c, v in zip(names, r, strict=False) if v not in ("", "-")} for r in fit]
        if any(v == "-" for r in fit[:2000] for v in r):
            opts["emptyValues"] = ["-"]
        off = [t for t, r in zip(body, rows, strict=True) if len(r) != width]
        shown = {",": "','", "\t": "tab"}[delim]
        note = (f"CSV without a header row: {_fmt(len(fit))}/{_fmt(len(body))} lines split on {shown} into {width} "
                "columns" + ("; names from the '#fields' line" if declared and len(declared) == width else
                             "; the names are guesses from the values (field_N where nothing tells): rename them")
                + (f"; {_fmt(skipped)} lines starting with '#' are skipped (skipPrefix)" if skipped else ""))
        return TextInference("csv", {"csv": opts}, out, [note], layout="csv-columns", off_layout=_off_report(off, len(texts)))
    return None


# --- a layout format detection knows -----------------------------------------------------------------------

def fastmatch_splitter(pattern: str) -> re.Pattern:
    """A regex splitting lines as a fastmatch pattern does: each field up to the first occurrence of the text
    after it (never further: no backtracking), a field between quotes as a quoted string, the last field the
    rest of the line."""
    parts = _PLACEHOLDER.split(pattern)
    literals, names = parts[0::2], parts[1::2]
    rx = [re.escape(literals[0])]
    for i, name in enumerate(names):
        before, after = literals[i], literals[i + 1]
        if before[-1:] in ("'", '"') and after[:1] == before[-1:]:
            q = re.escape(before[-1])
            body = f"[^{q}\\\\]*(?:\\\\.[^{q}\\\\]*)*"
        elif i == len(names) - 1 and not after:
            body = ".*"
        elif len(after) == 1:
            body = f"[^{re.escape(after)}]*+"  # possessive: a field never gives characters back, as in fastmatch
        elif after:
            c, rest = re.escape(after[0]), re.escape(after[1:])
            body = f"(?:[^{c}]++|{c}(?!{rest}))*+"  # up to the first occurrence of the whole delimiter
        else:
            body = ".*?"  # two fields with nothing between them: fastmatch refuses the pattern anyway
        rx.append(f"(?P<{name}>{body})" if name else f"(?:{body})")
        rx.append(re.escape(after))
    return re.compile("".join(rx) + r"\Z", re.DOTALL)


def _detected(texts: list[str], first_lines: list[str]) -> TextInference | None:
    known = recognised_layout(_spread(texts, 500))
    if known is None:
        return None
    fmt, managed, parser = known
    kind, opts = next(iter(parser.items()))
    if kind == "csv":  # header-based (VPC flow logs: space-delimited, each object starts with its header)
        found = _csv(texts, first_lines, (opts.get("delimiter") or ",",))
        if found is not None:
            found.layout, found.managed_schema = f"detected:{fmt}", managed
            found.notes.insert(0, f"Format detection recognises {FORMATS[fmt][0]}"
                               + (f"; Panther's managed schema {managed} reads it too." if managed else "."))
        return found
    rx = re.compile(opts["match"][0]) if kind == "regex" else fastmatch_splitter(opts["match"][0])
    rows, off = _split_all(texts, rx)
    if len(rows) < MIN_FIT * len(texts):
        return None
    if fmt == "syslog_3164":
        head = rows[:500]
        if sum(1 for r in head if r.get("hostname", "").lower() in LEVELS or r.get("hostname", "").isdigit()) > 0.5 * len(head):
            return None  # 'Mmm dd hh:mm:ss LEVEL|pid component: …' only looks like syslog: its "host" is a level or a pid
        if sum(1 for r in head if r.get("tag")) < 0.5 * len(head):
            return None  # 'time word rest' with no `tag:` in most lines: the inferred header says more
    opts = {"match": list(opts["match"])}
    rows = _dash_is_empty(opts, rows)
    name = FORMATS[fmt][0]
    notes = [f"Format detection recognises {name}: its {kind} layout is used as is"
             + (f"; Panther's managed schema {managed} reads it too (use it instead of a custom schema where it fits)."
                if managed else ".")]
    return TextInference(kind, {kind: opts}, rows, notes, layout=f"detected:{fmt}",
                         managed_schema=managed, off_layout=_off_report(off, len(texts)))


def _dash_is_empty(opts: dict, rows: list[dict]) -> list[dict]:
    """Log formats write '-' for "no value" (CLF, syslog's NILVALUE): say so with emptyValues, as Panther reads it."""
    if not any(v == "-" for r in rows[:2000] for v in r.values()):
        return rows
    opts["emptyValues"] = ["-"]
    return [{k: v for k, v in r.items() if v != "-"} for r in rows]


def _split_all(texts: list[str], rx: re.Pattern) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    off: list[str] = []
    match = rx.match
    for t in texts:
        m = match(t)
        if m is None:
            off.append(t)
        else:
            rows.append({k: v for k, v in m.groupdict().items() if v is not None})
    return rows, off


def _off_report(off: list[str], total: int) -> dict | None:
    if not off:
        return None
    cont = sum(1 for t in off if _CONTINUATION.match(t))
    return {"lines": len(off), "total": total, "continuation": cont,
            "examples": [t[:160] for t in dict.fromkeys(off)][:3]}


def off_layout_note(report: dict) -> str:
    ex = "; ".join(repr(e) for e in report["examples"])
    why = (f" ({_fmt(report['continuation'])} look like continuation lines of multi-line events, e.g. stack traces: "
           "Panther reads each line as an event, so these will not parse with this schema)" if report["continuation"] else "")
    return (f"{_fmt(report['lines'])}/{_fmt(report['total'])} lines do not fit the layout{why}; e.g. {ex}")


# --- a header inferred from the lines ----------------------------------------------------------------------

def _inferred_header(texts: list[str]) -> TextInference | None:
    sample = _spread(texts, LAYOUT_SAMPLE)
    heads = [split_head(t) for t in sample]
    trailing = sum(1 for h in heads if h is not None and all(f.endswith(" %Y") for f in h.time.formats))
    if 0 < trailing < 0.5 * sum(1 for h in heads if h is not None):
        heads = [split_head(t, year_after=False) for t in sample]  # those "years" are pids or counts
    layout = build_layout(heads)
    if layout is None:
        return None
    rx_text = layout.regex()
    rx = re.compile(rx_text)
    rows, off = _split_all(texts, rx)
    if len(rows) < MIN_FIT * len(texts):
        return None
    kind, opts = "regex", {"match": [rx_text]}
    fm = layout.fastmatch()
    grok = layout.grok()
    if fm and _fastmatch_exact(fm, rx, texts):
        kind, opts = "fastmatch", {"match": [fm]}
    elif grok and _splits_alike(re.compile(expand_grok(grok), re.ASCII), rx, texts):
        opts = {"match": [grok]}
    rows = _dash_is_empty(opts, rows)
    parser = {kind: opts}
    notes = [_layout_note(layout, kind, len(rows), len(texts))]
    if kind == "regex" and opts["match"][0] != rx_text:
        notes.append("The regex is written with Panther's built-in grok patterns (%{NAME:field}); it splits every "
                     "sampled line exactly as the plain regex it stands for.")
    return TextInference(kind, parser, rows, notes, layout="inferred-header", off_layout=_off_report(off, len(texts)),
                         plain_regex=rx_text if kind == "regex" and opts["match"][0] != rx_text else None)


def _fastmatch_exact(pattern: str, rx: re.Pattern, lines: list[str]) -> bool:
    """True when the fastmatch pattern splits every line exactly as the regex does (and rejects the same lines).

    Checked on every line, not the header sample: "exact" must hold for the input."""
    fm = fastmatch_splitter(pattern)
    if list(rx.groupindex) != list(fm.groupindex):
        return False
    rx_match, fm_match = rx.match, fm.match
    for t in lines:
        a, b = rx_match(t), fm_match(t)
        if a is None or b is None:
            if (a is None) != (b is None):
                return False
        elif a.groups() != b.groups():  # same names in the same order: the tuples compare field by field
            return False
    return True


def _splits_alike(a: re.Pattern, b: re.Pattern, lines: list[str]) -> bool:
    """True when two regexes accept the same lines and give every named field the same value (a grok-style
    regex against the plain one it stands for; grok patterns may hold unnamed groups of their own)."""
    if list(a.groupindex) != list(b.groupindex):
        return False
    a_match, b_match = a.match, b.match
    for t in lines:
        x, y = a_match(t), b_match(t)
        if x is None or y is None:
            if (x is None) != (y is None):
                return False
        elif x.groupdict() != y.groupdict():
            return False
    return True


def _layout_note(layout: Layout, kind: str, fit: int, total: int) -> str:
    parts = []
    for c in layout.columns:
        if c.kind == "time":
            parts.append(f"timestamp ({', '.join(layout.formats)})")
        elif c.groups:
            parts.append(" + ".join(c.groups) + (" (optional)" if c.optional else ""))
    how = ("fastmatch: it splits every sampled line exactly as the regex does" if kind == "fastmatch"
           else "regex: padding varies, a column is optional or a field holds its delimiter, so fastmatch would not be exact")
    return (f"Header inferred from {_fmt(layout.lines)}/{_fmt(layout.sample)} sampled lines: {' · '.join(parts)} · message "
            f"(the rest of the line); it fits {_fmt(fit)}/{_fmt(total)} lines; {how}.")


# --- space-separated columns (no timestamp first) ----------------------------------------------------------

def _guess_token_name(values: list[str], i: int, used: Counter) -> str:
    vals = [v for v in values if v not in ("-", "")]
    base = f"field_{i + 1}"
    if vals:
        if all(is_ip(v) for v in vals):
            base = "ip"
        elif choose_formats(vals[:200], min_share=1.0):
            base = "time"
        elif all(v.isdigit() and 100 <= int(v) <= 599 for v in vals[:500]):
            base = "status"
        elif all(re.match(r"[A-Z]+ \S+ HTTP/", v) for v in vals[:200]):
            base = "request"
        elif all(v.startswith("arn:") for v in vals[:200]):
            base = "arn"
    used[base] += 1
    return base if used[base] == 1 else f"{base}_{used[base]}"


def _columns(texts: list[str]) -> TextInference | None:
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
    parts = [f'"%{{{n}}}"' if k == "q" else f"[%{{{n}}}]" if k == "b" else f"%{{{n}}}" for k, n in zip(kinds, names, strict=True)]
    has_dash = any(tok == "-" for r in rows[:500] for tok in r)
    opts: dict = {"match": [" ".join(parts)]}
    if has_dash:
        opts["emptyValues"] = ["-"]
    out_rows = []
    off = [t for g, rs in groups.items() if len(g) != len(kinds) for t in (" ".join(r) for r in rs)]
    for toks in (r for g in groups.values() for r in g if len(r) == len(kinds)):
        row = {}
        for k, n, tok in zip(kinds, names, toks, strict=True):
            v = tok[1:-1] if k in "qb" else tok
            if v != "-" or not has_dash:
                row[n] = v
        out_rows.append(row)
    return TextInference("fastmatch", {"fastmatch": opts}, out_rows,
                         ["Space-separated fields with quoted and bracketed values → fastmatch; "
                          "field names are guesses, rename them."],
                         layout="columns", off_layout=_off_report(off, len(texts)))
