"""Value-level decisions with their reasons: is a string field a time (and in which formats), which indicators
fit it, and why not when not. Figures are over the sampled values, so the reasons can quote them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.infer.shapes import _fmt
from workbench.schema.indicators import RECOGNISERS, is_domain, is_ip
from workbench.schema.timedetect import choose_formats, is_yearless, parser_year, recorded_year, value_formats
from workbench.schema.timeformats import compile_time_formats, unix_unit

TIME_SHARE = 0.95  # a field stays a timestamp when at least this share of its values are times
INDICATOR_SHARE = 0.5  # an indicator when most non-empty values are of its kind (Panther's scanners skip the others)
_HASHES = ("md5", "sha1", "sha256")
_NAME_HINTS = {"ip": ("ip", "addr", "address", "client", "remote", "source", "src", "dst", "dest"),
               "email": ("email", "mail", "alternateid", "user", "login", "principal"),
               "url": ("url", "uri", "href", "link", "referer", "referrer")}


@dataclass
class TimeDecision:
    formats: tuple[str, ...]
    why: str
    earliest: str | None
    latest: str | None
    yearless_note: str | None = None


def _shown(values: list[str]) -> str:
    return ", ".join(repr(v[:40]) for v in values)


def _counted(values: Iterable[str] | Counter) -> Counter:
    return values if isinstance(values, Counter) else Counter(values)


def time_decision(values: Iterable[str] | Counter, empties: int = 0) -> tuple[TimeDecision | None, str]:
    """(decision, why-not). `values`: the sampled non-empty strings, or a Counter of them (shares are per event)."""
    values = _counted(values)
    distinct = list(values)
    if not distinct or not any(ch.isdigit() for v in distinct[:50] for ch in v[:12]):
        return None, ""
    if not any(value_formats(v) for v in distinct[:: max(1, len(distinct) // 16)]):
        return None, ""  # not one time among a spread of the values: not worth a full count
    choice = choose_formats(values, min_share=TIME_SHARE)
    if choice is None:
        loose = choose_formats(values, min_share=0.0)
        if loose is None or not loose.times:
            return None, ""
        return None, (f"not a timestamp: only {_fmt(loose.times)}/{_fmt(loose.total)} values are times "
                      f"({', '.join(loose.formats)}; at least {TIME_SHARE:.0%} needed); others: {_shown(loose.not_times)}")
    # confirm with the parser (Panther's reading): what it cannot read is not a time
    parse = compile_time_formats(choice.formats)
    counts = values
    parsed: list[str] = []
    bad: list[str] = []
    for v in counts:
        if not v.strip():
            continue
        try:
            parsed.append(parse(v))
        except ValueError:
            bad.append(v)
    times = choice.total - sum(counts[v] for v in bad)
    if not parsed or times < TIME_SHARE * choice.total:
        return None, (f"not a timestamp: only {_fmt(times)}/{_fmt(choice.total)} values are times "
                      f"(at least {TIME_SHARE:.0%} needed); others: {_shown(bad[:5])}") if parsed else ""
    not_times = list(dict.fromkeys([*bad, *choice.not_times]))[:5]
    fmts = ", ".join("RFC 3339" if f == "rfc3339" else repr(f) for f in choice.formats)
    why = f"{_fmt(times)}/{_fmt(choice.total)} values are times in {fmts} → timestamp"
    if len(choice.formats) > 1:
        why += f" with timeFormats {list(choice.formats)} (tried in order)"
    if not_times:
        missed = choice.total - times
        why += (f"; {_fmt(missed)}/{_fmt(choice.total)} values are not times: {_shown(not_times)} "
                "(Panther fails events whose value it cannot read as a time)")
    if empties:
        why += f"; {_fmt(empties)} empty values read as no time"
    note = None
    yearless = [f for f in choice.formats if is_yearless(f)]
    if yearless:
        note = (f"the time format has no year: Panther records year {recorded_year(yearless[0])} for these values "
                "(its strftime reader's default; add the year to the data, or use this field as event time knowing "
                "the year is wrong)")
        ours = parser_year(yearless[0])
        if ours != recorded_year(yearless[0]):
            note += f"; this workbench's parser currently assumes {ours}"
        why += f"; {note}"
    return TimeDecision(choice.formats, why, min(parsed), max(parsed), note), ""


def mixed_time_decision(numbers: list, texts: Counter, empties: int = 0) -> tuple[TimeDecision | None, str]:
    """(decision, why-not) for a field holding JSON numbers in some events and text in others (Cloudflare's
    EdgeStartTimestamp: unix nanoseconds from one Logpush job, RFC 3339 from another).

    A timestamp when the numbers are unix times of one unit and the text is times: `timeFormats` lists the text's
    formats, then the unit — Panther's parser reads a JSON number only with a unix format (RFC 3339 and strftime
    formats want a string), so each value is read by the format of its kind. Every sampled value is then read
    with those formats, and at least 95 % must be times. `numbers`: the sampled numbers (one per occurrence);
    `texts`: the non-empty strings and their counts."""
    nums = [v for v in numbers if type(v) in (int, float)]
    n_num, n_text = len(nums), sum(texts.values())
    if not nums or not n_text:
        return None, ""
    lo, hi = min(nums), max(nums)
    unit = unix_unit(lo, hi)
    if unit is None:
        return None, f"not a timestamp: its {_fmt(n_num)} numbers ({lo} … {hi}) are not unix times of one unit"
    if unit != "unix" and any(type(v) is float for v in nums):
        return None, f"not a timestamp: its numbers are in the {unit} range but have fractions ({unit} must be whole)"
    text_decision, _why = time_decision(texts)
    if text_decision is None:
        shown = _shown(list(texts)[:3])
        return None, (f"not a timestamp: its {_fmt(n_num)} numbers read as {unit} but its {_fmt(n_text)} text values "
                      f"are not times (e.g. {shown})")
    formats = (*(f for f in text_decision.formats if f != unit), unit)
    parse = compile_time_formats(formats)
    parsed: list[str] = []
    bad: list = []
    bad_count = 0
    num_counts = Counter(nums)
    for counts in (num_counts, texts):
        for v, c in counts.items():
            try:
                parsed.append(parse(v))
            except (ValueError, OverflowError, OSError):
                bad.append(v)
                bad_count += c
    total = n_num + n_text
    times = total - bad_count
    if times < TIME_SHARE * total:
        return None, (f"not a timestamp: only {_fmt(times)}/{_fmt(total)} values are times (numbers as {unit}, text in "
                      f"{', '.join(text_decision.formats)}; at least {TIME_SHARE:.0%} needed); "
                      f"others: {_shown(list(map(str, bad[:5])))}")
    num_ok = n_num - sum(num_counts[v] for v in bad if type(v) is not str)
    text_ok = times - num_ok
    fmts = ", ".join("RFC 3339" if f == "rfc3339" else repr(f) for f in text_decision.formats)
    why = (f"{_fmt(times)}/{_fmt(total)} values are times: {_fmt(num_ok)} JSON numbers read as {unit} and {_fmt(text_ok)} "
           f"text values in {fmts} → timestamp with timeFormats {list(formats)} (tried in order; Panther reads a "
           "JSON number only with a unix format)")
    if bad:
        why += (f"; {_fmt(bad_count)}/{_fmt(total)} values are not times: {_shown(list(map(str, bad[:5])))} "
                "(Panther fails events whose value it cannot read as a time)")
    if empties:
        why += f"; {_fmt(empties)} empty values read as no time"
    return TimeDecision(formats, why, min(parsed), max(parsed), text_decision.yearless_note), ""


def indicator_decision(name: str, values: Iterable[str] | Counter) -> tuple[tuple[str, ...], str]:
    """(indicators, reason) by majority of the non-empty values; the reason also says why not, when it matters."""
    counts = _counted(values)
    if any(type(v) is not str or v != v.strip() or not v for v in counts):  # rare: Panther trims values
        clean: Counter[str] = Counter()
        for v, c in counts.items():
            if isinstance(v, str) and v.strip():
                clean[v.strip()] += c
        counts = clean
    if not counts:
        return (), ""
    total = sum(counts.values())
    low = name.lower()
    near_miss = ""
    # a spread probe of the distinct values rules out most recognisers cheaply; the rest are counted in full
    distinct = list(counts)
    probe = distinct[:: max(1, len(distinct) // 16)]  # a kind held by most values shows up here
    for ind, pred, label in RECOGNISERS:
        if len(probe) < len(distinct) and not any(pred(v) for v in probe):
            continue
        hits = sum(c for v, c in counts.items() if pred(v))
        if not hits:
            continue
        if ind in _HASHES or ind == "mac":  # hex ids and digests look alike: all values, and several of them
            if hits == total and (ind not in _HASHES or len(counts) >= 3):
                return (ind,), f"; all {_fmt(total)} values are {label} → indicator {ind}"
            continue
        if hits >= INDICATOR_SHARE * total:
            others = [v for v in counts if not pred(v)]
            inds = [ind]
            if ind == "ip" and any(is_domain(v) for v in others):
                inds.append("hostname")
            why = f"; {_fmt(hits)}/{_fmt(total)} values are {label}"
            if others:
                why += f"; others: {_shown(others[:3])} (Panther's scanners skip values that are not of the kind)"
            return tuple(inds), why + f" → indicators [{', '.join(inds)}]"
        if not near_miss:
            near_miss = f"; not an indicator: only {_fmt(hits)}/{_fmt(total)} values are {label} (most must be)"
    if len(probe) < len(distinct) and not any(is_domain(v) or is_ip(v) for v in probe):
        ips = domains = 0
    else:
        ips = sum(c for v, c in counts.items() if is_ip(v))
        domains = sum(c for v, c in counts.items() if not is_ip(v) and is_domain(v))
    if ips + domains >= INDICATOR_SHARE * total and ips and domains:
        return ("hostname",), f"; {_fmt(ips)} IPs and {_fmt(domains)} host names of {_fmt(total)} values → indicator hostname"
    if domains >= 0.9 * total and any(h in low for h in ("domain", "host", "fqdn", "server_name", "sni")):
        return ("domain",), f"; {_fmt(domains)}/{_fmt(total)} values are host names and the name says so → indicator domain"
    if near_miss:
        return (), near_miss
    for ind, hints in _NAME_HINTS.items():
        if any(h in low for h in hints) and (ind != "email" or "mail" in low):
            kind = {"ip": "IP addresses", "email": "e-mail addresses", "url": "URLs"}[ind]
            return (), f"; not an indicator: the name suggests {kind} but none of the {_fmt(total)} values is one"
    return (), ""
