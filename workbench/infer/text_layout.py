"""Many lines' headers → one layout: named columns, the separators between them, and the rest as `message`.

Lines are grouped by where their timestamp sits; the commonest group is the layout. Its columns are
read left to right while at least 90 % of the lines agree on what the column is (a level, a number, a
bracketed group, a `tag[pid]:`, an address, a word followed by a delimiter or padding); the first column
they do not agree on starts the message. A `tag:` column ends the header. The layout becomes a regex
(each column's pattern, separators as literals or `[ \\t]+` where padding varies) and, when a fastmatch
pattern splits every line identically, fastmatch. A regex layout also has a grok-style form
(`%{TIMESTAMP_ISO8601:timestamp} %{WORD:level} …`, Panther's built-in patterns only) when every column maps to
one; the caller keeps it only when it splits every line exactly as the plain regex does.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from workbench.infer.text_header import LEVELS, LOGCAT_LEVELS, LineHead, Piece
from workbench.schema.timedetect import choose_formats, formats_regex

AGREE = 0.9  # share of lines that must agree on a column
OPTIONAL_MIN = 0.2  # a last bracketed column present in at least this share of lines becomes optional
_FAMILY = {"ip": "token", "word": "token", "dotted": "token"}
_ID_LIKE = re.compile(r"(?:req-|[0-9a-f]{8}-[0-9a-f]{4}-|[0-9a-fA-F]{16,}\b|(?=[a-f]*\d)[0-9a-f]{8,}\Z)")
_LEAD_WORD = re.compile(r"([A-Za-z][A-Za-z_]*) ")
_PAIR = re.compile(r"([A-Za-z]+) (\w+):([A-Za-z]+) (\w+)\Z")
_BRACKET_BODY = r"(?:[^\[\]]|\[[^\[\]]*\])*"
_PAREN_BODY = r"(?:[^()]|\([^()]*\))*"


@dataclass
class Column:
    name: str  # field name ("" for a literal)
    kind: str
    rx: str  # regex for the column, with its named groups
    fm: str | None  # fastmatch text for the column, None when fastmatch cannot express it
    sep_rx: str = ""
    sep: str | None = None  # the separator after it when it is always the same text
    optional: bool = False
    groups: tuple[str, ...] = ()
    values: list[str] = field(default_factory=list)
    grok: str | None = None  # the column with Panther's grok patterns, None when none expresses it


@dataclass
class Layout:
    columns: list[Column]
    formats: tuple[str, ...]
    lines: int  # lines of the sample in the layout
    sample: int
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [g for c in self.columns for g in c.groups] + ["message"]

    def regex(self) -> str:
        out = ["^"]
        cols = self.columns
        for i, c in enumerate(cols):
            nxt = cols[i + 1] if i + 1 < len(cols) else None
            if c.optional:
                out.append(f"(?:{cols[i - 1].sep_rx}{c.rx})?")  # the separator before it is optional with it
            elif nxt is None or nxt.optional:
                out.append(c.rx)
            else:
                out.append(c.rx + c.sep_rx)
        last = cols[-1]
        out.append(f"(?:{last.sep_rx}(?P<message>.*))?" if last.sep_rx else "(?P<message>.*)")
        return "".join(out)

    def grok(self) -> str | None:
        """The regex with each column written as Panther's built-in grok patterns, or None when a column has none."""
        if any(c.grok is None for c in self.columns):
            return None
        out = ["^"]
        cols = self.columns
        for i, c in enumerate(cols):
            nxt = cols[i + 1] if i + 1 < len(cols) else None
            if c.optional:
                out.append(f"(?:{cols[i - 1].sep_rx}{c.grok})?")
            elif nxt is None or nxt.optional:
                out.append(c.grok or "")
            else:
                out.append((c.grok or "") + c.sep_rx)
        last = cols[-1]
        out.append(f"(?:{last.sep_rx}%{{GREEDYDATA:message}})?" if last.sep_rx else "%{GREEDYDATA:message}")
        return "".join(out)

    def fastmatch(self) -> str | None:
        parts = []
        for c in self.columns:
            if c.fm is None or c.optional or c.sep is None or not c.sep:
                return None
            parts.append(c.fm + c.sep)
        return "".join(parts) + "%{message}"


_META = re.compile(r"([\\.^$*+?{}\[\]|()])")


def _lit(text: str) -> str:
    """`text` as a regex literal, escaping only what is special (RE2 and Python read it alike)."""
    return _META.sub(r"\\\1", text).replace("\t", r"\t")


def _sep(seps: list[str]) -> tuple[str, str | None] | None:
    """(regex, fixed text or None) for the separators seen after one column; None when they disagree."""
    distinct = set(seps)
    if len(distinct) == 1:
        s = seps[0]
        return _lit(s), s
    cores = {s.strip(" \t") for s in distinct}
    if len(cores) != 1:
        return None
    core = cores.pop()
    return (r"[ \t]*" + _lit(core) + r"[ \t]*" if core else r"[ \t]+"), None


# time formats → the one built-in grok pattern that reads them (none for the rest)
_ISO_TIME = re.compile(r"%Y-%m-%d[T ]%H:%M(?::%S)?(?:[.,]%f)?(?:%z|Z)?\Z")
_GROK_TIMES = {"%b %d %H:%M:%S": "SYSLOGTIMESTAMP", "%b %e %H:%M:%S": "SYSLOGTIMESTAMP",
               "%d/%b/%Y:%H:%M:%S %z": "HTTPDATE", "rfc3339": "TIMESTAMP_ISO8601"}


def _time_grok(formats: tuple[str, ...]) -> str | None:
    names = {"TIMESTAMP_ISO8601" if _ISO_TIME.match(f) else _GROK_TIMES.get(f) for f in formats}
    return names.pop() if len(names) == 1 and None not in names else None


def _strong(sep: str) -> bool:
    return "\t" in sep or bool(sep.strip(" ")) or len(sep) >= 2


def build_layout(heads: list[LineHead | None]) -> Layout | None:
    """The dominant layout of the lines' heads, or None when fewer than half the lines start with a time."""
    sigs = Counter((len(h.pre), h.opener) for h in heads if h is not None)
    if not sigs:
        return None
    sig, n = sigs.most_common(1)[0]
    if n < 0.5 * len(heads):
        return None
    group = [h for h in heads if h is not None and (len(h.pre), h.opener) == sig]
    choice = choose_formats([h.time_text for h in group], min_share=0.0)
    if choice is None:
        return None
    cols: list[Column] = []
    for i in range(sig[0]):
        col = _pre_column(i, [h.pre[i] for h in group])
        if col is None:
            return None
        cols.append(col)
    opener = sig[1]
    close = {"[": "]", "(": ")"}.get(opener, "")
    sep = _sep([h.after_time for h in group])
    if sep is None:
        return None
    time_rx = formats_regex(choice.formats)
    time_grok = _time_grok(choice.formats)
    cols.append(Column("timestamp", "time", f"{_lit(opener)}(?P<timestamp>{time_rx}){_lit(close)}",
                       f"{opener}%{{timestamp}}{close}", sep[0], sep[1], groups=("timestamp",),
                       grok=f"{_lit(opener)}%{{{time_grok}:timestamp}}{_lit(close)}" if time_grok else None))
    cols += _header_columns(group)
    _name_columns(cols)
    return Layout(cols, choice.formats, len(group), len(heads))


def _pre_column(i: int, pieces: list[Piece]) -> Column | None:
    sep = _sep([p.sep for p in pieces])
    if sep is None:
        return None
    texts = {p.text for p in pieces}
    if len(texts) == 1:
        t = next(iter(texts))
        return Column("", "lit", _lit(t), t, sep[0], sep[1], grok=_lit(t))
    if all(p.kind == "priority" for p in pieces):
        return Column("priority", "priority", r"<(?P<priority>\d{1,3})>", "<%{priority}>", sep[0], sep[1],
                      groups=("priority",), grok="<%{NONNEGINT:priority}>")
    return Column("source", "token", r"(?P<@@>[^\s|]+)", "%{@@}", sep[0], sep[1], values=[p.text for p in pieces],
                  grok="%{NOTSPACE:@@}")


def _family(p: Piece | None) -> str | None:
    return None if p is None else _FAMILY.get(p.kind, p.kind)


def _header_columns(group: list[LineHead]) -> list[Column]:
    cols: list[Column] = []
    active = group
    for k in range(8):
        fams = [_family(h.pieces[k]) if k < len(h.pieces) else None for h in active]
        counts = Counter(fams)
        fam, n = counts.most_common(1)[0]
        if fam is None:
            break
        share = n / len(active)
        pieces = [h.pieces[k] for h in active if k < len(h.pieces) and _family(h.pieces[k]) == fam]
        nxt = Counter(_family(h.pieces[k + 1]) if k + 1 < len(h.pieces) else None for h in active)
        nxt_fam, nxt_n = nxt.most_common(1)[0]
        if share < AGREE:
            pieces = [h.pieces[k] for h in active if k < len(h.pieces) and h.pieces[k].kind == "bracket"]
            if len(pieces) >= OPTIONAL_MIN * len(active) and _same_lead(pieces):
                fam = "bracket"
                col = _column(fam, pieces)
                if col is not None:
                    col.optional = True
                    cols.append(col)
            break
        if fam == "token":
            strong = sum(1 for p in pieces if _strong(p.sep))
            before_tag = nxt_fam in ("tag", "bracket") and nxt_n >= AGREE * len(active)
            all_ips = all(p.kind == "ip" for p in pieces)
            if not (strong >= AGREE * len(pieces) or before_tag or all_ips):
                break
        if fam == "lit" and len({p.text for p in pieces}) != 1:
            break
        col = _column(fam, pieces)
        if col is None:
            break
        cols.append(col)
        active = [h for h in active if k < len(h.pieces) and _family(h.pieces[k]) == fam]
        if fam == "tag":
            break
    return cols


def _same_lead(pieces: list[Piece]) -> bool:
    leads = {(_LEAD_WORD.match(p.text[1:]) or [None])[0] for p in pieces}
    return len(leads) == 1 and None not in leads


def _column(fam: str, pieces: list[Piece]) -> Column | None:
    sep = _sep([p.sep for p in pieces if p.sep] or [" "])
    if sep is None:
        return None
    sep_rx, sep_text = sep
    texts = [p.text for p in pieces]
    if fam == "lit":
        return Column("", "lit", _lit(texts[0]), texts[0], sep_rx, sep_text, grok=_lit(texts[0]))
    if fam == "level":
        return Column("level", "level", r"(?P<level>[A-Za-z]+)", "%{level}", sep_rx, sep_text, grok="%{WORD:level}")
    if fam == "num":
        return Column("", "num", r"(?P<@@>\d+)", "%{@@}", sep_rx, sep_text, values=texts, grok="%{NONNEGINT:@@}")
    if fam == "token":
        return Column("", "token", r"(?P<@@>[^\s|]+)", "%{@@}", sep_rx, sep_text, values=texts, grok="%{NOTSPACE:@@}")
    if fam == "tag":
        return _tag_column(texts, sep_rx, sep_text)
    if fam in ("bracket", "paren"):
        return _bracket_column(fam, [t[1:-1] if t.endswith(("]", ")")) else t[1:-2] for t in texts], texts,
                               sep_rx, sep_text)
    if fam == "priority":
        return Column("priority", "priority", r"<(?P<priority>\d{1,3})>", "<%{priority}>", sep_rx, sep_text,
                      grok="<%{NONNEGINT:priority}>")
    return None


def _tag_column(texts: list[str], sep_rx: str, sep_text: str | None) -> Column:
    with_pid = sum(1 for t in texts if t.endswith("]:"))
    dotted = sum(1 for t in texts if "." in t.split("[", 1)[0])
    name = "component" if dotted > len(texts) / 2 else "process"
    body = r"[^\s\[\]():]+(?:\([^()\s]*\))?"
    if with_pid == len(texts):
        return Column(name, "tag", rf"(?P<{name}>{body})\[(?P<pid>\d+)\]:", f"%{{{name}}}[%{{pid}}]:", sep_rx, sep_text,
                      grok=f"%{{NOTSPACE:{name}}}\\[%{{NONNEGINT:pid}}\\]:")
    if with_pid:
        return Column(name, "tag", rf"(?P<{name}>{body})(?:\[(?P<pid>\d+)\])?:", None, sep_rx, sep_text)
    return Column(name, "tag", rf"(?P<{name}>{body}):", f"%{{{name}}}:", sep_rx, sep_text, grok=f"%{{NOTSPACE:{name}}}:")


def _bracket_column(fam: str, inner: list[str], texts: list[str], sep_rx: str, sep_text: str | None) -> Column:
    o, c = ("[", "]") if fam == "bracket" else ("(", ")")
    body = _BRACKET_BODY if fam == "bracket" else _PAREN_BODY
    colon = all(t.endswith(":") for t in texts)
    close = _lit(c) + (":" if colon else "")
    fm_close = c + (":" if colon else "")
    stripped = [v.strip() for v in inner]
    if all(v.lower() in LEVELS or v in LOGCAT_LEVELS for v in stripped):
        return Column("level", "level", rf"{_lit(o)} *(?P<level>[A-Za-z]+) *{close}", None, sep_rx, sep_text,
                      grok=rf"{_lit(o)} *%{{WORD:level}} *{close}")
    if all(v.isdigit() for v in inner):
        return Column("pid", "num", rf"{_lit(o)}(?P<pid>\d+){close}", f"{o}%{{pid}}{fm_close}", sep_rx, sep_text,
                      grok=rf"{_lit(o)}%{{NONNEGINT:pid}}{close}")
    found = [_PAIR.match(v) for v in inner]
    pair = [m for m in found if m is not None]
    if len(pair) == len(found) and pair and len({(m.group(1), m.group(3)) for m in pair}) == 1:
        a, b = pair[0].group(1), pair[0].group(3)  # [pid 1234:tid 5678]
        name_a, name_b = a.lower(), b.lower()
        return Column(name_a, "bracket", rf"{_lit(o + a)} (?P<{name_a}>\w+):{_lit(b)} (?P<{name_b}>\w+){close}",
                      f"{o}{a} %{{{name_a}}}:{b} %{{{name_b}}}{fm_close}", sep_rx, sep_text,
                      grok=rf"{_lit(o + a)} %{{WORD:{name_a}}}:{_lit(b)} %{{WORD:{name_b}}}{close}")
    if all(":" in v and v.rsplit(":", 1)[1].lower() in LEVELS for v in inner):
        return Column("module", "bracket", rf"{_lit(o)}(?P<module>[^\]:\s]*):(?P<level>[A-Za-z]+){close}",
                      f"{o}%{{module}}:%{{level}}{fm_close}", sep_rx, sep_text,
                      grok=rf"{_lit(o)}%{{DATA:module}}:%{{WORD:level}}{close}")
    lead = _LEAD_WORD.match(inner[0])
    if lead and all(v.startswith(lead.group(0)) for v in inner):
        word = lead.group(1).lower()
        return Column(word, "bracket", rf"{_lit(o + lead.group(0))}(?P<{word}>{body}){close}",
                      f"{o}{lead.group(0)}%{{{word}}}{fm_close}", sep_rx, sep_text,
                      grok=rf"{_lit(o + lead.group(0))}%{{DATA:{word}}}{close}")
    if all(_ID_LIKE.match(v) for v in inner):
        if all(" " in v for v in inner):
            return Column("request_id", "bracket",
                          rf"{_lit(o)}(?P<request_id>[^\s\]]+) (?P<request_context>{body}){close}",
                          f"{o}%{{request_id}} %{{request_context}}{fm_close}", sep_rx, sep_text,
                          grok=rf"{_lit(o)}%{{NOTSPACE:request_id}} %{{DATA:request_context}}{close}")
        return Column("request_id", "bracket", rf"{_lit(o)}(?P<request_id>{body}){close}",
                      f"{o}%{{request_id}}{fm_close}", sep_rx, sep_text, grok=rf"{_lit(o)}%{{DATA:request_id}}{close}")
    return Column("" if fam == "bracket" else "context", "bracket", rf"{_lit(o)}(?P<@@>{body}){close}",
                  f"{o}%{{@@}}{fm_close}", sep_rx, sep_text, grok=rf"{_lit(o)}%{{DATA:@@}}{close}")


def _name_columns(cols: list[Column]) -> None:
    """Name generic columns from what they hold and where they are, then make every name unique."""
    for i, c in enumerate(cols):
        if "@@" not in c.rx:
            continue
        nxt = cols[i + 1] if i + 1 < len(cols) else None
        if c.kind == "num":
            taken = any("(?P<pid>" in x.rx for x in cols)
            # a count or duration sits among address/word columns (squid's elapsed ms); a pid among header tokens
            name = "number" if nxt is not None and nxt.kind == "token" else ("tid" if taken else "pid")
        elif c.kind == "token" and c.name != "source":
            vals = c.values
            if nxt is not None and nxt.kind == "tag":
                name = "host"
            elif all(v.lower().endswith(".exe") for v in vals) or (nxt is not None and nxt.kind == "num"):
                name = "process"
            elif all(_is_ip(v) for v in vals):
                name = "ip"
            elif all(_ID_LIKE.match(v) for v in vals):
                name = "request_id"
            else:
                name = "component"
        elif c.kind == "bracket":
            name = "context" if any(x.name == "thread" for x in cols[:i]) else "thread"
        else:
            name = c.name or "field"
        c.name = name
        c.rx = c.rx.replace("@@", name)
        c.fm = c.fm.replace("@@", name) if c.fm else c.fm
        c.grok = c.grok.replace("@@", name) if c.grok else c.grok
    used: Counter[str] = Counter()
    for c in cols:
        names = list(re.compile(c.rx).groupindex)
        for g in names:
            used[g] += 1
            if used[g] > 1:
                new = f"{g}_{used[g]}"
                c.rx = c.rx.replace(f"(?P<{g}>", f"(?P<{new}>")
                c.fm = c.fm.replace(f"%{{{g}}}", f"%{{{new}}}") if c.fm else c.fm
                c.grok = re.sub(rf"(%\{{[A-Z0-9_]+:){re.escape(g)}\}}", rf"\g<1>{new}}}", c.grok) if c.grok else c.grok
                if c.name == g:
                    c.name = new
        c.groups = tuple(re.compile(c.rx).groupindex)


def _is_ip(v: str) -> bool:
    from workbench.schema.indicators import is_ip

    return is_ip(v)
