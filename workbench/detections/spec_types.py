"""What a content directory is read into: the validated specs of rules (with their unit tests), data
models and global helpers, the files that could not be used or are not run, and `Content`, all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class TestCase:
    """One entry of a rule's `Tests:` list. The event is kept as the JSON the worker receives (`log_json`):
    the parent never needs it as objects, and building them is most of the cost of a big repository."""

    index: int
    name: str
    expected_result: bool
    log_json: bytes
    mocks: tuple[tuple[str, Any], ...] = ()
    expected_destinations: tuple[str, ...] | None = None

    @property
    def log(self) -> dict:
        return orjson.loads(self.log_json)


@dataclass(frozen=True)
class RuleSpec:
    """A streaming or scheduled rule: its YAML metadata and the path of its Python file."""

    rule_id: str
    analysis_type: str
    enabled: bool
    log_types: tuple[str, ...]
    severity: str
    path: Path  # the YAML file
    py_path: Path
    display_name: str | None = None
    description: str | None = None
    reference: str | None = None
    runbook: str | None = None
    dedup_period_minutes: int = 60
    threshold: int = 1
    tags: tuple[str, ...] = ()
    reports: dict = field(default_factory=dict)
    summary_attributes: tuple[str, ...] = ()
    output_ids: tuple[str, ...] = ()
    create_alert: bool = True
    scheduled_queries: tuple[str, ...] = ()
    tests: tuple[TestCase, ...] = ()
    has_inline_filters: bool = False
    raw: dict = field(default_factory=dict, repr=False, compare=False)  # the YAML mapping, for --filter

    def worker_spec(self, ordinal: int) -> dict:
        """What the worker process needs to import and run this rule (plain JSON)."""
        return {
            "ordinal": ordinal,
            "rule_id": self.rule_id,
            "analysis_type": self.analysis_type,
            "py_path": str(self.py_path),
            "severity": self.severity,
            "display_name": self.display_name,
            "description": self.description,
            "reference": self.reference,
            "runbook": self.runbook,
            "output_ids": list(self.output_ids),
            "create_alert": self.create_alert,
            "enabled": self.enabled,
            "log_types": list(self.log_types),
            "mtime": _mtime(self.py_path),
        }


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@dataclass(frozen=True)
class DataModelSpec:
    """A data model: its log types, mappings and the Python file of its Method mappings."""

    model_id: str
    enabled: bool
    log_types: tuple[str, ...]
    mappings: tuple[dict, ...]
    path: Path
    py_path: Path | None = None

    def worker_spec(self) -> dict:
        return {"model_id": self.model_id, "log_types": list(self.log_types), "mappings": list(self.mappings),
                "py_path": str(self.py_path) if self.py_path else None}


@dataclass(frozen=True)
class GlobalSpec:
    """A global helper, importable by its GlobalID."""

    global_id: str
    path: Path
    py_path: Path


@dataclass(frozen=True)
class InvalidSpec:
    """A file that could not be used, with one plain-language reason."""

    path: Path
    message: str
    rule_id: str | None = None


@dataclass(frozen=True)
class SkippedSpec:
    """A spec listed but not run, with the reason."""

    path: Path
    analysis_id: str
    reason: str


@dataclass
class Content:
    """Everything loaded from one content directory."""

    root: Path
    rules: list[RuleSpec] = field(default_factory=list)
    data_models: list[DataModelSpec] = field(default_factory=list)
    globals: list[GlobalSpec] = field(default_factory=list)
    invalid: list[InvalidSpec] = field(default_factory=list)
    skipped: list[SkippedSpec] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every YAML and Python file the content depends on
