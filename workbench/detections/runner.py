"""Rules over events and over raw records: the runs of `RuleEngine` (a mixin, for the engine's worker,
lock and loaded content).

Each batch goes to the worker under the engine's lock, from its first request to its last frame, so
nothing else can read its replies; the results are built outside the lock. A call that costs the worker its
life is charged to its rule and event and the batch resumes from the last partial frame (see runs.py).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson

from workbench.detections.process import WorkerCrash, WorkerProcess
from workbench.detections.results import RuleResult, new_no_match
from workbench.detections.runs import BatchOutcome, Loaded, RunStats, Strikes
from workbench.detections.spec_types import RuleSpec
from workbench.errors import WorkbenchError

BATCH_EVENTS = 1000  # events per worker request: large enough to amortise the round trip
RECORDS_PER_BATCH = 1000  # raw records per worker request in run_objects
LOST_RETRIES = 3  # deaths outside any rule call (nobody to charge) before a batch's rest is given up
_new = object.__new__
_DONE = object()


class EventRuns:
    """`run_events` and `run_objects`; expects the engine's `_lock`, `_state`, `worker`, `max_strikes`,
    `last_run`, `_parsers_sent`, `_by_type`, `_ensure_loaded`, `_ensure_worker` and `_maybe_reload`."""

    _lock: threading.RLock
    _state: Loaded
    worker: WorkerProcess
    max_strikes: int
    last_run: RunStats
    _parsers_sent: dict[str, int]
    _by_type: dict[str, list[RuleSpec]]
    _ensure_loaded: Callable[..., Any]
    _ensure_worker: Callable[[Loaded], None]
    _maybe_reload: Callable[[], None]

    def rules_for(self, log_type: str | None) -> list[RuleSpec]:
        """Enabled rules whose LogTypes include `log_type`, in load order."""
        with self._lock:
            self._ensure_loaded()
            return list(self._by_type.get(log_type, ())) if log_type else []

    def _start_run(self, stats: RunStats | None, progress: Callable[[RunStats], None] | None
                   ) -> tuple[Loaded, RunStats, Strikes]:
        self._maybe_reload()
        with self._lock:
            self._ensure_loaded()
            state = self._state
        stats = stats if stats is not None else RunStats()
        self.last_run = stats
        strikes = Strikes(state.ordinals, self.max_strikes, stats,
                          (lambda: progress(stats)) if progress is not None else None)
        return state, stats, strikes

    def run_events(self, events: Iterable[Mapping], *, cancelled: Callable[[], bool] | None = None,
                   progress: Callable[[RunStats], None] | None = None,
                   stats: RunStats | None = None) -> Iterator[RuleResult]:
        """One RuleResult per enabled rule per event whose p_log_type it covers, in event order.

        A call that kills the worker is that rule's error on that event; the batch goes on from the last
        partial reply. A rule suspended after `max_strikes` gives `not_run` results for the rest of the run.
        `cancelled()` is checked while the worker works (the worker is killed when it turns true): the
        run then ends after the last event whose results are all in, with `stats.partial` set.
        `progress(stats)` is called after every batch and every strike; `stats` (or `engine.last_run`)
        holds the counts.
        """
        state, stats, strikes = self._start_run(stats, progress)
        # Pipelined: a driver thread sends the batches and builds their results (holding the engine's lock
        # for one batch at a time, never while waiting on this generator's consumer), while the consumer
        # works through the previous batch's results.
        out: queue.Queue = queue.Queue(maxsize=2)
        stop = threading.Event()

        def stopped() -> bool:
            return stop.is_set() or (cancelled is not None and cancelled())

        def put(item: Any) -> None:
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        def dumped(batch: list | None) -> tuple[list, bytes] | None:
            if batch is None:
                return None
            try:
                return batch, orjson.dumps(batch, default=str)
            except TypeError:  # a non-string key somewhere: that option doubles the cost, so only then
                return batch, orjson.dumps(batch, default=str, option=orjson.OPT_NON_STR_KEYS)

        finished = 0  # events the worker has finished in earlier batches (given out or not yet)

        def tick(done: int) -> None:
            stats.evaluated = finished + done
            if progress is not None:
                progress(stats)

        def drive() -> None:
            nonlocal finished
            try:
                batches = self._batches(events, state)
                upcoming = dumped(next(batches, None))
                pending: tuple[list, BatchOutcome] | None = None
                while upcoming is not None and not stop.is_set():
                    batch, body = upcoming
                    ready: dict[str, Any] = {}

                    def meanwhile(pending=pending, ready=ready) -> None:
                        # while the worker evaluates this batch: the previous one's results, the next one's body
                        if pending is not None:
                            ready["results"] = list(self._results(state, pending[0], pending[1], strikes))
                        ready["next"] = dumped(next(batches, None))

                    outcome = self._evaluate(state, b'"op":"events","events":' + body, len(batch), strikes,
                                             stopped, meanwhile=meanwhile, ticked=tick)
                    finished += outcome.stop
                    if "next" not in ready:  # never sent (cancelled first)
                        meanwhile()
                    if pending is not None:
                        put((ready["results"], pending[1]))
                    pending, upcoming = (batch, outcome), ready["next"]
                    if outcome.cancelled:
                        break
                if pending is not None:
                    put((list(self._results(state, pending[0], pending[1], strikes)), pending[1]))
            except BaseException as e:  # the consumer raises it
                put(e)
            finally:
                put(_DONE)

        driver = threading.Thread(target=drive, name="rules-run", daemon=True)
        driver.start()
        try:
            while True:
                item = out.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                results, outcome = item
                stats.events += outcome.stop
                yield from results
                if _reported(stats, outcome, progress):
                    break
        finally:
            stop.set()
            driver.join()

    def run_objects(self, objects: Iterable[Sequence[Any]], parser: tuple[str, str, dict], *,
                    cancelled: Callable[[], bool] | None = None, progress: Callable[[RunStats], None] | None = None,
                    stats: RunStats | None = None) -> Iterator[RuleResult]:
        """Rules over raw records: each item of `objects` is one object's Records (workbench.model.Record).

        The worker parses them itself, with the parse function that `parser` = (key, "module:function",
        kwargs) builds there (see workbench.events.pipeline.worker_parser), so each record crosses to it
        once, as text, and only matches and errors come back, with their events. Yields those alone, in
        event order; per rule the events it applied to and the events it did not run on (suspended) are in
        `stats.applied` and `stats.suspended`, the events and parse errors in `stats.events` and
        `stats.parse_errors`. Isolation, strikes, `cancelled` and `progress` as in `run_events`. Needs a
        worker that can import the factory (not one under another `python` without our dependencies).
        """
        state, stats, strikes = self._start_run(stats, progress)
        key, factory, args = parser
        parser_msg = orjson.dumps({"op": "parsers", "key": key, "factory": factory, "args": args}, default=str)
        head = b'"op":"records","parser":' + orjson.dumps(key) + b',"objects":'
        applied: dict[int, int] = {}
        ran: dict[int, int] = {}
        finished = 0

        def tick(done: int) -> None:
            stats.evaluated = finished + done
            if progress is not None:
                progress(stats)

        try:
            batches = _record_batches(objects)
            ahead: list = [_next_body(batches)]
            while ahead and ahead[0] is not None:
                batch, body = ahead.pop()

                def prefetch(ahead=ahead) -> None:  # the next records are read while the worker works
                    if not ahead:
                        ahead.append(_next_body(batches))

                outcome = self._evaluate(state, head + body, -1, strikes, cancelled, parser=(key, parser_msg),
                                         meanwhile=prefetch, ticked=tick)
                finished += outcome.stop
                if not outcome.cancelled:
                    prefetch()
                if outcome.error and outcome.error.startswith("building the parsers"):
                    raise WorkbenchError(f"The rule worker cannot parse records ({outcome.error}); "
                                         f"run without --python, or give it an interpreter with the "
                                         f"workbench installed.")
                stats.records += outcome.records or sum(len(lines) for _b, _k, lines in batch)
                stats.parse_errors += outcome.parse_errors
                room = 20 - len(stats.parse_error_sample)
                if room > 0:
                    stats.parse_error_sample += outcome.parse_error_sample[:room]
                for lt, n in outcome.types.items():
                    for spec in state.by_type.get(lt, ()):
                        o = _ordinal(state, spec)
                        applied[o] = applied.get(o, 0) + n
                for o, n in outcome.ran.items():
                    ran[o] = ran.get(o, 0) + n
                yield from self._record_results(state, outcome)
                stats.events += outcome.stop
                if outcome.error:
                    stats.errors.append(f"{max(outcome.size, 0) - outcome.done:,} events (or their records) "
                                        f"not evaluated: {outcome.error}")
                if _reported(stats, outcome, progress):
                    return
        finally:
            for o, n in applied.items():
                spec = state.ordinals[o]
                stats.applied[spec.rule_id] = n
                if spec.rule_id in stats.suspended:
                    stats.suspended[spec.rule_id].not_run = n - ran.get(o, 0)

    def _record_results(self, state: Loaded, outcome: BatchOutcome) -> Iterator[RuleResult]:
        order = {o: k for k, o in enumerate(state.ordinals)}
        keys = sorted({*outcome.got, *outcome.crashed}, key=lambda k: (k[0], order.get(k[1], 0)))
        for i, o in keys:
            if i >= outcome.stop or o not in state.ordinals:
                continue
            spec = state.ordinals[o]
            event = outcome.events.get(i)
            entry = outcome.got.get((i, o))
            if entry is not None:
                yield _result(spec, entry[0], entry[1], event)
            else:
                yield RuleResult(spec.rule_id, False, error=f"rule: {outcome.crashed[(i, o)]}", event=event)

    def run_event(self, event: Mapping) -> list[RuleResult]:
        return list(self.run_events([event]))

    def _batches(self, events: Iterable[Mapping], state: Loaded) -> Iterator[list[Mapping]]:
        """Events in batches, keeping only those some enabled rule applies to."""
        by_type = state.by_type
        batch: list[Mapping] = []
        for event in events:
            # `type(...) is dict` first: isinstance against an ABC costs more than the rest of the loop
            if (type(event) is dict or isinstance(event, Mapping)) and event.get("p_log_type") in by_type:
                batch.append(event)
                if len(batch) >= BATCH_EVENTS:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _evaluate(self, state: Loaded, body: bytes, size: int, strikes: Strikes,
                  cancelled: Callable[[], bool] | None, parser: tuple[str, bytes] | None = None,
                  meanwhile: Callable[[], None] | None = None,
                  ticked: Callable[[int], None] | None = None) -> BatchOutcome:
        """One batch through the worker, resumed after every crash from the last partial reply, under the
        lock from its first request to its last frame. `body` is the request's JSON members without braces;
        `meanwhile()` runs once, right after the first request is sent (the caller's work overlaps the
        worker's); `ticked(done)` after every partial frame (progress within the batch)."""
        outcome = BatchOutcome(size)

        def absorb(frame: dict) -> None:
            outcome.absorb(frame, strikes)
            if ticked is not None:
                ticked(outcome.done)

        lost = 0
        with self._lock:
            while True:
                if cancelled is not None and cancelled():
                    outcome.cancelled = True
                    return outcome
                for o in sorted(strikes.suspended):
                    outcome.suspended_at.setdefault(o, strikes.first_unrun.pop(o, 0))
                head = orjson.dumps({"start": outcome.done, "skip": list(outcome.crashed),
                                     "suspend": list(outcome.suspended_at.items())})
                try:
                    self._ensure_worker(state)
                    if parser is not None and self._parsers_sent.get(parser[0]) != self.worker.starts:
                        built = self.worker.request(parser[1])
                        if built.get("error"):
                            outcome.error = f"building the parsers in the rule worker: {built['error']}"
                            return outcome
                        self._parsers_sent[parser[0]] = self.worker.starts
                    rid = self.worker.send(head[:-1] + b"," + body + b"}")
                    if meanwhile is not None:
                        work, meanwhile = meanwhile, None
                        work()
                    reply = self.worker.receive(rid, on_partial=lambda f: absorb(f), cancelled=cancelled)
                except WorkerCrash as crash:
                    if crash.kind == "cancelled":
                        outcome.cancelled = True
                        return outcome
                    if crash.ident is None or crash.ordinal is None or (crash.ident, crash.ordinal) in outcome.crashed:
                        lost += 1  # nobody to charge (or the same call twice): try again a few times
                        if lost >= LOST_RETRIES:
                            outcome.error = crash.message
                            return outcome
                        continue
                    outcome.crashed[(crash.ident, crash.ordinal)] = crash.message
                    strikes.strike(crash.ordinal, crash.message, crash.ident)
                    continue
                outcome.absorb(reply, strikes)
                if reply.get("error"):
                    outcome.error = str(reply["error"])
                    return outcome
                if outcome.done >= outcome.size:
                    return outcome
                # the worker stopped early and exited (a MemoryError): a fresh one goes on from `done`

    def _results(self, state: Loaded, batch: Sequence[Mapping], outcome: BatchOutcome,
                 strikes: Strikes) -> Iterator[RuleResult]:
        """The batch's RuleResults, in event order, up to `outcome.stop`."""
        by_type = state.by_type
        ordinal_of = {id(r): i for i, r in state.ordinals.items()}
        got = outcome.got
        crashed = outcome.crashed
        error = outcome.error
        failed_from = outcome.done if error else outcome.size
        suspended_at = outcome.suspended_at
        no_match = state.no_match
        touched = {i for i, _ in got} | {i for i, _ in crashed}
        first_special = min([failed_from, *suspended_at.values()])
        for i in range(outcome.stop):
            event = batch[i]
            lt: str = event.get("p_log_type")  # type: ignore[assignment]  # every event that reaches rules has one
            if i < first_special and i not in touched:
                # the common case: no rule matched, failed or printed on this event
                for cls in no_match[lt]:
                    r = _new(cls)
                    r.__dict__["event"] = event  # what new_no_match does, inlined: this loop is the hot path
                    yield r
                continue
            for spec in by_type.get(lt, ()):
                ordinal = ordinal_of[id(spec)]
                key = (i, ordinal)
                entry = got.get(key) if got else None
                if entry is not None:
                    yield _result(spec, entry[0], entry[1], event)
                elif key in crashed:
                    yield RuleResult(spec.rule_id, False, error=f"rule: {crashed[key]}", event=event)
                elif ordinal in suspended_at and i >= suspended_at[ordinal]:
                    strikes.not_run(ordinal)
                    yield RuleResult(spec.rule_id, False, event=event,
                                     not_run=f"suspended after {strikes.counts.get(ordinal, 0)} strikes")
                elif i >= failed_from:
                    yield RuleResult(spec.rule_id, False, error=error, event=event)
                else:
                    yield new_no_match(state.no_match_of[spec.rule_id], event)


def _reported(stats: RunStats, outcome: BatchOutcome, progress: Callable[[RunStats], None] | None) -> bool:
    """After a batch: tell `progress`, and say whether the run was cancelled (then marked partial)."""
    if progress is not None:
        progress(stats)
    if outcome.cancelled:
        stats.partial = stats.cancelled = True
    return outcome.cancelled


def _ordinal(state: Loaded, spec: RuleSpec) -> int:
    return next(o for o, r in state.ordinals.items() if r is spec)


def _next_body(batches: Iterator[list]) -> tuple[list, bytes] | None:
    batch = next(batches, None)
    return None if batch is None else (batch, orjson.dumps(batch))


def _record_batches(objects: Iterable[Sequence[Any]]) -> Iterator[list]:
    """[bucket, key, [[line, text], …]] per object, about RECORDS_PER_BATCH records per batch."""
    batch: list = []
    n = 0
    for records in objects:
        if not records:
            continue
        first = records[0]
        batch.append([first.bucket, first.key, [[r.line, r.text] for r in records]])
        n += len(records)
        if n >= RECORDS_PER_BATCH:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch


def _result(spec: RuleSpec, res: Mapping, stdout: str, event: Any) -> RuleResult:
    out = res.get("outputs") or {}
    errors = res.get("errors") or {}
    error = tb = None
    if errors:
        fn = next(iter(errors))
        error = f"{fn}: {errors[fn][0]}"
        tb = errors[fn][1] or None
    ctx = out.get("alert_context")
    dests = out.get("destinations")
    matched = res.get("matched") is True
    return RuleResult(
        rule_id=spec.rule_id, matched=matched, title=out.get("title") if matched else None,
        dedup=out.get("dedup") if matched else None, severity=out.get("severity") if matched else None,
        alert_context=orjson.loads(ctx) if matched and ctx else None,
        description=out.get("description") if matched else None,
        reference=out.get("reference") if matched else None, runbook=out.get("runbook") if matched else None,
        destinations=tuple(dests) if matched and dests is not None else None,
        error=error, traceback=tb, stdout=stdout, event=event,
    )
