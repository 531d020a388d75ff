"""`RuleEngine`: load a content directory once, then run its rules over events and its unit tests.

Rule code never runs in the caller's process: every evaluation goes to a reused worker process. When a
call hangs or kills the worker, that call becomes that rule's error on that event, the worker is restarted
and the batch goes on from its last partial reply; a rule that keeps doing it is suspended for the rest of
the run (runs.py, runner.py). Edits to rule, helper or data-model files are picked up on the next
run (`auto_reload`), re-importing only changed rule modules, or restarting the worker when a helper or
data model changed (modules that imported the old helper would otherwise keep it).

The engine's other concerns are mixins: loading the content into the workers (engine_load.py), unit tests
(engine_unit_tests.py) and runs over events (runner.py).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.detections.engine_unit_tests import UnitTestRuns
from workbench.detections.process import WorkerProcess
from workbench.detections.results import RuleResult
from workbench.detections.runner import EventRuns
from workbench.detections.runs import DEFAULT_MAX_STRIKES, EMPTY, RunStats
from workbench.detections.spec_types import Content, InvalidSpec, RuleSpec
from workbench.detections.specs import load_content

RELOAD_CHECK_INTERVAL = 0.5  # seconds between file scans in auto-reload mode
TEST_PRELOAD = ("unittest.mock",)  # what a worker for unit tests imports at start-up
_new = object.__new__



@dataclass(frozen=True)
class ReloadSummary:
    """What a reload found and did."""

    changed: tuple[str, ...]  # files that changed, appeared or disappeared
    restarted: bool  # the worker was restarted (a helper or data model changed)
    added: tuple[str, ...] = ()  # of `changed`: files that appeared
    removed: tuple[str, ...] = ()  # of `changed`: files that disappeared

    def __bool__(self) -> bool:
        return bool(self.changed)


class RuleEngine(UnitTestRuns, EventRuns):
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

    # --- content files and reloads -----------------------------------------------------------------------

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
        from workbench.detections.spec_walk import _yaml_files, support_dirs

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

        from workbench.detections.spec_walk import support_dirs

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
