"""Differential check against Panther's CLI: run a content directory through PAT and `workbench rules test`
and compare every per-case line (verdicts, function outputs, error texts) and the summary counts.

The default content is tests/data/pat_content, the edge-case rules of the differential tests
(tests/core/detections/test_detections_oracle.py runs the same comparison in the test suite). PAT comes from the benchmark
venv (benchmarks/.venv-pat, see bench_rules_pat.py). Exit 0 when the outputs agree; otherwise the
differing lines are printed.

    python benchmarks/compat_pat.py [--path DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from bench_rules_pat import REPO, ensure_pat

ANSI = re.compile(r"\x1b\[[0-9;]*m")

def per_rule_lines(text: str, rule_ids: set[str]) -> dict[str, list[str]]:
    """RuleID -> the lines printed under it, in order (cases, functions, printed output, warnings)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in ANSI.sub("", text).splitlines():
        if line.strip() in rule_ids and not line.startswith("\t"):
            current = line.strip()
            out[current] = []
        elif line.startswith(("Failed Tests Summary", "Test Summary", "Passed:", "Skipped:", "Invalid:", "-----")):
            current = None
        elif current and line.strip() and not line.startswith("INFO:"):
            out[current].append(line.rstrip())
    return out


def summary(text: str) -> dict[str, int]:
    text = ANSI.sub("", text)
    return {k: int(m.group(1)) for k in ("Passed", "Failed", "Invalid", "Skipped")
            if (m := re.search(rf"{k}: (\d+)", text))}


def compare_content(pat: Path, root: Path, python: str = sys.executable) -> dict:
    """Run `root` through PAT and `workbench rules test`; what differs, and how much was compared.

    Lines are grouped per rule (cases, function outputs, errors, printed output). PAT logs a case that
    could not run (a mock of a missing name) as a WARNING on stderr, we print it under the rule: those
    are compared as a set. Environment variables starting with PYTHON are dropped for both.
    """
    sys.path.insert(0, str(REPO))
    from workbench.detections.specs import load_content

    rule_ids = {r.rule_id for r in load_content(root).rules}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(REPO)  # our CLI from this checkout, whatever the caller's install
    theirs = subprocess.run([str(pat), "test", "--path", "."], cwd=root, capture_output=True, text=True,
                            timeout=600, env={k: v for k, v in env.items() if k != "PYTHONPATH"})
    ours = subprocess.run([python, "-m", "workbench.cli", "rules", "test", "--path", "."], cwd=root,
                          capture_output=True, text=True, timeout=600, env=env)
    a, b = per_rule_lines(theirs.stdout, rule_ids), per_rule_lines(ours.stdout, rule_ids)
    their_warnings = sorted(ln for ln in theirs.stderr.splitlines() if ln.startswith("WARNING:"))
    our_warnings = sorted(ln for lines in b.values() for ln in lines if ln.startswith("WARNING:"))
    b = {rid: [ln for ln in lines if not ln.startswith("WARNING:")] for rid, lines in b.items()}
    diffs = [f"== {rid}\n-- PAT:\n" + "\n".join(a.get(rid, ["(missing)"])) + "\n-- ours:\n"
             + "\n".join(b.get(rid, ["(missing)"])) for rid in sorted(rule_ids) if a.get(rid) != b.get(rid)]
    return {
        "rules": len(rule_ids), "rules_printed_by_pat": len(a),
        "cases": sum(1 for lines in a.values() for ln in lines if ln.startswith(("\t[PASS]", "\t[FAIL]"))),
        "lines": sum(len(lines) for lines in a.values()),
        "diffs": diffs, "warnings": (their_warnings, our_warnings),
        "summary": (summary(theirs.stdout), summary(ours.stdout)),
        "exit": (theirs.returncode, ours.returncode), "pat_stdout": theirs.stdout,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--path", metavar="DIR", default=str(REPO / "tests" / "data" / "pat_content"),
                    help="content directory to compare on (default: tests/data/pat_content; e.g. rules)")
    args = ap.parse_args()
    result = compare_content(ensure_pat(), Path(args.path).resolve())
    for d in result["diffs"]:
        print(d)
    (tw, ow), (sa, sb), (ra, rb) = result["warnings"], result["summary"], result["exit"]
    if tw != ow:
        print("-- warnings differ:\nPAT: " + "\n".join(tw) + "\nours: " + "\n".join(ow))
    print(f"rules compared: {result['rules']}, test cases: {result['cases']}, lines: {result['lines']}, "
          f"rules differing: {len(result['diffs'])}; summary PAT {sa} ours {sb}; exit codes PAT {ra} ours {rb}")
    return 0 if not result["diffs"] and tw == ow and sa == sb and (ra == 0) == (rb == 0) else 1


if __name__ == "__main__":
    sys.exit(main())
