"""Shared pieces of the rule-engine tests: a rule written to a folder as Panther's two files, the Python
module and its YAML spec (Custom.T log type, Low severity) with the unit tests given; and the yardstick of the
spec loaders' fast paths, the full YAML 1.2 loader, with a walk comparing a loader to it file by file."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from workbench.detections.yaml12 import Yaml12Loader

REPO = Path(__file__).resolve().parents[1]

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


def full_yaml(text: str):
    """What the full YAML 1.2 loader (a SafeLoader subclass) gives: what every fast path must equal."""
    return yaml.load(text, Loader=Yaml12Loader)


def same(a, b) -> bool:
    """Equal, with the same types and the same key order all the way down (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def repository_spec_files() -> list[Path]:
    """Every rule spec the repository holds: the shipped rules and the Panther-style content of tests/data."""
    files = [*REPO.glob("rules/**/*.yml"), *REPO.glob("tests/data/pat_content/**/*.yml")]
    assert len(files) > 40
    return files


def generated_spec_files(out: Path, rules: int = 120) -> list[Path]:
    """The spec files of a panther-analysis-shaped repository written by benchmarks/gen_rules_repo.py."""
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "gen_rules_repo.py"), "--out", str(out),
                    "--rules", str(rules), "--seed", "3"], check=True, capture_output=True)
    files = sorted(out.rglob("*.yml"))
    assert len(files) > 100
    return files


def each_loads_as_full_yaml(files: Iterable[Path], load: Callable[[str], object]) -> list[str]:
    """Assert `load` gives for every file exactly what the full loader gives; returns the texts read."""
    texts = []
    for f in files:
        text = f.read_text()
        assert same(load(text), full_yaml(text)), f
        texts.append(text)
    return texts
