"""`RuleEngine`: load a content directory once, then run its rules over events and its unit tests.

Rule code never runs in the caller's process: every evaluation goes to a reused worker process. When a
call hangs or kills the worker, that call becomes that rule's error on that event, the worker is restarted
and the batch goes on from its last partial reply; a rule that keeps doing it is suspended for the rest of
the run (runs.py, runner.py). Edits to rule, helper or data-model files are picked up on the next
run (`auto_reload`), re-importing only changed rule modules, or restarting the worker when a helper or
data model changed (modules that imported the old helper would otherwise keep it).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
    no_match_class,
)
from workbench.detections.runner import EventRuns
from workbench.detections.runs import DEFAULT_MAX_STRIKES, EMPTY, Loaded, RunStats
from workbench.detections.shards import Shard, collect_tests, run_sharded, shard_count, split
from workbench.detections.specs import Content, DataModelSpec, InvalidSpec, RuleSpec, load_content

RELOAD_CHECK_INTERVAL = 0.5  # seconds between file scans in auto-reload mode
TEST_PRELOAD = ("unittest.mock",)  # what a worker for unit tests imports at start-up
_new = object.__new__
_Fragment = getattr(orjson, "Fragment", None)  # orjson ≥ 3.9.11



@dataclass(frozen=True)
class ReloadSummary:
    """What a reload found and did."""

    changed: tuple[str, ...]  # files that changed, appeared or disappeared
    restarted: bool  # the worker was restarted (a helper or data model changed)
    added: tuple[str, ...] = ()  # of `changed`: files that appeared
    removed: tuple[str, ...] = ()  # of `changed`: files that disappeared

    def __bool__(self) -> bool:
        return bool(self.changed)


class RuleEngine(EventRuns):
    """Rules from `path` (panther-analysis layout), evaluated in an isolated worker process.

    `timeout` is per function call, in seconds; `python` runs the worker under another interpreter
    (e.g. a content repo's venv, so its third-party imports resolve); `memory_mb` caps the worker's
    address space; `for_tests` has the worker import what unit tests need as soon as it starts. `worker`
    is a `WorkerProcess` already started by the caller (the CLI starts it before importing this module,
    so the worker's start-up overlaps those imports); the other worker arguments are then ignored.

    `max_strikes`: calls of one rule that may cost the worker its life (timeout, crash, exit, MemoryError)
    in one run before the rule is suspended for the rest of that run.

    `test_workers`: workers a first unit-test run of a big repository may use at once, a shard of the rules
    each (shards.py); the extra ones live only for that run. `spare_workers`: extra workers the caller
    started early for that (stopped when unused).

    Thread-safe: one lock covers each request to the worker and its whole reply (never a `yield`), and
    every request carries an id that every frame of its reply carries back, so runs, unit-test runs and
    reloads from several threads take turns and never read each other's replies.
    """

    def __init__(self, path: str | os.PathLike, *, timeout: float = 1.0, python: str | None = None,
                 memory_mb: int = 2048, auto_reload: bool = True, cwd: Path | None = None,
                 for_tests: bool = False, worker: WorkerProcess | None = None,
                 max_strikes: int = DEFAULT_MAX_STRIKES, test_workers: int = 1,
                 spare_workers: Sequence[WorkerProcess] = ()):
        self.path = Path(path)
        self._test_workers = test_workers
        self._spares = list(spare_workers)
        self.timeout = timeout
        self.max_strikes = max_strikes
        self.last_run = RunStats()
        self._lock = threading.RLock()
        self._state = EMPTY
        self._worker_has: tuple[int, int] = (-1, -1)  # (worker.starts, generation) of the content it holds
        self._parsers_sent: dict[str, int] = {}  # parser key -> worker.starts it was built in
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
        # the parse cache's write, left by the scan for a moment when this process waits on the workers
        self._cache_writes: list[Callable[[], None]] = []
        self._retired: list[WorkerProcess] = []  # workers killed but not yet reaped
        self._warmed = False  # the workers were asked to build the JSONPath parser
        self.worker.ensure_running()  # the worker starts up (forked or a new interpreter) while we read the YAML
        self._scan()

    # --- content -----------------------------------------------------------------------------------------

    @property
    def rules(self) -> list[RuleSpec]:
        """Loaded rules that imported cleanly (invalid ones are in `.invalid`)."""
        with self._lock:
            self._ensure_loaded()
            return [r for r in self._ordinals.values()]

    @property
    def invalid(self) -> list[InvalidSpec]:
        with self._lock:
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
        self._write_cache()
        self._content = load_content(self.path, cwd=self._cwd, defer_cache_write=self._cache_writes,
                                     on_data_model=self._warm_up)
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
        with self._lock:
            return self._reload(force)

    def _reload(self, force: bool) -> ReloadSummary:
        changed = self.changed_files()
        if not changed and not force:
            return ReloadSummary((), False)
        helpers_before = set(self._helper_files)
        before = set(self._fingerprint or ())
        self._scan()
        after = set(self._fingerprint or ())
        added = tuple(f for f in changed if f not in before and f in after) if before else ()
        removed = tuple(f for f in changed if f in before and f not in after)
        restart = force or any(f in helpers_before or f in self._helper_files for f in changed)
        if restart:
            self.worker.stop()
        self._loaded = False
        self._ensure_loaded()
        return ReloadSummary(tuple(changed), restart, added, removed)

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

    def _warm_up(self, dm: DataModelSpec) -> None:
        """A data model with a JSONPath mapping: the workers build jsonpath-ng's parser now (~25 ms each),
        while this process still reads the specs, not when the load reaches them (a request the worker
        does not answer: `WorkerProcess.hint`)."""
        if self._warmed or not any(_jsonpath(m) for m in dm.mappings):
            return
        self._warmed = True
        for w in (self.worker, *self._spares):
            w.hint(b'{"op":"warm"}')

    def _write_cache(self) -> None:
        while self._cache_writes:
            self._cache_writes.pop()()

    def _publish(self, load_msg: bytes) -> None:
        """The content just loaded into the worker becomes the engine's current state (one object)."""
        gen = self._state.generation + 1
        self._state = Loaded(gen, dict(self._ordinals), {k: list(v) for k, v in self._by_type.items()},
                              dict(self._no_match_of), dict(self._no_match), load_msg)
        self._worker_has = (self.worker.starts, gen) if self.worker.alive else (-1, -1)

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
                self.worker.ensure_running()  # a load expects nothing of a worker that died since
                if then is not None and not skip:
                    body = orjson.dumps(msg, default=str, option=orjson.OPT_NON_STR_KEYS)
                    piggyback = self.worker.fits_unread(len(body) + len(then))
                if piggyback and then is not None:  # (piggyback is only ever set with a `then`)
                    load_id = self.worker.send(body)
                    then_id = self.worker.send(then)  # never to a fresh worker, were this one dead already
                    self._write_cache()  # while the worker imports the rules
                    reply = self.worker.receive(load_id)
                else:
                    reply = self.worker.request(msg)
                    self._write_cache()
            except WorkerCrash as crash:
                piggyback = False  # it died with the worker
                culprit = specs[crash.ordinal] if crash.ordinal is not None and 0 <= crash.ordinal < len(specs) else None
                if culprit is None or culprit.rule_id in skip:
                    self._unloadable(crash.message)
                    return None
                skip.append(culprit.rule_id)
                self._load_errors.append(InvalidSpec(culprit.path, f"{culprit.path}: importing "
                                                     f"{culprit.py_path.name}: {crash.message}", culprit.rule_id))
                continue
            break
        self._load_msg = orjson.dumps(msg, default=str)
        self._adopt(specs, reply.get("error"), reply.get("errors") or {}, skip)
        if not piggyback or not self.worker.alive:  # not sent, or the worker exits after the load reply
            return None
        try:
            return self.worker.receive(then_id)
        except WorkerCrash as crash:
            return crash

    def _adopt(self, specs: list[RuleSpec], error: str | None, errors: Mapping[str, str], skip: list[str]) -> None:
        """The worker's answer to the load (`error`, and import `errors` by rule id or "datamodel:ID")
        becomes the engine's rules and load errors; rules in `skip` were not imported."""
        if error:
            self._load_errors.append(InvalidSpec(self.path, f"loading the content: {error}"))
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
        self._publish(self._load_msg)

    def _unloadable(self, message: str) -> None:
        """A data model or helper brought the worker down while loading: nothing can run."""
        self._load_errors.append(InvalidSpec(self.path, f"loading the content: {message}"))
        self._ordinals = {}
        self._by_type = {}
        self._no_match_of = {}
        self._no_match = {}
        self._publish(b"")

    def _run_sharded(self, cases: list[dict], ident_of: Mapping[int, Any], n_workers: int,
                     raw: dict[int, list], crashed: dict[int, str]) -> None:
        """Load the content into `n_workers` workers, a shard of the rules each, and run `cases` on them;
        the load errors come out as one worker's would (import crashes, then data models, then rules, each
        in rule order)."""
        self._loaded = True
        self._load_errors = []
        self._last_check = time.monotonic()
        specs = self._content.rules
        w = self.worker
        workers = [w, *self._spares[:n_workers - 1]]
        # the extra workers import unittest.mock only if a mocked case comes their way (see shards.split)
        workers += [WorkerProcess(python=w.python, timeout=w.timeout, memory_mb=w.memory_mb)
                    for _ in range(n_workers - len(workers))]
        cases_of: dict[int, int] = {}
        for c in cases:
            cases_of[c["ordinal"]] = cases_of.get(c["ordinal"], 0) + 1
        mocked = {c["ordinal"] for c in cases if c["mocks"]}
        worker_specs = [r.worker_spec(i) for i, r in enumerate(specs)]
        shards = [Shard(wk, self._content, ordinals, worker_specs)
                  for wk, ordinals in zip(workers, split(len(specs), cases_of, n_workers, mocked), strict=True)]
        try:
            run_sharded(shards, cases, ident_of, raw, crashed, meanwhile=self._write_cache)
        finally:
            for wk in workers[1:]:
                wk.kill_now()  # reaped once the cases are decided (see _run_tests)
            self._retired += workers[1:]
            self._spares = []
        fatal = next((s.fatal for s in shards if s.fatal is not None), None)
        if fatal is not None:
            self._unloadable(fatal)
            return
        self._load_errors += [e for _o, e in sorted((x for s in shards for x in s.crash_errors), key=lambda x: x[0])]
        error = "; ".join(dict.fromkeys(str(s.reply["error"]) for s in shards if s.reply.get("error"))) or None
        ordinal_of = {r.rule_id: o for o, r in enumerate(specs)}
        merged: dict[str, tuple[int, str]] = {}
        for s in shards:
            for key, text in (s.reply.get("errors") or {}).items():
                merged.setdefault(key, (ordinal_of.get(key, -1), text))  # data models (-1) first, once
        errors = {k: t for k, (_o, t) in sorted(merged.items(), key=lambda kv: kv[1][0])}
        skip = sorted((rid for s in shards for rid in s.skip), key=lambda rid: ordinal_of[rid])
        self._load_msg = orjson.dumps({
            "op": "load", "globals": {g.global_id: str(g.py_path) for g in self._content.globals},
            "data_models": [dm.worker_spec() for dm in self._content.data_models],
            "rules": worker_specs, "skip": skip,
        }, default=str)
        self._adopt(specs, error, errors, skip)
        self._worker_has = (-1, -1)  # the worker holds one shard: a later request reloads all the rules

    def _request(self, payload: bytes | dict) -> dict:
        """One request to a loaded worker, starting (and loading) a new one after a crash."""
        self._ensure_worker(self._state)
        return self.worker.request(payload)

    def _ensure_worker(self, state: Loaded) -> None:
        """A live worker holding `state`'s content: (re)started and loaded when it is not."""
        if self.worker.alive and self._worker_has == (self.worker.starts, state.generation):
            return
        if not state.load_msg:
            return  # nothing loadable: requests get an empty worker, which knows no rule
        try:
            self.worker.ensure_running()
            self.worker.request(state.load_msg, cancelled=None)
        except WorkerCrash as crash:
            raise WorkerCrash(crash.kind, f"reloading the rules after a crash: {crash.message}", None, None) from None
        self._worker_has = (self.worker.starts, state.generation)

    # --- unit tests --------------------------------------------------------------------------------------

    def run_tests(self, rule_ids: Iterable[str] | None = None,
                  filters: Mapping[str, Sequence[str]] | None = None, *, skip_disabled: bool = False) -> TestReport:
        """Run the selected rules' unit tests with Panther's semantics (see results.decide_case).

        Disabled rules are tested too, as Panther's CLI does, unless `skip_disabled`.
        """
        with self._lock:
            return self._run_tests(rule_ids, filters, skip_disabled)

    def _run_tests(self, rule_ids: Iterable[str] | None, filters: Mapping[str, Sequence[str]] | None,
                   skip_disabled: bool) -> TestReport:
        self._maybe_reload()
        wanted = set(rule_ids) if rule_ids else None

        def chosen(pairs: Iterable[tuple[int, RuleSpec]]) -> list[tuple[int, RuleSpec]]:
            return [(o, r) for o, r in pairs if (wanted is None or r.rule_id in wanted)
                    and _matches_filters(r, filters) and (r.enabled or not skip_disabled)]

        # Not loaded yet (the CLI's case): the cases go to the worker right behind the load, for every rule
        # chosen; those whose module then fails to import are dropped (the worker skips them too).
        # A big repository's cases run on several workers at once (shards.py), all of them done here.
        early = None
        raw: dict[int, list] = {}  # ident -> [result, stdout, mock error]
        crashed: dict[int, str] = {}  # ident -> why it has no result
        if self._loaded:
            cases, ident_of = _test_cases(chosen(self._ordinals.items()))
        else:
            cases, ident_of = _test_cases(chosen(enumerate(self._content.rules)))
            n_workers = shard_count(self._test_workers, len(cases))
            self._stop_spares(keep=n_workers - 1)
            if n_workers > 1:
                self._run_sharded(cases, ident_of, n_workers, raw, crashed)
            else:
                early = self._ensure_loaded(then=orjson.dumps({"op": "tests", "cases": cases}, default=str,
                                                              option=orjson.OPT_NON_STR_KEYS))
            cases = [c for c in cases if c["ordinal"] in self._ordinals]
            ident_of = {c["ident"]: ident_of[c["ident"]] for c in cases}
            if n_workers > 1:
                cases = []
        selected = chosen(self._ordinals.items())
        collect_tests(lambda todo: self._request({"op": "tests", "cases": todo}), cases, early, ident_of, raw, crashed)
        per_rule: dict[str, list[CaseResult]] = {}
        for ident, (spec, case) in ident_of.items():
            entry = raw.get(ident)
            crash_text = crashed.get(ident)
            if entry is not None and entry[2]:
                # Panther's CLI prints only a warning line for a mock of a name the module lacks
                kind, _, msg = entry[2].partition(": ")
                crash_text = f"{kind}: {{{msg}}} for [{spec.rule_id}] in test [{case.name}]"
            result = decide_case(spec.rule_id, case.name, case.expected_result, entry[0] if entry else None,
                                 stdout=entry[1] if entry else "", expected_destinations=case.expected_destinations,
                                 create_alert=spec.create_alert, crash=crash_text,
                                 warning_only=bool(entry is not None and entry[2]))
            per_rule.setdefault(spec.rule_id, []).append(result)
        rules = tuple(RuleTests(spec.rule_id, spec.path, tuple(per_rule.get(spec.rule_id, ())), spec.create_alert)
                      for _o, spec in selected)
        self._reap_retired()
        # invalid files are reported whatever the selection, as Panther's CLI does: they fail the run
        return TestReport(rules, tuple(self.invalid), tuple(self.skipped) if wanted is None else ())

    # --- lifecycle ---------------------------------------------------------------------------------------

    def _reap_retired(self) -> None:
        while self._retired:
            self._retired.pop().stop()

    def retire(self) -> None:
        """Kill the workers now, without waiting for them to be gone (for a caller that is done with the
        engine and has other work before `close()`, which reaps them); a later run starts new ones."""
        with self._lock:
            for w in (self.worker, *self._spares):
                w.kill_now()

    def _stop_spares(self, keep: int = 0) -> None:
        for w in self._spares[keep:]:
            w.stop()
        del self._spares[keep:]

    def close(self) -> None:
        with self._lock:
            self._write_cache()
            self._reap_retired()
            self.worker.stop()
            self._stop_spares()

    def __enter__(self) -> RuleEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._reap_retired()
            self.worker.stop()
            self._stop_spares()
        except Exception:  # interpreter shutdown
            pass


_PLAIN_PATH = re.compile(r"(?:\$\.)?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _jsonpath(mapping: Mapping) -> bool:
    """Whether a data model mapping has a Path the worker reads with jsonpath-ng (not a plain `$.a.b`)."""
    path = next((v for k, v in mapping.items() if str(k).lower() == "path"), None)
    return isinstance(path, str) and _PLAIN_PATH.fullmatch(path) is None


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
