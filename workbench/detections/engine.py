"""`RuleEngine`: load a content directory once, then run its rules over events and its unit tests.

Rule code never runs in the caller's process: every evaluation goes to a reused worker process. When a
call hangs or kills the worker, that call becomes the rule's error, the worker is restarted and the rest
of the batch runs again without it. Edits to rule, helper or data-model files are picked up on the next
run (`auto_reload`), re-importing only changed rule modules, or restarting the worker when a helper or
data model changed (modules that imported the old helper would otherwise keep it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from workbench.detections.process import WorkerCrash, WorkerProcess
from workbench.detections.results import (
    CaseResult,
    RuleResult,
    RuleTests,
    TestReport,
    decide_case,
    new_no_match,
    no_match_class,
)
from workbench.detections.specs import Content, InvalidSpec, RuleSpec, load_content

BATCH_EVENTS = 1000  # events per worker request: large enough to amortise the round trip
RELOAD_CHECK_INTERVAL = 0.5  # seconds between file scans in auto-reload mode
MAX_RETRIES = 50  # crashes tolerated within one batch before the rest of it is given up
TEST_PRELOAD = ("unittest.mock",)  # what a worker for unit tests imports at start-up
_new = object.__new__
_Fragment = getattr(orjson, "Fragment", None)  # orjson ≥ 3.9.11


@dataclass(frozen=True)
class ReloadSummary:
    changed: tuple[str, ...]  # files that changed, appeared or disappeared
    restarted: bool  # the worker was restarted (a helper or data model changed)

    def __bool__(self) -> bool:
        return bool(self.changed)


class RuleEngine:
    """Rules from `path` (panther-analysis layout), evaluated in an isolated worker process.

    `timeout` is per function call, in seconds; `python` runs the worker under another interpreter
    (e.g. a content repo's venv, so its third-party imports resolve); `memory_mb` caps the worker's
    address space; `for_tests` has the worker import what unit tests need as soon as it starts. `worker`
    is a `WorkerProcess` already started by the caller (the CLI starts it before importing this module,
    so the worker's start-up overlaps those imports); the other worker arguments are then ignored.

    One engine talks to one worker over one pipe, so it is not thread-safe: use it from one thread at a
    time (hold a lock, or keep an engine per thread).
    """

    def __init__(self, path: str | os.PathLike, *, timeout: float = 1.0, python: str | None = None,
                 memory_mb: int = 2048, auto_reload: bool = True, cwd: Path | None = None,
                 for_tests: bool = False, worker: WorkerProcess | None = None):
        self.path = Path(path)
        self.timeout = timeout
        self.auto_reload = auto_reload
        self._cwd = cwd
        # unit tests with Mocks need unittest.mock in the worker: a worker made for tests imports it at
        # start-up, in parallel with the YAML reading below, rather than at the first mocked case
        self.worker = worker or WorkerProcess(python=python, timeout=timeout, memory_mb=memory_mb,
                                              preload=TEST_PRELOAD if for_tests else ())
        self._content: Content = Content(root=self.path)
        self._load_errors: list[InvalidSpec] = []
        self._ordinals: dict[int, RuleSpec] = {}
        self._by_type: dict[str, list[RuleSpec]] = {}
        # the result classes for "did not match", per rule and per log type (see results.no_match_class)
        self._no_match_of: dict[str, type[RuleResult]] = {}
        self._no_match: dict[str, tuple[type[RuleResult], ...]] = {}
        self._fingerprint: dict[str, tuple[int, int]] | None = {}
        self._helper_files: set[str] = set()
        self._last_check = 0.0
        self._loaded = False
        self._load_msg = b""
        if not self.worker.alive:
            self.worker.start()  # the worker starts up (forked or a new interpreter) while we read the YAML
        self._scan()

    # --- content -----------------------------------------------------------------------------------------

    @property
    def rules(self) -> list[RuleSpec]:
        """Loaded rules that imported cleanly (invalid ones are in `.invalid`)."""
        self._ensure_loaded()
        return [r for r in self._ordinals.values()]

    @property
    def invalid(self) -> list[InvalidSpec]:
        self._ensure_loaded()
        return list(self._content.invalid) + self._load_errors

    @property
    def skipped(self):
        return list(self._content.skipped)

    @property
    def data_models(self):
        return list(self._content.data_models)

    @property
    def globals(self):
        return list(self._content.globals)

    def rule(self, rule_id: str) -> RuleSpec | None:
        return next((r for r in self.rules if r.rule_id == rule_id), None)

    def _scan(self) -> None:
        self._content = load_content(self.path, cwd=self._cwd)
        # without auto-reload (the CLI's one-shot runs) nobody asks what changed: skip stat-ing every file;
        # a manual reload() then counts every file as changed (a full rescan and a fresh worker)
        self._fingerprint = self._stat_all() if self.auto_reload else None
        self._helper_files = {str(g.py_path) for g in self._content.globals}
        self._helper_files |= {str(p) for dm in self._content.data_models for p in (dm.path, dm.py_path) if p}
        self._helper_files |= {str(g.path) for g in self._content.globals}

    def _watched(self) -> set[str]:
        from workbench.detections.specs import _yaml_files, support_dirs

        files = {str(p) for p in self._content.files}
        for f in _yaml_files(self.path) if self.path.exists() else ():
            files.add(str(f))
        for d in support_dirs(self.path, self._cwd):
            files.update(str(f) for f in _yaml_files(d))
            files.update(str(f) for f in d.glob("*.py"))
        return files

    def _stat_all(self) -> dict[str, tuple[int, int]]:
        out = {}
        for f in self._watched():
            try:
                st = os.stat(f)
                out[f] = (st.st_mtime_ns, st.st_size)
            except OSError:
                continue
        return out

    def changed_files(self) -> list[str]:
        """Files added, removed or modified since the content was last loaded."""
        now = self._stat_all()
        old = self._fingerprint
        if old is None:
            return sorted(now)
        return sorted(f for f in set(now) | set(old) if now.get(f) != old.get(f))

    def reload(self, *, force: bool = False) -> ReloadSummary:
        """Pick up edits: re-read specs, re-import changed rules, restart the worker if helpers changed."""
        changed = self.changed_files()
        if not changed and not force:
            return ReloadSummary((), False)
        helpers_before = set(self._helper_files)
        self._scan()
        restart = force or any(f in helpers_before or f in self._helper_files for f in changed)
        if restart:
            self.worker.stop()
        self._loaded = False
        self._ensure_loaded()
        return ReloadSummary(tuple(changed), restart)

    def watch(self, stop_event: Any = None, *, debounce_ms: int = 300) -> Iterator[ReloadSummary]:
        """Block on file-system events; after each edit of the content, reload and yield what changed.

        For an editor view: run it in its own thread and stop it with `stop_event` (threading.Event). The
        engine is not thread-safe, so do the reloading and the runs from the same thread, or simply rely on
        `auto_reload`, which checks the files at the start of every run.
        """
        from watchfiles import watch

        from workbench.detections.specs import support_dirs

        base = self.path if self.path.is_dir() else self.path.parent
        paths = [base, *(d for d in support_dirs(self.path, self._cwd) if not d.is_relative_to(base))]
        for _changes in watch(*paths, stop_event=stop_event, debounce=debounce_ms, raise_interrupt=False):
            summary = self.reload()
            if summary:
                yield summary

    def _maybe_reload(self) -> None:
        if not self.auto_reload or not self._loaded:
            return
        now = time.monotonic()
        if now - self._last_check < RELOAD_CHECK_INTERVAL:
            return
        self._last_check = now
        self.reload()

    def _ensure_loaded(self, then: bytes | None = None) -> dict | WorkerCrash | None:
        """Load the content into the worker (once). `then`, a request to send right behind the load
        without waiting for its reply (saves a round trip), when both fit in the pipe so that writing
        can never block on a worker that hangs; returns its reply (or crash), or None if not sent."""
        if self._loaded:
            return None
        self._loaded = True
        self._load_errors = []
        self._last_check = time.monotonic()
        skip: list[str] = []
        piggyback = False
        while True:
            specs = self._content.rules
            msg = {
                "op": "load",
                "globals": {g.global_id: str(g.py_path) for g in self._content.globals},
                "data_models": [dm.worker_spec() for dm in self._content.data_models],
                "rules": [r.worker_spec(i) for i, r in enumerate(specs)],
                "skip": skip,
            }
            try:
                if then is not None and not skip:
                    body = orjson.dumps(msg, default=str, option=orjson.OPT_NON_STR_KEYS)
                    if not self.worker.alive:
                        self.worker.start()
                    piggyback = self.worker.fits_unread(len(body) + len(then))
                if piggyback:
                    self.worker.send(body)
                    self.worker.send(then)
                    reply = self.worker.receive()
                else:
                    reply = self.worker.request(msg)
            except WorkerCrash as crash:
                piggyback = False  # it died with the worker
                culprit = specs[crash.ordinal] if crash.ordinal is not None and 0 <= crash.ordinal < len(specs) else None
                if culprit is None or culprit.rule_id in skip:
                    # a data model or helper brought the worker down: nothing can run
                    self._load_errors.append(InvalidSpec(self.path, f"loading the content: {crash.message}"))
                    self._ordinals = {}
                    self._by_type = {}
                    self._no_match_of = {}
                    self._no_match = {}
                    return None
                skip.append(culprit.rule_id)
                self._load_errors.append(InvalidSpec(culprit.path, f"{culprit.path}: importing "
                                                     f"{culprit.py_path.name}: {crash.message}", culprit.rule_id))
                continue
            break
        self._load_msg = orjson.dumps(msg, default=str)
        errors: Mapping[str, str] = reply.get("errors") or {}
        if reply.get("error"):
            self._load_errors.append(InvalidSpec(self.path, f"loading the content: {reply['error']}"))
        by_id = {r.rule_id: r for r in specs}
        for key, text in errors.items():
            if key.startswith("datamodel:"):
                dm = next((d for d in self._content.data_models if d.model_id == key[10:]), None)
                self._load_errors.append(InvalidSpec(dm.path if dm else self.path, f"{key[10:]}: {text}"))
            elif key in by_id:
                r = by_id[key]
                self._load_errors.append(InvalidSpec(r.path, f"{r.path}: importing {r.py_path.name}: {text}", key))
        bad = set(errors) | set(skip)
        self._ordinals = {i: r for i, r in enumerate(specs) if r.rule_id not in bad}
        self._by_type = {}
        for r in self._ordinals.values():
            if r.enabled:
                for lt in r.log_types:
                    self._by_type.setdefault(lt, []).append(r)
        self._no_match_of = {r.rule_id: no_match_class(r.rule_id) for r in self._ordinals.values()}
        self._no_match = {lt: tuple(self._no_match_of[r.rule_id] for r in rules)
                          for lt, rules in self._by_type.items()}
        if not piggyback or not self.worker.alive:  # not sent, or the worker exits after the load reply
            return None
        try:
            return self.worker.receive()
        except WorkerCrash as crash:
            return crash

    def _request(self, payload: bytes | dict) -> dict:
        """One request to a loaded worker, starting (and loading) a new one after a crash."""
        if not self.worker.alive:
            try:
                self.worker.request(self._load_msg)
            except WorkerCrash as crash:
                raise WorkerCrash(crash.kind, f"reloading the rules after a crash: {crash.message}", None, None) from None
        return self.worker.request(payload)

    # --- rules over events -------------------------------------------------------------------------------

    def rules_for(self, log_type: str | None) -> list[RuleSpec]:
        """Enabled rules whose LogTypes include `log_type`, in load order."""
        self._ensure_loaded()
        return list(self._by_type.get(log_type, ())) if log_type else []

    def run_events(self, events: Iterable[Mapping]) -> Iterator[RuleResult]:
        """One RuleResult per enabled rule per event whose p_log_type it covers, in event order.

        Pipelined: while the worker evaluates one batch, this process turns the previous batch's reply
        into RuleResults (and the caller consumes them), so the two processes work at the same time.
        """
        self._maybe_reload()
        self._ensure_loaded()
        previous: tuple | None = None
        in_flight = False
        try:
            for batch in self._batches(events):
                try:
                    body = orjson.dumps(batch, default=str)
                except TypeError:  # a non-string key somewhere: that option doubles the cost, so only then
                    body = orjson.dumps(batch, default=str, option=orjson.OPT_NON_STR_KEYS)
                send_error = self._send_events(body, [])
                in_flight = send_error is None
                if previous is not None:
                    yield from self._results(*previous)
                in_flight = False
                previous = (batch, *self._receive_events(body, send_error))
            if previous is not None:
                yield from self._results(*previous)
        finally:
            if in_flight and self.worker.alive:
                # the caller stopped early: collect the reply so the next request reads its own
                try:
                    self.worker.receive()
                except WorkerCrash:
                    pass

    def run_event(self, event: Mapping) -> list[RuleResult]:
        return list(self.run_events([event]))

    def _batches(self, events: Iterable[Mapping]) -> Iterator[list[Mapping]]:
        """Events in batches, keeping only those some enabled rule applies to."""
        by_type = self._by_type
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

    def _send_events(self, body: bytes, crashed: Iterable) -> str | None:
        """Send a batch to a loaded worker; the error text if the rules could not even be loaded."""
        if not self.worker.alive:
            try:
                self.worker.request(self._load_msg)
            except WorkerCrash as crash:
                return f"reloading the rules after a crash: {crash.message}"
        self.worker.send(b'{"op":"events","skip":' + orjson.dumps(sorted(crashed)) + b',"events":' + body + b"}")
        return None

    def _receive_events(self, body: bytes, send_error: str | None) -> tuple[dict, dict]:
        """The reply to the batch just sent; after a crash, the batch runs again without the culprit."""
        crashed: dict[tuple[int, int], str] = {}
        for _attempt in range(MAX_RETRIES):
            if send_error:
                return {"error": send_error}, crashed
            try:
                return self.worker.receive(), crashed
            except WorkerCrash as crash:
                if crash.ident is None or (crash.ident, crash.ordinal) in crashed:
                    return {"error": crash.message}, crashed
                crashed[(crash.ident, crash.ordinal)] = crash.message
                send_error = self._send_events(body, crashed)
        return {"error": "the rule worker kept crashing; the rest of this batch was not evaluated"}, crashed

    def _results(self, batch: Sequence[Mapping], reply: dict, crashed: dict) -> Iterator[RuleResult]:
        """The batch's RuleResults, in event order. A generator, not a list: results the caller drops at
        once are freed at once, instead of 10k of them surviving long enough to be promoted to the
        collector's older generations (which made full collections walk the caller's whole heap)."""
        by_type = self._by_type
        ordinal_of = {id(r): i for i, r in self._ordinals.items()}
        batch_error = reply.get("error")
        got = {(i, ordinal): (res, stdout) for i, ordinal, res, stdout in reply.get("results") or ()}
        no_match = self._no_match
        touched = {i for i, _ in got} | {i for i, _ in crashed}
        for i, event in enumerate(batch):
            lt = event.get("p_log_type")
            if i not in touched and not batch_error:
                # the common case: no rule matched, failed or printed on this event
                for cls in no_match[lt]:
                    r = _new(cls)
                    r.__dict__["event"] = event  # what new_no_match does, inlined: this loop is the hot path
                    yield r
                continue
            for spec in by_type.get(lt, ()):
                key = (i, ordinal_of[id(spec)])
                entry = got.get(key) if got else None
                if entry is not None:
                    yield _result(spec, entry[0], entry[1], event)
                elif key in crashed:
                    yield RuleResult(spec.rule_id, False, error=f"rule: {crashed[key]}", event=event)
                elif batch_error:
                    yield RuleResult(spec.rule_id, False, error=batch_error, event=event)
                else:
                    yield new_no_match(self._no_match_of[spec.rule_id], event)

    # --- unit tests --------------------------------------------------------------------------------------

    def run_tests(self, rule_ids: Iterable[str] | None = None,
                  filters: Mapping[str, Sequence[str]] | None = None, *, skip_disabled: bool = False) -> TestReport:
        """Run the selected rules' unit tests with Panther's semantics (see results.decide_case).

        Disabled rules are tested too, as Panther's CLI does, unless `skip_disabled`.
        """
        self._maybe_reload()
        wanted = set(rule_ids) if rule_ids else None

        def chosen(pairs: Iterable[tuple[int, RuleSpec]]) -> list[tuple[int, RuleSpec]]:
            return [(o, r) for o, r in pairs if (wanted is None or r.rule_id in wanted)
                    and _matches_filters(r, filters) and (r.enabled or not skip_disabled)]

        # Not loaded yet (the CLI's case): the cases go to the worker right behind the load, for every rule
        # chosen; those whose module then fails to import are dropped (the worker skips them too).
        early = None
        if self._loaded:
            cases, ident_of = _test_cases(chosen(self._ordinals.items()))
        else:
            cases, ident_of = _test_cases(chosen(enumerate(self._content.rules)))
            early = self._ensure_loaded(then=orjson.dumps({"op": "tests", "cases": cases}, default=str,
                                                          option=orjson.OPT_NON_STR_KEYS))
            cases = [c for c in cases if c["ordinal"] in self._ordinals]
            ident_of = {c["ident"]: ident_of[c["ident"]] for c in cases}
        selected = chosen(self._ordinals.items())
        raw: dict[int, list] = {}
        crashed: dict[int, str] = {}
        todo = cases
        for _attempt in range(MAX_RETRIES):
            if not todo:
                break
            try:
                if early is not None:
                    reply, early = early, None
                    if isinstance(reply, WorkerCrash):
                        raise reply
                else:
                    reply = self._request({"op": "tests", "cases": todo})
            except WorkerCrash as crash:
                if crash.ident is None or crash.ident not in ident_of:
                    for c in todo:
                        crashed.setdefault(c["ident"], crash.message)
                    break
                crashed[crash.ident] = crash.message
                # cases before the culprit ran but their replies died with the worker: run them again
                todo = [c for c in todo if c["ident"] not in crashed]
                continue
            for ident, _ordinal, res, stdout, mock_error in reply.get("results") or ():
                raw[ident] = [res, stdout, mock_error]
            if reply.get("error"):
                for c in todo:
                    if c["ident"] not in raw:
                        crashed[c["ident"]] = reply["error"]
            break
        per_rule: dict[str, list[CaseResult]] = {}
        for ident, (spec, case) in ident_of.items():
            entry = raw.get(ident)
            crash = crashed.get(ident)
            if entry is not None and entry[2]:
                # Panther's CLI prints only a warning line for a mock of a name the module lacks
                kind, _, msg = entry[2].partition(": ")
                crash = f"{kind}: {{{msg}}} for [{spec.rule_id}] in test [{case.name}]"
            result = decide_case(spec.rule_id, case.name, case.expected_result, entry[0] if entry else None,
                                 stdout=entry[1] if entry else "", expected_destinations=case.expected_destinations,
                                 create_alert=spec.create_alert, crash=crash,
                                 warning_only=bool(entry is not None and entry[2]))
            per_rule.setdefault(spec.rule_id, []).append(result)
        rules = tuple(RuleTests(spec.rule_id, spec.path, tuple(per_rule.get(spec.rule_id, ())), spec.create_alert)
                      for _o, spec in selected)
        # invalid files are reported whatever the selection, as Panther's CLI does: they fail the run
        return TestReport(rules, tuple(self.invalid), tuple(self.skipped) if wanted is None else ())

    # --- lifecycle ---------------------------------------------------------------------------------------

    def close(self) -> None:
        self.worker.stop()

    def __enter__(self) -> RuleEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.worker.stop()
        except Exception:  # interpreter shutdown
            pass


def _test_cases(selected: Iterable[tuple[int, RuleSpec]]) -> tuple[list[dict], dict[int, tuple[RuleSpec, Any]]]:
    """The worker's "tests" cases for these (ordinal, rule) pairs, and each case's rule and spec by ident."""
    cases = []
    ident_of: dict[int, tuple[RuleSpec, Any]] = {}
    for ordinal, spec in selected:
        for case in spec.tests:
            ident = len(ident_of)
            ident_of[ident] = (spec, case)
            # the event goes as the JSON the spec already holds (a Fragment is written into the request as is)
            log = _Fragment(case.log_json) if _Fragment else case.log
            cases.append({"ident": ident, "ordinal": ordinal, "log": log, "mocks": list(case.mocks)})
    return cases, ident_of


def _matches_filters(spec: RuleSpec, filters: Mapping[str, Sequence[str]] | None) -> bool:
    """PAT's --filter: every key must match one of its values (list-valued keys: any element).

    A key ending in "!" (from `KEY!=VALUE`) inverts it: the spec must match none of the values.
    """
    if not filters:
        return True
    for key, values in filters.items():
        negate = key.endswith("!")
        raw = spec.raw.get(key.rstrip("!"))
        items = raw if isinstance(raw, list) else [raw]
        shown = {("true" if v is True else "false" if v is False else str(v)).lower() for v in items}
        hit = bool(shown & {str(v).lower() for v in values})
        if hit == negate:
            return False
    return True


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
