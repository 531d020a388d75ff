"""Choosing the event time among a schema's top-level timestamp fields, deliberately and with reasons."""

from __future__ import annotations

from workbench.infer.shapes import _BEST_TIME_NAMES, _fmt, _time_hint
from workbench.schema import Field
from workbench.schema.timedetect import is_yearless


def _date_only(fmt: str) -> bool:
    return not fmt.startswith(("rfc3339", "unix")) and not any(d in fmt for d in ("%H", "%I", "%T", "%c", "%s"))


def mark_event_time(fields: tuple[Field, ...], shapes: list, total: int, explanations: dict[str, str],
                    notes: list[str]) -> tuple[Field, ...]:
    """Mark the event-time fields: the best-covering top-level timestamp, then others only where they cover events
    it misses (never a near-duplicate name of one already chosen)."""
    candidates = [f for f in fields if f.type == "timestamp"]
    if not candidates:
        return fields
    # which events (by shape) have each candidate with a value
    has: dict[int, int] = {}
    covers: dict[str, set[int]] = {f.name: set() for f in candidates}
    for i, (c, rep) in enumerate(shapes):
        for f in candidates:
            if rep.get(f.name) not in (None, ""):
                covers[f.name].add(i)
        has[i] = c
    weights = list(has.values())

    def rank(f: Field) -> tuple:
        n = f.name.lower()
        best = _BEST_TIME_NAMES.index(n) if n in _BEST_TIME_NAMES else len(_BEST_TIME_NAMES)
        # a date without a time of day (a version date, a birthday) makes a poor event time; so does a year-less one
        coarse = all(_date_only(t) for t in f.time_formats) or all(is_yearless(t) for t in f.time_formats)
        return (coarse, -sum(weights[i] for i in covers[f.name]), not _time_hint(f.name), best)

    chosen: list[str] = []
    covered: set[int] = set()
    def norm(name: str) -> str:
        return name.lower().replace("_", "").replace("-", "")

    for f in sorted(candidates, key=rank):
        gain = covers[f.name] - covered
        if chosen and gain and norm(f.name) in {norm(c) for c in chosen}:
            notes.append(f"{f.name!r} is not used as event time: it is a near-duplicate of {chosen[0]!r}.")
            continue
        if not chosen or gain:
            if not chosen and not _time_hint(f.name) and len(candidates) > 1:
                hinted = [c for c in candidates if _time_hint(c.name)]
                if hinted:
                    continue
            chosen.append(f.name)
            covered |= covers[f.name]
    total_covered = sum(weights[i] for i in covered)
    out = []
    for f in fields:
        if f.name in chosen:
            n = sum(weights[i] for i in covers[f.name])
            others = [c for c in chosen if c != f.name]
            why = (f"event time: {f.name!r} has a value in {_fmt(n)}/{_fmt(total)} events"
                   + (f"; together with {', '.join(others)} it covers {_fmt(total_covered)}/{_fmt(total)}" if others else ""))
            path = f.name
            explanations[path] = explanations.get(path, "") + "; " + why
            out.append(Field(f.name, f.type, required=f.required, description=f.description, time_formats=f.time_formats,
                             is_event_time=True))
        else:
            out.append(f)
    runner_up = [c.name for c in candidates if c.name not in chosen]
    if runner_up:
        notes.append(f"Other timestamp fields not used as event time: {', '.join(runner_up)}.")
    if total_covered < total:
        notes.append(f"{_fmt(total - total_covered)} events have no event-time field; their p_event_time will be the parse time.")
    return tuple(out)
