"""What happened to every object a run read: the accounting every command and screen reports the same way.

A count is only true when it says what it does not include. `ObjectOutcomes` collects, per object, how its
bytes decoded (`Decoded.flags`: cut-off or corrupt compressed streams, caps, empty objects, binary content,
compression that does not match the key, lines cut at the line cap, invalid UTF-8 repaired), the objects
that could not be read at all, and whether its events' times are believable. `summary()` is the one
sentence after "parsed N events from M objects"; `problem_count()` is what `--strict` fails on.

It is a plain value (`to_json`/`from_json`, `merge`) so replay tasks can send theirs back from Dask workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from workbench.source.decode import Decoded
from workbench.wording import plural

# object flags after which some of the object's records were not read, with how to say it
INCOMPLETE = {
    "incomplete_compressed_stream": "{compression} stream ends early",
    "object_truncated": "only the first part was read",
    "decompressed_cap": "stopped at the decompression cap",
    "record_cap": "stopped at the per-object record cap",
    "trailing_garbage": "text after the JSON is not JSON",
}
SHOWN = 20  # objects named per kind in `details()`; the rest are counted
FUTURE_SLACK = timedelta(minutes=15)  # clock skew we accept before an event time is "in the future"
OLD_AFTER = timedelta(days=365 * 10)  # "decades old": older than ten years is a mis-parsed time, not history


@dataclass
class ObjectOutcomes:
    """Per-run accounting of objects: keys by kind, with the reason shown to the user."""

    objects: int = 0  # objects read (decoded or not)
    incomplete: dict[str, str] = field(default_factory=dict)  # key -> why some records are missing
    empty: list[str] = field(default_factory=list)
    binary: list[str] = field(default_factory=list)
    mismatched: dict[str, str] = field(default_factory=dict)  # key -> "the key says gzip but the content is zstd"
    lines_cut: dict[str, int] = field(default_factory=dict)  # key -> lines cut at the line cap
    utf8_repaired: dict[str, int] = field(default_factory=dict)  # key -> records with invalid UTF-8 replaced
    unreadable: dict[str, str] = field(default_factory=dict)  # key -> why it could not be fetched/decoded
    times: dict[str, str] = field(default_factory=dict)  # key -> why its event times look wrong
    # prefix -> [objects, why]: objects not parsed because of the source config (unmapped, no schema)
    skipped: dict[str, list] = field(default_factory=dict)
    # -- recording -------------------------------------------------------------------------------------

    def add_decoded(self, key: str, decoded: Decoded) -> None:
        """Record how one object decoded (call once per object)."""
        if decoded.error:
            self.add_unreadable(key, decoded.error)
            return
        self.add_flags(key, decoded.compression, decoded.flags, decoded.notes, len(decoded.records),
                       decoded.record_flags)

    def add_flags(self, key: str, compression: str, flags: tuple[str, ...], notes: tuple[str, ...], kept: int,
                  record_flags: dict[str, int] | None = None) -> None:
        """Record one decoded object from its flags (what a sample's `ObjectSummary` keeps)."""
        self.objects += 1
        record_flags = record_flags or {}
        if "empty" in flags:
            self.empty.append(key)
        if "binary" in flags:
            self.binary.append(key)
        reasons = [INCOMPLETE[f].format(compression=compression) for f in INCOMPLETE if f in flags]
        if reasons:
            self.incomplete[key] = f"{'; '.join(reasons)}: {plural(kept, 'record')} kept, the rest lost"
        if "compression_mismatch" in flags:
            note = next((n for n in notes if n.startswith("The key says")), "compression does not match the key")
            self.mismatched[key] = note.rstrip(".")
        if "line_truncated" in flags:
            self.lines_cut[key] = record_flags.get("line_truncated") or 1
        if "invalid_utf8" in flags:
            self.utf8_repaired[key] = record_flags.get("invalid_utf8") or 1

    @classmethod
    def of_sample(cls, result) -> ObjectOutcomes:
        """How a sample's objects decoded (a `SampleResult`: its per-object summaries and failures)."""
        out = cls()
        for s in result.summaries.values():
            out.add_flags(s.ref.key, s.compression, s.flags, s.notes, s.records, getattr(s, "record_flags", None))
        for f in result.failures:
            out.add_unreadable(f.ref.key, f.message)
        return out

    def check_times_by_object(self, events: list[dict], now: datetime | None = None) -> None:
        """`check_times` for events of many objects, grouped by their p_source_file key."""
        by_key: dict[str, list[dict]] = {}
        for e in events:
            src = e.get("p_source_file")
            key = src.get("aws_s3_key") if isinstance(src, dict) else None
            if key:
                by_key.setdefault(key, []).append(e)
        for key, evs in by_key.items():
            self.check_times(key, evs, now)

    def add_unreadable(self, key: str, message: str) -> None:
        self.objects += 1
        self.unreadable[key] = message

    def add_skipped(self, prefix: str, reason: str, n: int = 1) -> None:
        entry = self.skipped.setdefault(prefix, [0, reason])
        entry[0] += n

    def check_times(self, key: str, events: list[dict], now: datetime | None = None) -> str | None:
        """Flag `key` when its events' times are in the future, decades old, or all the parse time."""
        note = event_time_warning(events, now)
        if note:
            self.times[key] = note
        return note

    def merge(self, other: ObjectOutcomes) -> None:
        self.objects += other.objects
        self.incomplete.update(other.incomplete)
        # each object is recorded once per run (a resumed replay's objects and its new ones are disjoint), so
        # lists are joined, not searched: merging per object must stay linear over a long replay
        self.empty += other.empty
        self.binary += other.binary
        self.mismatched.update(other.mismatched)
        self.lines_cut.update(other.lines_cut)
        self.utf8_repaired.update(other.utf8_repaired)
        self.unreadable.update(other.unreadable)
        self.times.update(other.times)
        for p, (n, why) in other.skipped.items():
            self.add_skipped(p, why, n)

    # -- reporting -------------------------------------------------------------------------------------

    def problem_count(self) -> int:
        """Objects whose records were not all read as they are: what `--strict` fails on."""
        keys = (set(self.incomplete) | set(self.empty) | set(self.binary) | set(self.mismatched)
                | set(self.lines_cut) | set(self.utf8_repaired) | set(self.unreadable))
        return len(keys) + self.skipped_objects()

    def skipped_objects(self) -> int:
        return sum(n for n, _ in self.skipped.values())

    def summary(self) -> str:
        """The clause after "parsed N events from M objects": "" when every object read cleanly."""
        parts = []
        if self.incomplete:
            reasons = sorted({r.split(":")[0] for r in self.incomplete.values()})
            parts.append(f"{plural(len(self.incomplete), 'object')} incomplete ({'; '.join(reasons)})")
        if self.unreadable:
            parts.append(f"{len(self.unreadable):,} unreadable")
        if self.empty:
            parts.append(f"{len(self.empty):,} empty")
        if self.binary:
            parts.append(f"{len(self.binary):,} binary (not read)")
        if self.mismatched:
            parts.append(f"{len(self.mismatched):,} with compression not matching the key")
        if self.lines_cut:
            parts.append(f"{plural(sum(self.lines_cut.values()), 'line')} cut at the line cap "
                         f"in {plural(len(self.lines_cut), 'object')}")
        if self.utf8_repaired:
            parts.append(f"invalid UTF-8 repaired in {plural(len(self.utf8_repaired), 'object')}")
        if self.times:
            parts.append(f"{plural(len(self.times), 'object')} with doubtful event times")
        if self.skipped:
            parts.append(f"{plural(self.skipped_objects(), 'object')} not parsed (source config: "
                         f"{', '.join(sorted(self.skipped))})")
        return ", ".join(parts)

    def details(self, shown: int = SHOWN) -> list[str]:
        """One line per affected object (at most `shown` per kind, then a count of the rest)."""
        out: list[str] = []

        def kind(label: str, items: list[tuple[str, str]]) -> None:
            for k, why in items[:shown]:
                out.append(f"{label}: {k}" + (f": {why}" if why else ""))
            if len(items) > shown:
                out.append(f"{label}: … and {len(items) - shown:,} more")

        kind("incomplete", sorted(self.incomplete.items()))
        kind("unreadable", sorted(self.unreadable.items()))
        kind("empty", [(k, "") for k in sorted(self.empty)])
        kind("binary", [(k, "binary content, not read as text") for k in sorted(self.binary)])
        kind("compression", sorted(self.mismatched.items()))
        kind("lines cut", [(k, f"{plural(n, 'line')} cut at the line cap") for k, n in sorted(self.lines_cut.items())])
        kind("invalid UTF-8", [(k, f"{plural(n, 'record')} repaired (U+FFFD)") for k, n in sorted(self.utf8_repaired.items())])
        kind("event time", sorted(self.times.items()))
        return out

    def to_json(self) -> dict:
        return {"objects": self.objects, "incomplete": dict(self.incomplete), "unreadable": dict(self.unreadable),
                "empty": list(self.empty), "binary": list(self.binary), "compression_mismatch": dict(self.mismatched),
                "lines_cut": dict(self.lines_cut), "invalid_utf8_repaired": dict(self.utf8_repaired),
                "event_time_warnings": dict(self.times), "not_parsed": {p: {"objects": n, "reason": why}
                                                                      for p, (n, why) in self.skipped.items()},
                "problems": self.problem_count()}

    def compact(self) -> dict | None:
        """`to_json` without the empty parts and totals (what a replay keeps per object), None when clean."""
        d = {k: v for k, v in self.to_json().items() if v and k not in ("objects", "problems")}
        return d or None

    @classmethod
    def from_json(cls, d: dict) -> ObjectOutcomes:
        return cls(objects=d.get("objects", 0), incomplete=dict(d.get("incomplete", {})),
                   empty=list(d.get("empty", [])), binary=list(d.get("binary", [])),
                   mismatched=dict(d.get("compression_mismatch", {})), lines_cut=dict(d.get("lines_cut", {})),
                   utf8_repaired=dict(d.get("invalid_utf8_repaired", {})), unreadable=dict(d.get("unreadable", {})),
                   times=dict(d.get("event_time_warnings", {})),
                   skipped={p: [v["objects"], v["reason"]] for p, v in d.get("not_parsed", {}).items()})


def event_time_warning(events: list[dict], now: datetime | None = None) -> str | None:
    """Why one object's event times are not believable, or None.

    `p_event_time` and `p_parse_time` are Panther's timestamp text ("2024-05-01 10:00:00.000000000"), which
    sorts like the time it names, so bounds are compared as text.
    """
    from workbench.schema.timeformats import ns_to_text

    if not events:
        return None
    now = now or datetime.now(UTC)
    future = ns_to_text(int((now + FUTURE_SLACK).timestamp() * 1e9))
    old = ns_to_text(int((now - OLD_AFTER).timestamp() * 1e9))
    first = events[0]
    if first.get("p_event_time") == first.get("p_parse_time") and \
            all(e.get("p_event_time") == e.get("p_parse_time") for e in events):
        return "every event time is the parse time (no event time in the schema or the data)"
    times: list = [e.get("p_event_time") for e in events]
    try:
        if min(times) >= old and max(times) <= future:  # the common case, at C speed
            return None
    except TypeError:  # an event without a text time: count one by one
        pass
    n_future = n_old = 0
    for ev, t in zip(events, times, strict=True):
        if not isinstance(t, str) or t == ev.get("p_parse_time"):
            continue
        if t > future:
            n_future += 1
        elif t < old:
            n_old += 1
    n = len(events)
    notes = []
    if n_future:
        notes.append(f"{plural(n_future, 'event')} of {n:,} in the future")
    if n_old:
        notes.append(f"{plural(n_old, 'event')} of {n:,} more than ten years old")
    return "; ".join(notes) or None
