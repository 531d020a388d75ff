"""One announced object → parsed events and parse errors (fetch, decode, parse), plus drift observations.

This is the per-object step the live tail runs on its fetch pool. It uses the shared core (`s3.fetch_one`,
`decode.decode_object`, `parse.parsers_for_source`) so live events are exactly what `workbench parse` gives.
Failures are values: a missing object or an undecodable one becomes one parse error with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from workbench.config import Config, Source
from workbench.events.config_check import available_log_types, mapped_prefix, top_folder, unusable_log_types
from workbench.events.outcomes import ObjectOutcomes
from workbench.live.drift import DriftTracker
from workbench.live.envelopes import Notification
from workbench.model import FetchFailure, ObjectRef
from workbench.parse import ParseError, parsers_for_source
from workbench.source.decode import decode_object
from workbench.source.s3 import fetch_one

DRIFT_SAMPLE = 100  # records per object checked for drift: enough to see new fields, cheap at high rates
MAX_LIVE_READ = 64 * 1024 * 1024  # per-object read cap in live mode (larger objects get a ranged GET)


@dataclass
class ObjectResult:
    """What one object gave: events (dicts with p_ fields) and (line, log_type, reason, text) errors."""

    notification: Notification
    received_at: float
    events: list[dict] = field(default_factory=list)
    errors: list[tuple[int, str, str, str]] = field(default_factory=list)
    failure: str | None = None  # the object could not be fetched at all
    decode: ObjectOutcomes = field(default_factory=ObjectOutcomes)  # incomplete / empty / binary / event times
    skipped: str | None = None  # not parsed because of the source config (the prefix or folder), reported once


class ObjectProcessor:
    """Compiles the source's schemas once; `process()` is safe to call from several threads."""

    def __init__(self, config: Config, source: Source, aws, drift: DriftTracker | None = None,
                 *, max_bytes: int = MAX_LIVE_READ) -> None:
        self.config = config
        self.source = source
        self.aws = aws
        self.drift = drift
        self.max_bytes = max_bytes
        self.parse = parsers_for_source(config, source)
        self.unusable = unusable_log_types(source, available_log_types(config))

    def process(self, n: Notification, received_at: float) -> ObjectResult:
        out = ObjectResult(n, received_at)
        ref = ObjectRef(n.bucket, n.key, n.size, None, n.etag)
        ref, got = fetch_one(self.aws.client("s3"), ref, self.max_bytes)
        if isinstance(got, FetchFailure):
            out.failure = got.message
            return out
        if not self.source.log_types_for(ref.key):
            out.skipped = top_folder(ref.key)
            out.decode.add_skipped(out.skipped, "under no mapped prefix")
            return out
        prefix = mapped_prefix(self.source, ref.key)
        if prefix in self.unusable:
            out.skipped = prefix
            out.decode.add_skipped(prefix, self.unusable[prefix])
            return out
        decoded = decode_object(got, ref, stream=self.source.stream or "auto")
        out.decode.add_decoded(ref.key, decoded)
        if decoded.error:
            out.errors.append((0, "", f"cannot decode {ref.uri}: {decoded.error}", ""))
            return out
        parse = self.parse
        checked = 0
        for rec in decoded.records:
            parsed = parse(rec)
            if parsed is None:
                continue
            if type(parsed) is dict:
                out.events.append(parsed)
                log_type = parsed.get("p_log_type", "")
            elif isinstance(parsed, ParseError):
                fld = f"field {parsed.field}: " if parsed.field else ""
                out.errors.append((parsed.line, parsed.log_type, fld + parsed.reason, rec.text[:500]))
                log_type = parsed.log_type  # a type conflict usually shows up here first
            else:
                continue
            if checked < DRIFT_SAMPLE and self.drift is not None and self.drift.knows(log_type):
                checked += 1
                self._observe(log_type, rec.text)
        out.decode.check_times(ref.key, out.events)
        return out

    def _observe(self, log_type: str, text: str) -> None:
        try:
            raw = orjson.loads(text)
        except orjson.JSONDecodeError:
            return
        if self.drift is not None:
            self.drift.observe(log_type, raw)
