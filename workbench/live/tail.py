"""The live pipeline: notifications → concurrent fetch/decode/parse → rules → the bounded buffer.

Three kinds of thread, each with one job:

* the *receiver* asks the notification source for messages (short long-polls), unwraps them, drops
  duplicates (moto and S3 may announce an object twice) and hands each object to the fetch pool, waiting
  when too many are in flight (backpressure: the queue, not our memory, holds the backlog);
* the *fetch pool* (`workers` threads) fetches, decodes and parses objects (`ObjectProcessor`);
* the *sink* runs the rules on each object's events (the rule engine is a separate process) and appends
  events, alerts and parse errors to the `LiveBuffer` in one place, so sequence numbers stay ordered.

`LiveTail` is used by `workbench tail` and the Live screen alike; neither imports the other.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.aws import AwsSession
from workbench.config import Config, Source
from workbench.errors import WorkbenchError
from workbench.live.buffer import ALERT, DEFAULT_SIZE, EVENT, PARSE_ERROR, LiveBuffer, LiveItem
from workbench.live.drift import DriftTracker
from workbench.live.envelopes import MALFORMED, OBJECTS, Notification
from workbench.live.process import ObjectProcessor, ObjectResult
from workbench.live.source_base import LiveSource
from workbench.live.sources import choose_mode, make_source
from workbench.safetext import one_line
from workbench.wording import plural

if TYPE_CHECKING:
    from workbench.detections import RuleEngine

DEFAULT_WORKERS = 8
_STOP = object()


def live_settings(config: Config) -> dict[str, Any]:
    """The config's `live:` section with defaults: buffer_size, workers, poll_interval, rule_timeout."""
    raw = config.extra.get("live") or {}
    if not isinstance(raw, dict):
        raise WorkbenchError("The config's `live:` section must be a mapping, e.g. `live: {buffer_size: 10000}`.")
    out = {"buffer_size": DEFAULT_SIZE, "workers": DEFAULT_WORKERS, "poll_interval": 2.0, "rule_timeout": 1.0}
    for key, cast in (("buffer_size", int), ("workers", int), ("poll_interval", float), ("rule_timeout", float)):
        if key in raw:
            try:
                out[key] = cast(raw[key])
            except (TypeError, ValueError):
                raise WorkbenchError(f"`live.{key}` in the config must be a number.") from None
    unknown = sorted(set(raw) - set(out))
    if unknown:
        raise WorkbenchError(f"Unknown key `live.{unknown[0]}` in the config; expected one of: {', '.join(out)}.")
    return out


class LiveTail:
    """Start with `start()` (or `with LiveTail(...) as tail:`); read `tail.buffer`; `stop()` cleans up.

    `rules_dir=None` uses the config's rules directory; pass `use_rules=False` to skip rules entirely.
    `on_status(level, line)` receives plain status lines (also kept in `tail.status`). `notifications` is
    an already-built `LiveSource` to read instead of the one the mode would create.
    """

    def __init__(self, config: Config, source: Source, *, mode: str | None = None, rules_dir: str | Path | None = None,
                 use_rules: bool = True, buffer_size: int | None = None, workers: int | None = None,
                 aws: AwsSession | None = None, on_status: Callable[[str, str], object] | None = None,
                 notifications: LiveSource | None = None) -> None:
        settings = live_settings(config)
        self.config = config
        self.source = source
        self.mode, self.reason = choose_mode(source, mode)
        self.aws = aws or AwsSession(source)
        self.buffer = LiveBuffer(buffer_size or settings["buffer_size"])
        self.workers = max(1, workers or settings["workers"])
        self.rule_timeout = settings["rule_timeout"]
        self.rules_dir = Path(rules_dir) if rules_dir else config.rules_dir
        self.use_rules = use_rules
        self.status: tuple[str, str] = ("info", f"Live mode {self.mode}: {self.reason}.")
        self._on_status = on_status
        self.drift = DriftTracker(self._schemas())
        self.engine: RuleEngine | None = None
        self.rules_note = "rules off"
        # `notifications` replaces the AWS-backed source (tests and replays of recorded messages)
        self._source: LiveSource = notifications or make_source(self.aws, source, self.mode, self._status,
                                                                poll_interval=settings["poll_interval"])
        self._cancel = threading.Event()
        self._results: queue.Queue = queue.Queue()
        # objects between "accepted" and "in the buffer": bounds the events held in flight (an object can
        # hold thousands), so memory stays flat when rules are slower than fetching
        self._inflight = threading.Semaphore(self.workers + 4)
        self._seen: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._skipped_seen: set[str] = set()  # prefixes already reported as not parsed
        self._pool: ThreadPoolExecutor | None = None
        self._threads: list[threading.Thread] = []
        self._processor: ObjectProcessor | None = None
        self._started = False
        self._stopped = False
        # start() and stop() never overlap: a stop() from another thread during start() waits for the queue to
        # exist and then removes it; a second stop() waits for the first to finish cleaning up
        self._lifecycle = threading.Lock()

    # -- set-up ----------------------------------------------------------------------------------------------
    def _schemas(self) -> dict:
        if not self.config.schema_dirs:
            return {}
        from workbench.schema import load_schema_dir

        try:
            return load_schema_dir([d for d in self.config.schema_dirs if Path(d).exists()])
        except WorkbenchError as e:
            self._status("warning", f"Drift detection off: {e}")
            return {}

    def _status(self, level: str, line: str) -> None:
        line = one_line(line, 600)
        self.status = (level, line)
        if level in ("warning", "error"):
            self.buffer.problem("status", level, line)
        if self._on_status is not None:
            self._on_status(level, line)

    def _load_rules(self) -> None:
        if not self.use_rules:
            self.rules_note = "rules off (--no-rules)"
            return
        if self.rules_dir is None or not Path(self.rules_dir).is_dir():
            where = self.rules_dir or "the config (no `rules:`)"
            self.rules_note = f"rules off: no rules directory at {where}"
            self._status("warning", f"Rules off: no rules directory at {where}; pass --rules DIR.")
            return
        from workbench.detections import RuleEngine

        try:
            engine = RuleEngine(self.rules_dir, timeout=self.rule_timeout)
            count = len(engine.rules)
        except WorkbenchError as e:
            self.engine = None
            self.rules_note = f"rules off: {e}"
            self._status("error", f"Rules off: {e}")
            return
        self.engine = engine
        self.rules_note = f"{plural(count, 'rule')} from {self.rules_dir}"
        invalid = len(engine.invalid)
        if invalid:
            self.rules_note += f" ({plural(invalid, 'invalid file')} skipped)"
            self._status("warning", f"Skipped {plural(invalid, 'invalid rule file')} in {self.rules_dir}; "
                                    "`workbench rules test` shows why.")

    def start(self) -> LiveTail:
        """Open the notification source (creating the temporary queue in own-queue mode) and start threads.

        After `stop()` (even one called while this waited) it does nothing."""
        with self._lifecycle:
            if self._started or self._stopped:
                return self
            self._start()
        return self

    def _start(self) -> None:
        self._started = True
        self._status("info", f"Live mode {self.mode}: {self.reason}.")
        self._processor = ObjectProcessor(self.config, self.source, self.aws, self.drift)
        self._load_rules()
        try:
            self._source.open()
        except BaseException:
            self._stopped = True
            self._close_engine()
            raise
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="live-fetch")
        for name, target in (("live-receiver", self._receive_loop), ("live-sink", self._sink_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    # -- receiver --------------------------------------------------------------------------------------------
    def _receive_loop(self) -> None:
        stats = self.buffer.stats
        while not self._cancel.is_set():
            try:
                batch = self._source.receive(self._cancel)
            except Exception as e:  # a bug in a source must not kill the tail silently
                self._status("error", f"Receiving notifications failed: {type(e).__name__}: {e}")
                self._cancel.wait(1.0)
                continue
            for r in batch:
                stats.messages += 1
                u = r.unwrapped
                if u.kind == MALFORMED:
                    stats.malformed += 1
                    self.buffer.problem("malformed", r.message_id, f"{u.reason}: {r.body_preview[:200]}")
                    continue
                if u.kind != OBJECTS:
                    stats.ignored += 1
                    self.buffer.problem("ignored", r.message_id, u.reason)
                    continue
                for n in u.notifications:
                    self._submit(n, r.received_at)

    def _submit(self, n: Notification, received_at: float) -> None:
        stats = self.buffer.stats
        if n.bucket != self.source.bucket:
            stats.ignored += 1
            self.buffer.problem("ignored", n.uri, f"object in another bucket than the source's ({self.source.bucket})")
            return
        if self.source.prefixes and not self.source.log_types_for(n.key):
            stats.ignored += 1
            self.buffer.problem("ignored", n.uri, "key outside the source's configured prefixes")
            return
        ident = (n.bucket, n.key, n.etag or "")
        if ident in self._seen:
            stats.duplicates += 1  # moto announces multipart uploads twice; SQS is at-least-once
            return
        self._seen[ident] = None
        if len(self._seen) > 20_000:
            self._seen.popitem(last=False)
        stats.objects += 1
        while not self._inflight.acquire(timeout=0.5):
            if self._cancel.is_set():
                return
        assert self._pool is not None and self._processor is not None
        try:
            fut = self._pool.submit(self._processor.process, n, received_at)
        except RuntimeError:  # pool shut down while stopping
            self._inflight.release()
            return
        fut.add_done_callback(self._done)

    def _done(self, fut) -> None:
        if fut.cancelled():
            self._inflight.release()
            return
        exc = fut.exception()
        if exc is not None:
            self._inflight.release()
            self.buffer.problem("fetch", "?", f"processing failed: {type(exc).__name__}: {exc}")
            return
        self._results.put(fut.result())  # the sink releases the slot once the events are in the buffer

    # -- sink ------------------------------------------------------------------------------------------------
    def _sink_loop(self) -> None:
        while True:
            res = self._results.get()
            if res is _STOP:
                return
            try:
                self._emit(res)
            except Exception as e:  # keep the tail alive; the problem is shown
                self.buffer.problem("fetch", res.notification.uri, f"{type(e).__name__}: {e}")
            finally:
                self._inflight.release()

    def _rule_results(self, events: list[dict]) -> dict[int, list]:
        """Matched/errored rule results per event (keyed by the event's id)."""
        out: dict[int, list] = {}
        if self.engine is None or not events:
            return out
        try:
            for r in self.engine.run_events(events):
                if r.matched or r.error:
                    out.setdefault(id(r.event), []).append(r)
        except Exception as e:
            self._status("error", f"Running rules failed: {e}")
        return out

    def _emit(self, res: ObjectResult) -> None:
        n = res.notification
        buf = self.buffer
        buf.stats.processed += 1
        if res.failure:
            buf.stats.fetch_failures += 1
            buf.problem("fetch", n.uri, res.failure)
            return
        self._note_outcomes(res)
        now = time.time()
        items: list[LiveItem] = []
        for line, log_type, reason, text in res.errors:
            items.append(LiveItem(buf.next_seq(), PARSE_ERROR, log_type, n.bucket, n.key, line=line, reason=reason,
                                  text=text, arrived=now, announced=res.received_at))
        hits = self._rule_results(res.events)
        now = time.time()
        for ev in res.events:
            results = hits.get(id(ev), ())
            matched = tuple(r.rule_id for r in results if r.matched)
            log_type = ev.get("p_log_type", "")
            items.append(LiveItem(buf.next_seq(), EVENT, log_type, n.bucket, n.key, event=ev, rules=matched,
                                  arrived=now, announced=res.received_at))
            for r in results:
                if r.error:
                    buf.stats.rule_errors += 1
                    buf.problem("rule_error", r.rule_id, r.error)
                if r.matched:
                    items.append(LiveItem(buf.next_seq(), ALERT, log_type, n.bucket, n.key, event=ev,
                                          rule_id=r.rule_id, title=r.title or r.rule_id, severity=r.severity or "",
                                          dedup=r.dedup or "", alert_context=r.alert_context, arrived=now,
                                          announced=res.received_at))
        buf.extend(items)

    def _note_outcomes(self, res: ObjectResult) -> None:
        """Decode outcomes into the buffer's accounting; one problem line per object (once per prefix for
        objects the config cannot parse), never one per line."""
        buf, n, d = self.buffer, res.notification, res.decode
        buf.add_outcomes(d)
        if res.skipped is not None:
            if res.skipped not in self._skipped_seen:
                self._skipped_seen.add(res.skipped)
                _n, why = d.skipped[res.skipped]
                buf.problem("config", res.skipped, f"objects here are not parsed: {why}")
                self._status("warning", f"objects under {res.skipped!r} are not parsed: {why} (reported once)")
            return
        for line in d.details():
            kind, _, rest = line.partition(": ")
            buf.problem("object" if kind != "event time" else "event_time", n.uri, rest.split(": ", 1)[-1])

    # -- stop ------------------------------------------------------------------------------------------------
    def _close_engine(self) -> None:
        if self.engine is not None:
            try:
                self.engine.close()
            except Exception:
                pass
            self.engine = None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop receiving, finish nothing more, remove what the source created (the temporary queue).

        Safe from any thread and idempotent; a concurrent call returns once the cleanup is done."""
        with self._lifecycle:
            if self._stopped:
                return
            self._stopped = True
            self._stop(timeout)

    def _stop(self, timeout: float) -> None:
        self._cancel.set()
        deadline = time.monotonic() + timeout
        receiver = self._threads[0] if self._threads else None
        if receiver is not None:
            receiver.join(max(0.1, deadline - time.monotonic()))
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            self._source.close()
        finally:
            self._results.put(_STOP)
            for t in self._threads[1:]:
                t.join(max(0.1, deadline - time.monotonic()))
            self._close_engine()

    @property
    def running(self) -> bool:
        return self._started and not self._stopped

    @property
    def created(self) -> dict[str, str | None]:
        """What this tail created in AWS (own-queue mode), for the status panel and tests."""
        return {"queue_url": getattr(self._source, "queue_url", None) if self.mode == "own-queue" else None,
                "subscription_arn": getattr(self._source, "subscription_arn", None)}

    def __enter__(self) -> LiveTail:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
