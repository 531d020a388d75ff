"""The Rules screen's rule engine and the thread workers that call it: the run over the session's events
(with progress a few times a second, cancellable), the unit tests, and the check for changed rule files.
Each worker posts one message back; `RulesScreen` (screens/flow/rules.py) builds on this class and shows
them.

The engine (`workbench.detections.RuleEngine`, rules in an isolated worker process) is created on first use
and only ever called from these workers, one at a time (`engine_lock` serialises them).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from screens.flow.base import WorkbenchScreen
from screens.presenters.rules_view import RuleRun, run_rules
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from pathlib import Path

    from workbench.detections import RuleEngine, RunStats
    from workbench.detections.results import TestReport

PROGRESS_INTERVAL = 0.25  # seconds between progress updates of a running rule run


class RulesRunScreen(WorkbenchScreen):
    @dataclass(eq=False)
    class Ran(Message):
        run: RuleRun
        reason: str

    @dataclass(eq=False)
    class Tested(Message):
        report: TestReport
        rule_ids: list[str]

    @dataclass(eq=False)
    class Progressed(Message):
        done: int
        total: int
        suspended: int

    @dataclass(eq=False)
    class FilesChanged(Message):
        files: list[str]
        added: tuple[str, ...] = ()
        removed: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.engine: RuleEngine | None = None
        self.engine_lock = threading.Lock()

    def on_unmount(self) -> None:
        engine, self.engine = self.engine, None
        if engine is not None:
            threading.Thread(target=engine.close, name="rules-engine-close", daemon=True).start()

    def _rules_dir(self) -> Path:
        rules_dir = self.session.config.rules_dir
        if rules_dir is None:
            raise WorkbenchError("The config names no rules directory (`rules:`); add one to run detections.")
        return rules_dir

    def _engine(self) -> RuleEngine:
        """The rule engine, created on first use (call with `engine_lock` held, from a worker)."""
        if self.engine is None:
            from workbench.detections import RuleEngine

            self.engine = RuleEngine(self._rules_dir())
        return self.engine

    @work(thread=True, group="rules-run", exclusive=True, exit_on_error=False, description="Run rules")
    def run_rules(self, events: list[dict], log_type: str | None, reason: str) -> None:
        worker = get_current_worker()
        with self.engine_lock:
            if worker.is_cancelled:
                return
            engine = self._engine()
            engine.reload()
            last = [0.0]

            def progressed(stats: RunStats) -> None:  # called after every partial reply: a few a second reach the UI
                now = time.monotonic()
                if now - last[0] >= PROGRESS_INTERVAL:
                    last[0] = now
                    self.post_message(self.Progressed(max(stats.events, stats.evaluated), len(events),
                                                      len(stats.suspended)))

            run = run_rules(engine, events, log_type, lambda: worker.is_cancelled, progressed)
        # a cancelled run still reports: its counts are true for the events it got through
        self.post_message(self.Ran(run, reason))

    @work(thread=True, group="rules-tests", exclusive=True, exit_on_error=False, description="Rule unit tests")
    def run_tests(self, rule_ids: list[str]) -> None:
        with self.engine_lock:
            report = self._engine().run_tests(rule_ids=rule_ids)
        self.post_message(self.Tested(report, rule_ids))

    @work(thread=True, group="rules-watch", exclusive=True, exit_on_error=False, description="Watch rule files")
    def check_files(self) -> None:
        """Reload the content when a rule, helper or data-model file changed (posts the files, or none)."""
        summary = None
        try:
            if self.engine_lock.acquire(blocking=False):  # a run or test in progress reloads by itself
                try:
                    if self.engine is not None:
                        summary = self.engine.reload()
                finally:
                    self.engine_lock.release()
        finally:
            self.post_message(self.FilesChanged(list(summary.changed), summary.added, summary.removed)
                              if summary else self.FilesChanged([]))
