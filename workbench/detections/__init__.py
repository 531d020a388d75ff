"""Detections: load Panther rules (panther-analysis layout) and run them, isolated, with PAT's semantics.

Public API (imported lazily, so the rule worker process can import its own modules from this package
without pulling in the loader's dependencies):

    RuleEngine(path, *, timeout=1.0, python=None, max_strikes=3)
                                                    .rules .invalid .skipped .run_events() .run_objects()
                                                    .run_tests() .reload() .changed_files() .close()
                                                    .last_run (RunStats: progress, strikes, suspended, partial)
    RuleResult, TestReport, CaseResult              plain results
    AlertGrouper, Alert                             dedup/threshold grouping, mergeable across partials
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the checker sees the real names (re-exported); at run time `__getattr__` imports them on use
    from workbench.detections.engine import ReloadSummary as ReloadSummary
    from workbench.detections.engine import RuleEngine as RuleEngine
    from workbench.detections.grouping import Alert as Alert
    from workbench.detections.grouping import AlertGrouper as AlertGrouper
    from workbench.detections.results import CaseResult as CaseResult
    from workbench.detections.results import RuleResult as RuleResult
    from workbench.detections.results import RuleTests as RuleTests
    from workbench.detections.results import TestReport as TestReport
    from workbench.detections.runs import RunStats as RunStats
    from workbench.detections.spec_types import InvalidSpec as InvalidSpec
    from workbench.detections.spec_types import RuleSpec as RuleSpec
    from workbench.detections.spec_types import SkippedSpec as SkippedSpec
    from workbench.detections.specs import load_content as load_content

_EXPORTS = {
    "RuleEngine": "workbench.detections.engine",
    "ReloadSummary": "workbench.detections.engine",
    "RuleResult": "workbench.detections.results",
    "TestReport": "workbench.detections.results",
    "CaseResult": "workbench.detections.results",
    "RuleTests": "workbench.detections.results",
    "RunStats": "workbench.detections.runs",
    "AlertGrouper": "workbench.detections.grouping",
    "Alert": "workbench.detections.grouping",
    "RuleSpec": "workbench.detections.spec_types",
    "InvalidSpec": "workbench.detections.spec_types",
    "SkippedSpec": "workbench.detections.spec_types",
    "load_content": "workbench.detections.specs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench.detections' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
