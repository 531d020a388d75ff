"""Shared pieces of the rule-engine tests: a rule written to a folder as Panther's two files, the Python
module and its YAML spec (Custom.T log type, Low severity) with the unit tests given."""

from __future__ import annotations

import json
import os
from pathlib import Path

# one rule unit test: (Name, ExpectedResult, Log)
RuleTest = tuple[str, bool, dict]


def write_rule(root: Path, rule_id: str, py: str, tests: list[RuleTest]) -> None:
    """Write `<rule_id>.py` and `.yml` under `root`. Rewriting a rule always changes its .py's mtime, even
    on a coarse clock, so an engine that reloads on change sees the edit."""
    name = rule_id.lower().replace(".", "_")
    path = root / f"{name}.py"
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(py)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))
    lines = ["AnalysisType: rule", f"RuleID: {rule_id}", "Enabled: true", f"Filename: {name}.py",
             "LogTypes: [Custom.T]", "Severity: Low", "Tests:"]
    for test_name, expected, log in tests:
        lines += [f"  - Name: {test_name}", f"    ExpectedResult: {str(expected).lower()}", f"    Log: {json.dumps(log)}"]
    (root / f"{name}.yml").write_text("\n".join(lines) + "\n")
