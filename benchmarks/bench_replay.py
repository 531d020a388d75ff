"""Replay scale-out on the demo history (the repo's rules and schemas, the demo's 14 days):

* events/s of a replay on a 2-worker LocalCluster ÷ on a 1-worker LocalCluster (target ≥ 1.7);
* events/s of a replay on a 1-worker LocalCluster ÷ a plain in-process loop over the same objects
  (fetch → decode → parse → rules, no Dask; target ≥ 0.9: the engine's overhead stays small).

Every mode is timed warm, from the first object fetched to the last result: the replay's `run_s` starts
after the cluster is up and each worker has loaded the rules and schemas (`warm_up`); the loop's engine
and parsers are loaded before its clock starts. Modes run in rotation, `--rounds` times, so drift in the
machine's load hits every mode alike; ratios of the medians and of the best runs (the least disturbed,
as `timeit` reports) are printed. Every run must produce the same
events and matches, or the script fails.

On a shared machine the 2-worker ratio is capped by what the machine gives a second process at that
moment, so each round also times a control: a pure-Python busy loop, 2 processes ÷ 1. A replay ratio
near the control's is as much scaling as the machine allowed.

    .venv/bin/python benchmarks/bench_replay.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from workbench.aws import AwsSession
from workbench.config import load_config
from workbench.demo.runtime import start_demo
from workbench.demo.seed import DemoSpec
from workbench.detections import RuleEngine
from workbench.detections.grouping import AlertGrouper
from workbench.events.pipeline import events_from_object
from workbench.model import FetchFailure
from workbench.parse import parsers_for_source
from workbench.replay import ReplayOptions, run_replay
from workbench.replay.plan import list_window
from workbench.replay.task import FETCH_THREADS, MAX_OBJECT_BYTES
from workbench.source.s3 import fetch_objects


def in_process(config, source, refs, engine, parse) -> tuple[int, int, float]:
    """The baseline: one process, the same core calls, objects fetched FETCH_THREADS at a time."""
    aws = AwsSession(source)
    grouper = AlertGrouper.for_rules(r for r in engine.rules if r.enabled)
    events = 0
    t0 = time.perf_counter()
    for ref, data in fetch_objects(aws, refs, workers=FETCH_THREADS, max_bytes=MAX_OBJECT_BYTES):
        if isinstance(data, FetchFailure):
            continue
        good = [e for e in events_from_object(config, source, ref, data, parse=parse) if isinstance(e, dict)]
        events += len(good)
        grouper.add_all(engine.run_events(good))
    seconds = time.perf_counter() - t0
    return events, sum(c.matches for c in grouper.counts.values()), seconds


def agreed_counts(seen: set[tuple[int, int]]) -> tuple[int, int] | None:
    """The one (events, matches) every mode gave; None, said on stderr, when the modes disagree."""
    if len(seen) != 1:
        print(f"modes disagree on (events, matches): {sorted(seen)}", file=sys.stderr)
        return None
    return next(iter(seen))


def _busy(n: int) -> int:
    s = 0
    for i in range(n):
        s += i
    return s


def control() -> float:
    """Throughput of 2 busy-loop processes ÷ 1 right now: the most a second worker could add."""
    n = 10_000_000
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_busy, [1000, 1000])  # both processes up before timing
        t0 = time.perf_counter()
        pool.apply(_busy, (n,))
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        pool.map(_busy, [n, n], chunksize=1)
        two = time.perf_counter() - t0
    return 2 * one / two


def replay(config, source, since, until, workers: int, tmp: Path) -> tuple[int, int, float]:
    options = ReplayOptions(since=since, until=until, workers=workers, results_path=tmp / f"r{workers}.jsonl")
    r = run_replay(config, source, options)
    assert r.complete and not r.failed_tasks, r.to_json()
    return r.totals.events, r.totals.matches, r.run_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp_name:
        tmp = Path(tmp_name)
        spec = DemoSpec()
        demo = start_demo(tmp / "demo", spec, rate=None)
        try:
            config = load_config(demo.config_path)
            source = config.source("demo")
            until = spec.end
            since = until - timedelta(days=spec.days)
            refs = list_window(AwsSession(source), source, since, until)
            engine = RuleEngine(config.rules_dir)
            parse = parsers_for_source(config, source)
            in_process(config, source, refs[:40], engine, parse)  # warm: rules loaded, schemas compiled
            rates: dict[str, list[float]] = {"loop": [], "1 worker": [], "2 workers": []}
            controls: list[float] = []
            seen = set()
            for _ in range(args.rounds):
                controls.append(control())
                print(f"  control: 2 busy processes ÷ 1 = {controls[-1]:.2f}", file=sys.stderr)
                for mode in rates:
                    if mode == "loop":
                        events, matches, seconds = in_process(config, source, refs, engine, parse)
                    else:
                        events, matches, seconds = replay(config, source, since, until, int(mode[0]), tmp)
                    seen.add((events, matches))
                    rates[mode].append(events / seconds)
                    print(f"  {mode:>9}: {events:,} events, {matches:,} matches in {seconds:.2f} s "
                          f"= {events / seconds:,.0f} events/s", file=sys.stderr)
            engine.close()
        finally:
            demo.stop()
    agreed = agreed_counts(seen)
    if agreed is None:
        return 1
    events, matches = agreed
    print(f"demo history: {len(refs)} objects, {events:,} events, {matches:,} matches; {args.rounds} rounds")
    print(f"{'ratio':<42} {'of':>6} {'ours ev/s':>10} {'baseline ev/s':>14} {'ratio':>6} {'target':>7}")
    for stat, pick in (("median", statistics.median), ("best", max)):
        r = {mode: pick(v) for mode, v in rates.items()}
        for name, ours, base, target in (
            ("2 workers ÷ 1 worker (LocalCluster)", r["2 workers"], r["1 worker"], 1.7),
            ("1-worker LocalCluster ÷ in-process loop", r["1 worker"], r["loop"], 0.9),
        ):
            print(f"{name:<42} {stat:>6} {ours:>10,.0f} {base:>14,.0f} {ours / base:>6.2f} {'≥ ' + str(target):>7}")
    print(f"control (2 busy-loop processes ÷ 1, same rounds): median {statistics.median(controls):.2f}, "
          f"best {max(controls):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
