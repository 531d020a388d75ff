"""The function Dask workers run: fetch a task's objects, decode and parse them with the source's schemas,
run the rules, and return counts — the same core calls the rest of the workbench makes, per object.

A task carries no credentials: it names the source (bucket, region, profile, role ARN, endpoint, the path
of a credentials file) and each worker builds its own AWS session from that, with the worker's own
credential chain. The AWS session is built once per worker process, the rule engine and the parsers once
per worker thread (the engine owns one rule process and its pipe), and every task reuses them; they are
rebuilt when the rules or schemas on disk change.

Nothing one object does stops the task: an object that cannot be read, decoded or parsed is an outcome
with an error, and a rule that raises is counted as that rule's error.
"""

from __future__ import annotations

import atexit
import importlib
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.config import Config, Source
from workbench.errors import WorkbenchError
from workbench.model import FetchFailure, ObjectRef
from workbench.replay.tally import (
    ObjectOutcome,
    RuleSamples,
    TaskResult,
    add_message,
    keep_earliest,
    sample_order,
)
from workbench.safetext import one_line

FETCH_THREADS = 4  # concurrent GETs inside one task: hides S3 latency behind parsing
MAX_OBJECT_BYTES = 256 * 1024 * 1024  # read whole objects (replay must not sample a prefix of one)
SAMPLE_EVENT_CHARS = 4096  # an alert sample keeps its event when its JSON is at most this long


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """Everything a worker needs for one task. Plain data, safe to pickle: names and paths, never secrets."""

    task_id: int
    refs: tuple[ObjectRef, ...]
    config: Config
    source: Source
    rules_dir: str
    rule_ids: tuple[str, ...] = ()
    rules_signature: str = ""  # changes when rule files change, so workers reload them
    schemas_signature: str = ""  # the same for schema files
    sample_alerts: int = 5
    rule_timeout: float = 1.0
    # the window as p_event_time text [since, until): events outside it are counted, not run (None: open)
    event_since: str | None = None
    event_until: str | None = None


# -- per-worker-process state ------------------------------------------------------------------------------

_lock = threading.Lock()
_sessions: dict[Source, object] = {}
_engines: dict[tuple, object] = {}
_parsers: dict[tuple, object] = {}
_unusable: dict[tuple, dict[str, str]] = {}


def _aws_for(source: Source):
    from workbench.aws import AwsSession

    with _lock:
        aws = _sessions.get(source)
        if aws is None:
            aws = _sessions[source] = AwsSession(source)
        return aws


def _parser_for(spec: TaskSpec):
    """The source's record parser (schemas compiled once per worker thread and schema version)."""
    from workbench.parse import parsers_for_source

    thread = threading.get_ident()
    key = (thread, str(spec.config.path), spec.config.schema_dirs, spec.source, spec.schemas_signature)
    with _lock:
        parse = _parsers.get(key)
        if parse is None:
            for old_key in [k for k in _parsers if k[0] == thread]:
                del _parsers[old_key]  # one config per thread at a time: drop stale schemas
            parse = _parsers[key] = parsers_for_source(spec.config, spec.source)
        return parse


def _unusable_for(spec: TaskSpec) -> dict[str, str]:
    """prefix -> why its objects cannot be parsed (mapped to a log type without a schema), once per schema
    version: such objects are counted per prefix, not parsed into one error per line."""
    from workbench.events.config_check import available_log_types, unusable_log_types

    key = (spec.config.schema_dirs, spec.source, spec.schemas_signature)
    with _lock:
        got = _unusable.get(key)
    if got is None:
        got = unusable_log_types(spec.source, available_log_types(spec.config))
        with _lock:
            _unusable[key] = got
    return got


def _engine_for(spec: TaskSpec):
    """The rule engine for this task's rules, loaded once per worker thread and per version of the rules.

    Per thread because one engine talks to one rule process over one pipe: a worker started with several
    threads runs several tasks at once, and each needs its own."""
    thread = threading.get_ident()
    key = (thread, spec.rules_dir, spec.rule_ids, spec.rules_signature, spec.rule_timeout)
    with _lock:
        engine = _engines.get(key)
        if engine is not None:
            return engine
        for old_key in [k for k in _engines if k[:3] == key[:3]]:
            _close(_engines.pop(old_key))
        engine = _engines[key] = load_rules(spec.rules_dir, spec.rule_ids, timeout=spec.rule_timeout)
        return engine


def load_rules(rules_dir: str, rule_ids: tuple[str, ...] = (), *, timeout: float = 1.0):
    """A `workbench.detections.RuleEngine` for `rules_dir`, limited to `rule_ids` when given."""
    from workbench.detections import RuleEngine

    if not Path(rules_dir).is_dir():
        raise WorkbenchError(f"The rules directory {rules_dir} does not exist on {socket.gethostname()}: "
                             "every worker needs the rules at the same path (see docs/replay.md).")
    engine = RuleEngine(rules_dir, timeout=timeout)
    if rule_ids:
        known = {r.rule_id for r in engine.rules}
        missing = sorted(set(rule_ids) - known)
        if missing:
            engine.close()
            raise WorkbenchError(f"No rule {missing[0]!r} in {rules_dir} (it has {len(known)} rules).")
    return engine


def rule_settings(engine, rule_ids: tuple[str, ...] = ()) -> dict[str, tuple[int, int]]:
    """rule_id -> (DedupPeriodMinutes, Threshold) of every rule the replay runs: enabled streaming rules
    (disabled ones do not run in Panther either), limited to `rule_ids` when given."""
    return {r.rule_id: (r.dedup_period_minutes, r.threshold) for r in engine.rules
            if r.enabled and r.analysis_type == "rule" and (not rule_ids or r.rule_id in rule_ids)}


def _close(engine) -> None:
    try:
        engine.close()
    except Exception:  # a worker shutting down: nothing left to tell
        pass


@atexit.register
def _close_all() -> None:
    for engine in list(_engines.values()):
        _close(engine)
    _engines.clear()


def warm_up(spec: TaskSpec) -> str:
    """Build this worker's AWS session and S3 client, rule engine and parsers before the first task (run on
    every worker as a task pinned to it): start-up cost is paid up front, and a worker that lacks the rules, the schemas or
    workbench itself fails here with one clear sentence instead of in every task."""
    _aws_for(spec.source).client("s3")  # the S3 client (service model, endpoint) too, not in the first task
    _ = _engine_for(spec).rules  # loads the rules into the engine's rule process
    _parser_for(spec)
    _unusable_for(spec)
    for module in ("workbench.detections.grouping", "workbench.events.outcomes", "workbench.events.pipeline"):
        importlib.import_module(module)  # what run_task imports: loaded here, not in the first task
    return f"{socket.gethostname()}:{os.getpid()}"


# -- the task ------------------------------------------------------------------------------------------------

def run_task(spec: TaskSpec) -> TaskResult:
    """Replay one task's objects; returns per-object outcomes, grouped matches and samples."""
    from workbench.detections.grouping import AlertGrouper
    from workbench.events.config_check import mapped_prefix
    from workbench.events.outcomes import ObjectOutcomes
    from workbench.events.pipeline import events_from_object
    from workbench.source.s3 import fetch_objects

    started = time.perf_counter()
    aws = _aws_for(spec.source)
    engine = _engine_for(spec)
    parse = _parser_for(spec)
    result = TaskResult(spec.task_id, grouper=AlertGrouper(rule_settings(engine, spec.rule_ids)),
                        worker=f"{socket.gethostname()}:{os.getpid()}")
    order = {ref.key: i for i, ref in enumerate(spec.refs)}
    outcomes: dict[str, ObjectOutcome] = {}
    unusable = _unusable_for(spec)
    refs = []
    for ref in spec.refs:
        prefix = mapped_prefix(spec.source, ref.key)
        if prefix is not None and prefix in unusable:
            skipped = ObjectOutcomes()
            skipped.add_skipped(prefix, unusable[prefix])
            outcomes[ref.key] = ObjectOutcome(ref.key, ref.etag, ref.size, decode=skipped.compact())
        else:
            refs.append(ref)
    for ref, got in fetch_objects(aws, refs, workers=FETCH_THREADS, max_bytes=MAX_OBJECT_BYTES):
        if isinstance(got, FetchFailure):
            outcomes[ref.key] = ObjectOutcome(ref.key, ref.etag, ref.size, error=one_line(got.message, 300))
            continue
        decode = ObjectOutcomes()
        try:
            parsed = events_from_object(spec.config, spec.source, ref, got, parse=parse, outcomes=decode)
        except Exception as e:  # a bad object is an error outcome, never the end of the task
            outcomes[ref.key] = ObjectOutcome(ref.key, ref.etag, ref.size,
                                              error=one_line(f"Cannot parse {ref.uri}: {e}", 300))
            continue
        unreadable = _object_error(parsed)
        if unreadable:
            outcomes[ref.key] = ObjectOutcome(ref.key, ref.etag, ref.size, error=one_line(unreadable, 300),
                                              decode=decode.compact())
            continue
        events = [e for e in parsed if isinstance(e, dict)]
        kept = in_window_events(events, spec.event_since, spec.event_until)
        run_rules(engine, kept, ref, result, spec.sample_alerts)
        outcomes[ref.key] = ObjectOutcome(ref.key, ref.etag, max(ref.size, len(got)), len(kept),
                                          len(parsed) - len(events), outside_window=len(events) - len(kept),
                                          decode=decode.compact())
    result.objects = sorted(outcomes.values(), key=lambda o: order.get(o.key, 0))
    result.elapsed_s = time.perf_counter() - started
    return result


def in_window_events(events: list[dict], since: str | None, until: str | None) -> list[dict]:
    """Events whose p_event_time text is in [since, until). An event without a time of its own (p_event_time
    is its parse time) belongs to its object, which the listing already placed in the window."""
    if since is None and until is None:
        return events
    out = []
    for e in events:
        t = e.get("p_event_time")
        if not isinstance(t, str) or t == e.get("p_parse_time") or \
                ((since is None or t >= since) and (until is None or t < until)):
            out.append(e)
    return out


def _object_error(parsed: list) -> str | None:
    """The pipeline reports an object it could not decode as one ParseError at line 0 with no field."""
    if len(parsed) == 1 and not isinstance(parsed[0], dict):
        err = parsed[0]
        if getattr(err, "line", None) == 0 and not getattr(err, "field", "") and not getattr(err, "log_type", ""):
            return str(getattr(err, "reason", err))
    return None


def run_rules(engine, events: list[dict], ref: ObjectRef, result: TaskResult, sample_limit: int) -> None:
    """Run the rules over one object's events into `result` (rules outside its grouper's settings are
    dropped: --rule-id, disabled rules)."""
    if not events:
        return
    wanted = result.grouper.settings
    position = {id(e): i for i, e in enumerate(events)}
    for res in engine.run_events(events):
        if res.rule_id not in wanted:
            continue
        result.grouper.add(res)
        if res.error:
            add_message(result.samples.setdefault(res.rule_id, RuleSamples()).errors, one_line(res.error, 300))
        if res.matched:
            samples = result.samples.setdefault(res.rule_id, RuleSamples())
            event = res.event if isinstance(res.event, dict) else {}
            index = position.get(id(res.event), 0)
            if len(samples.alerts) < sample_limit or \
                    (str(event.get("p_event_time") or ""), ref.key, index) < sample_order(samples.alerts[-1]):
                keep_earliest(samples.alerts, [_alert_sample(res, event, ref, index)], sample_limit)


def _alert_sample(res, event: dict, ref: ObjectRef, index: int) -> dict:
    """What the drill-down shows for one alert: where it came from, title, dedup, context, the event."""
    import orjson

    raw = orjson.dumps(event, default=str, option=orjson.OPT_NON_STR_KEYS)
    return {
        "time": str(event.get("p_event_time") or ""),
        "key": ref.key,
        "index": index,
        "title": res.title,
        "dedup": res.dedup,
        "severity": res.severity,
        "alert_context": res.alert_context,
        "event": orjson.loads(raw) if len(raw) <= SAMPLE_EVENT_CHARS else raw[:SAMPLE_EVENT_CHARS].decode("utf-8", "replace"),
    }
