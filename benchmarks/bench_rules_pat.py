"""Unit-test wall time on the project's rules/: Panther's own CLI (PAT) ÷ `workbench rules test`.

Both run as a user runs them, as fresh processes from the repository root, in the same run. PAT is
installed only into this benchmark's own venv (benchmarks/.venv-pat, created on first run); it is never
a project dependency. Prints ours, baseline and ratio (target: ≥ 10×).

    python benchmarks/bench_rules_pat.py [--runs N] [--path rules] [--cold] [--other DIR]

`--cold` gives every run of ours an empty parse cache (as a first run or a fresh CI machine has it);
without it, ours runs as a developer's repeated runs do, with the cache the untimed first run filled.
Big repositories: `benchmarks/gen_rules_repo.py` writes one (900 rules, ~3,000 tests). `--other DIR`:
another checkout of this repository (e.g. a worktree of the commit before a change, sharing this venv)
is timed in the same interleaved runs, for a before/after on a machine whose load keeps changing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAT_VENV = REPO / "benchmarks" / ".venv-pat"
PAT_VERSION = "1.11.1"
# What the venv holds: PAT, the panther-core release its metadata pins (>=0.16.3,<0.17: the one installed
# with it, fixed here so the oracle never moves under the tests) and panther-detection-helpers, which PAT
# does not depend on; 1.0.2 is the release current panther-analysis content imports.
PAT_REQUIREMENTS = (f"panther-analysis-tool=={PAT_VERSION}", "panther-core==0.16.3",
                    "panther-detection-helpers==1.0.2")


class OracleUnavailable(RuntimeError):
    """The venv could not be built; `offline` when pip could not reach the package index."""

    def __init__(self, message: str, offline: bool):
        super().__init__(message)
        self.offline = offline


_OFFLINE_HINTS = ("Could not find a version", "No matching distribution", "NewConnectionError",
                  "Max retries exceeded", "Temporary failure in name resolution", "Network is unreachable",
                  "Connection refused", "ConnectTimeout", "ReadTimeout", "Could not fetch URL")


def ensure_pat() -> Path:
    """The PAT entry point in the benchmark venv, installing (or completing) it on first use.

    Also the differential tests' oracle (tests/test_detections_oracle.py): a marker file lists what was
    installed, so a venv from an older requirement list is brought up to date instead of trusted. A lock
    keeps two processes (pytest workers, a benchmark) from building it at once.
    """
    import fcntl

    exe = PAT_VENV / "bin" / "panther_analysis_tool"
    marker = PAT_VENV / ".oracle-requirements"
    wanted = "\n".join(PAT_REQUIREMENTS)
    if exe.exists() and marker.exists() and marker.read_text() == wanted:
        return exe
    PAT_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(PAT_VENV.parent / ".venv-pat.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if exe.exists() and marker.exists() and marker.read_text() == wanted:
            return exe
        print(f"building {PAT_VENV} with {', '.join(PAT_REQUIREMENTS)} (first run only)…", file=sys.stderr)
        if not (PAT_VENV / "bin" / "pip").exists():
            venv.create(PAT_VENV, with_pip=True)
        proc = subprocess.run([str(PAT_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                               *PAT_REQUIREMENTS], capture_output=True, text=True)
        if proc.returncode != 0:
            text = proc.stdout + proc.stderr
            errors = [ln for ln in text.splitlines() if not ln.startswith("WARNING: Location")]
            raise OracleUnavailable("pip install failed: " + " | ".join(errors[-6:]),
                                    offline=any(h in text for h in _OFFLINE_HINTS))
        marker.write_text(wanted)
    return exe


def _env(cold: bool = False) -> dict[str, str]:
    """The caller's environment, minus PYTHONDONTWRITEBYTECODE: a user's installed tools run from byte
    code, and with it set every edited module would be compiled from source on every run. `cold`: a new,
    empty cache folder for our spec-parse cache."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cold:
        import tempfile

        env["WORKBENCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="wb-cold-cache-")
    return env


def timed(cmd: list[str], cold: bool = False, cwd: Path = REPO) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time and CPU time (user + system, the process and every child it waited for)."""
    env = _env(cold)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        if cold:  # outside the timed part
            import shutil

            shutil.rmtree(env["WORKBENCH_CACHE_DIR"], ignore_errors=True)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--path", default="rules")
    ap.add_argument("--cold", action="store_true", help="an empty parse cache for every run of ours")
    ap.add_argument("--other", type=Path, metavar="DIR", help="another checkout of this repository to time "
                                                              "alongside (its workbench under this Python)")
    args = ap.parse_args()
    pat = ensure_pat()
    ours_cmd = [sys.executable, "-m", "workbench.cli", "rules", "test", "--path", args.path]
    other_cmd = [*ours_cmd[:-1], str((REPO / args.path).resolve())]
    pat_cmd = [str(pat), "test", "--path", args.path]
    # one untimed run of each first: byte code written, files in the page cache, for both alike
    timed(pat_cmd)
    timed(ours_cmd)
    if args.other:
        timed(other_cmd, cwd=args.other)
    ours, base, ours_cpu, base_cpu, other, other_cpu = [], [], [], [], [], []
    load_before = os.getloadavg()
    for _ in range(args.runs):
        if args.other:  # the other checkout takes its turn in the same runs
            t, cpu, proc = timed(other_cmd, cold=args.cold, cwd=args.other)
            if proc.returncode != 0:
                print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
                return 1
            other.append(t)
            other_cpu.append(cpu)
        t, cpu, proc = timed(pat_cmd)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
            print("PAT failed on the content: no ratio", file=sys.stderr)
            return 1
        base.append(t)
        base_cpu.append(cpu)
        t, cpu, proc = timed(ours_cmd, cold=args.cold)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
            return 1
        ours.append(t)
        ours_cpu.append(cpu)
    summary = proc.stdout.strip().splitlines()[-1]
    o, b = statistics.median(ours), statistics.median(base)
    oc, bc = statistics.median(ours_cpu), statistics.median(base_cpu)
    # each run's PAT time ÷ the same run's time of ours: the machine's load moves both together
    paired = sorted(pb / po for pb, po in zip(base, ours, strict=True))
    print(f"content: {args.path} ({summary}){'; ours with an empty parse cache every run' if args.cold else ''}")
    print(f"ours:     {o:.3f} s  (workbench rules test, wall, median of {args.runs}, range {min(ours):.3f}–"
          f"{max(ours):.3f}; CPU {oc:.3f} s)")
    print(f"baseline: {b:.3f} s  (panther_analysis_tool {PAT_VERSION} test, wall, median of {args.runs}, range "
          f"{min(base):.3f}–{max(base):.3f}; CPU {bc:.3f} s)")
    print(f"ratio:    {b / o:.1f}x  (baseline ÷ ours, wall medians; target ≥ 10x)   per run: "
          f"{statistics.median(paired):.1f}x median, {paired[0]:.1f}–{paired[-1]:.1f}x   CPU: {bc / oc:.1f}x")
    if args.other:
        m, mc = statistics.median(other), statistics.median(other_cpu)
        paired = sorted(pb / po for pb, po in zip(base, other, strict=True))
        print(f"other:    {m:.3f} s  ({args.other}, wall, median of {args.runs}, range {min(other):.3f}–"
              f"{max(other):.3f}; CPU {mc:.3f} s)   ratio {b / m:.1f}x, per run {statistics.median(paired):.1f}x "
              f"median, {paired[0]:.1f}–{paired[-1]:.1f}x   CPU: {bc / mc:.1f}x")
    print("load average (1, 5, 15 min): before " + ", ".join(f"{x:.1f}" for x in load_before)
          + "; after " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
