"""Unit-test wall time on the project's rules/: Panther's own CLI (PAT) ÷ `workbench rules test`.

Both run as a user runs them, as fresh processes from the repository root, in the same run. PAT is
installed only into this benchmark's own venv (benchmarks/.venv-pat, created on first run); it is never
a project dependency. Prints ours, baseline and ratio (target: ≥ 10×).

    python benchmarks/bench_rules_pat.py [--runs N] [--path rules]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAT_VENV = REPO / "benchmarks" / ".venv-pat"
PAT_VERSION = "1.11.1"


def ensure_pat() -> Path:
    """The PAT entry point in the benchmark venv, installing it on first use."""
    exe = PAT_VENV / "bin" / "panther_analysis_tool"
    if exe.exists():
        return exe
    print(f"creating {PAT_VENV} with panther-analysis-tool=={PAT_VERSION} (first run only)…", file=sys.stderr)
    venv.create(PAT_VENV, with_pip=True)
    subprocess.run([str(PAT_VENV / "bin" / "pip"), "install", "-q", f"panther-analysis-tool=={PAT_VERSION}"],
                   check=True)
    return exe


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    return time.perf_counter() - start, proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--path", default="rules")
    args = ap.parse_args()
    pat = ensure_pat()
    ours_cmd = [sys.executable, "-m", "workbench.cli", "rules", "test", "--path", args.path]
    pat_cmd = [str(pat), "test", "--path", args.path]
    ours, base = [], []
    for _ in range(args.runs):
        t, proc = timed(pat_cmd)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
            print("PAT failed on the content: no ratio", file=sys.stderr)
            return 1
        base.append(t)
        t, proc = timed(ours_cmd)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
            return 1
        ours.append(t)
    summary = proc.stdout.strip().splitlines()[-1]
    o, b = statistics.median(ours), statistics.median(base)
    print(f"content: {args.path} ({summary})")
    print(f"ours:     {o:.3f} s  (workbench rules test, median of {args.runs})")
    print(f"baseline: {b:.3f} s  (panther_analysis_tool {PAT_VERSION} test, median of {args.runs})")
    print(f"ratio:    {b / o:.1f}x  (baseline ÷ ours; target ≥ 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
