"""Loading a content directory into the rule worker(s): the content a `RuleEngine` holds, what the worker
answered to the load, and a live worker holding the current content (a mixin, for the engine's state).

A rule whose import brings the worker down is skipped and reported; a data model or helper that does is
fatal for the whole content (`_unloadable`). A big repository's first unit-test run loads a shard of the
rules into each of several workers (`_run_sharded`, shards.py).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from workbench.detections.process import WorkerCrash, WorkerProcess
from workbench.detections.results import RuleResult, no_match_class
from workbench.detections.runs import Loaded
from workbench.detections.shards import Shard, run_sharded, split
from workbench.detections.spec_types import Content, DataModelSpec, InvalidSpec, RuleSpec


class ContentLoading:
    """The content's rules and load errors, and its loading into the workers; expects the engine's `path`,
    `_lock`, `worker`, `_spares`, `_retired`, `_cache_writes` and the state it sets up in `__init__`."""

    path: Path
    _lock: threading.RLock
    worker: WorkerProcess
    _spares: list[WorkerProcess]
    _retired: list[WorkerProcess]
    _cache_writes: list[Callable[[], None]]
    _warmed: bool
    _content: Content
    _load_errors: list[InvalidSpec]
    _ordinals: dict[int, RuleSpec]
    _by_type: dict[str, list[RuleSpec]]
    _no_match_of: dict[str, type[RuleResult]]
    _no_match: dict[str, tuple[type[RuleResult], ...]]
    _state: Loaded
    _worker_has: tuple[int, int]
    _loaded: bool
    _load_msg: bytes
    _last_check: float

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


    # --- loading into the workers ------------------------------------------------------------------------

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


_PLAIN_PATH = re.compile(r"(?:\$\.)?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _jsonpath(mapping: Mapping) -> bool:
    """Whether a data model mapping has a Path the worker reads with jsonpath-ng (not a plain `$.a.b`)."""
    path = next((v for k, v in mapping.items() if str(k).lower() == "path"), None)
    return isinstance(path, str) and _PLAIN_PATH.fullmatch(path) is None
