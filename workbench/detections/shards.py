"""Unit tests of a big repository on several rule workers at once (the engine's `test_workers`).

Importing ~900 rule modules and running ~3,000 cases one by one is the critical path of `rules test` on a
big repository, and it is serial in one worker. Here the rules are split into shards, whole rules each (a
rule's cases stay on one worker), balanced by what they cost; every worker imports the helpers and data
models and only its shard's rules, under their global ordinals, so a reply means the same whatever worker
sent it. All loads are sent first, then each worker gets its cases as soon as it has answered its load
(it is idle and reading then, so the write cannot block on a hung worker), and the replies are collected
in turn: the workers run side by side. A crash is handled per worker, with the single worker's rules
(`collect_tests`): a crash in one shard never loses another shard's results.
"""

from __future__ import annotations

import os
import select
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from typing import Any

import orjson

from workbench.detections.process import WorkerCrash, WorkerProcess
from workbench.detections.spec_types import Content, InvalidSpec

MAX_RETRIES = 50  # crashes tolerated per worker within one unit-test run before the rest of it is given up
MIN_CASES = 200  # below this, a second worker costs more (its start, a second set of helper imports) than it saves
IMPORT_WEIGHT = 2  # importing a rule module costs about two test cases
FORCE_ENV = "WORKBENCH_TEST_SHARDS"  # tests only: shard into this many workers whatever the size


def shard_count(workers: int, n_cases: int) -> int:
    """How many workers a unit-test run of `n_cases` cases uses, of the `workers` allowed."""
    forced = os.environ.get(FORCE_ENV, "").strip()
    if forced.isdigit():
        return max(1, int(forced))
    return workers if workers > 1 and n_cases >= MIN_CASES else 1


def split(n_rules: int, cases_of: Mapping[int, int], n: int, mocked: Set[int] = frozenset()) -> list[list[int]]:
    """The rule ordinals of each of `n` shards, each in ordinal order: whole rules, the heaviest first to
    the lightest shard (rules without chosen cases are still loaded, for their import errors). Rules with
    `mocked` cases go to the first shard while it holds no more than its share: the other workers then
    never import unittest.mock (~50 ms of CPU each)."""
    weight = {o: IMPORT_WEIGHT + cases_of.get(o, 0) for o in range(n_rules)}
    share = sum(weight.values()) / n if n else 0
    shards: list[list[int]] = [[] for _ in range(n)]
    loads = [0] * n
    rest = []
    for o in sorted(weight, key=lambda o: (-weight[o], o)):
        if o in mocked and loads[0] + weight[o] <= share:
            shards[0].append(o)
            loads[0] += weight[o]
        else:
            rest.append(o)
    for o in rest:
        k = loads.index(min(loads))
        shards[k].append(o)
        loads[k] += weight[o]
    return [sorted(s) for s in shards]


class Shard:
    """One worker and the rules it holds; `skip`, `crash_errors` and `fatal` as the single worker's load."""

    def __init__(self, worker: WorkerProcess, content: Content, ordinals: list[int],
                 worker_specs: Sequence[dict] | None = None):
        self.worker = worker
        self.content = content
        self.ordinals = ordinals
        # each rule's worker_spec by ordinal, when the caller has them already (each costs a stat)
        self.worker_specs = worker_specs
        self.skip: list[str] = []
        self.crash_errors: list[tuple[int, InvalidSpec]] = []  # (ordinal, error) of rules that killed the load
        self.fatal: str | None = None  # a data model or helper brought the worker down: nothing can run
        self.reply: dict = {}
        self._loaded_in = -1  # worker.starts of the process that holds this shard's rules
        self._load_id = 0

    def load_msg(self) -> bytes:
        specs = self.content.rules
        return orjson.dumps({
            "op": "load",
            "globals": {g.global_id: str(g.py_path) for g in self.content.globals},
            "data_models": [dm.worker_spec() for dm in self.content.data_models],
            "rules": [specs[o].worker_spec(o) if self.worker_specs is None else self.worker_specs[o]
                      for o in self.ordinals],
            "skip": self.skip,
        }, default=str, option=orjson.OPT_NON_STR_KEYS)

    def send_load(self) -> None:
        self._load_id = self.worker.send(self.load_msg())

    def finish_load(self) -> None:
        """The load's reply, retrying without each rule whose import kills the worker."""
        specs = self.content.rules
        while True:
            try:
                self.reply = self.worker.receive(self._load_id)
                self._loaded_in = self.worker.starts
                return
            except WorkerCrash as crash:
                o = crash.ordinal
                culprit = specs[o] if o is not None and o in self.ordinals else None
                if o is None or culprit is None or culprit.rule_id in self.skip:
                    self.fatal = crash.message
                    return
                self.skip.append(culprit.rule_id)
                self.crash_errors.append((o, InvalidSpec(culprit.path, f"{culprit.path}: importing "
                                                         f"{culprit.py_path.name}: {crash.message}", culprit.rule_id)))
                self.send_load()

    def request_tests(self, cases: list[dict]) -> dict:
        """One "tests" request, reloading this shard's rules into a worker restarted after a crash."""
        if not self.worker.alive or self._loaded_in != self.worker.starts:
            try:
                self.worker.ensure_running()
                self.worker.request(self.load_msg())
            except WorkerCrash as crash:
                raise WorkerCrash(crash.kind, f"reloading the rules after a crash: {crash.message}", None,
                                  None) from None
            self._loaded_in = self.worker.starts
        return self.worker.request({"op": "tests", "cases": cases})


def _by_first_reply(shards: Sequence[Shard], todos: list[list[dict]], bodies: list[bytes]
                    ) -> Iterator[tuple[Shard, list[dict], bytes]]:
    """The shards in the order their workers answer the load, so that each gets its cases as soon as it is
    idle (the worker that imports unittest.mock, or more rules, answers later). When none has answered
    within a moment, the first one left in shard order: its `finish_load` watches it for hangs."""
    left = list(zip(shards, todos, bodies, strict=True))
    while left:
        pick = 0
        for _ in range(20):
            ready = [i for i, (s, _t, _b) in enumerate(left) if s.worker.reply_ready()]
            if ready:
                pick = ready[0]
                break
            select.select([s.worker.proc.stdout for s, _t, _b in left if s.worker.proc is not None
                           and s.worker.proc.stdout is not None], [], [], 0.05)
        yield left.pop(pick)


def collect_tests(request: Callable[[list[dict]], dict], todo: list[dict], first: dict | WorkerCrash | None,
                  known: Mapping[int, Any], raw: dict[int, list], crashed: dict[int, str]) -> None:
    """Run `todo` (worker "tests" cases) through `request` into `raw` (ident -> [result, stdout, mock error])
    and `crashed` (ident -> why it has no result); `first` is the reply (or crash) to a request already sent
    for all of `todo`. A case that kills the worker is charged with it; the rest run again on a new one."""
    for _attempt in range(MAX_RETRIES):
        if not todo:
            break
        try:
            if first is not None:
                reply, first = first, None
                if isinstance(reply, WorkerCrash):
                    raise reply
            else:
                reply = request(todo)
        except WorkerCrash as crash:
            if crash.ident is None or crash.ident not in known:
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


def run_sharded(shards: Sequence[Shard], cases: list[dict], known: Mapping[int, Any],
                raw: dict[int, list], crashed: dict[int, str], meanwhile: Callable[[], None] | None = None) -> None:
    """Load every shard, then run each shard's share of `cases` on its worker, all workers at once.
    `meanwhile()` runs while the workers import their rules (this process would only wait)."""
    for s in shards:
        s.send_load()
    # each shard's cases, encoded while the workers import their rules
    shard_of = {o: k for k, s in enumerate(shards) for o in s.ordinals}
    todos: list[list[dict]] = [[] for _ in shards]
    for c in cases:
        todos[shard_of[c["ordinal"]]].append(c)
    bodies = [orjson.dumps({"op": "tests", "cases": todo}, default=str, option=orjson.OPT_NON_STR_KEYS)
              for todo in todos]
    if meanwhile is not None:
        meanwhile()
    sent: list[tuple[Shard, list[dict], int | None]] = []
    for s, todo, body in _by_first_reply(shards, todos, bodies):
        s.finish_load()
        if s.fatal is not None:
            continue
        ready = todo and s.worker.alive and s._loaded_in == s.worker.starts  # not a worker that exits after its load
        # the worker has just answered: it is reading, so this write cannot block on a hung worker
        sent.append((s, todo, s.worker.send(body) if ready else None))
    if any(s.fatal is not None for s in shards):
        return  # the engine reports the content as unloadable, as with one worker
    for s, todo, rid in sent:
        first: dict | WorkerCrash | None = None
        if rid is not None:
            try:
                first = s.worker.receive(rid)
            except WorkerCrash as crash:
                first = crash
        collect_tests(s.request_tests, todo, first, known, raw, crashed)
