"""Inference on the same parsed events: ours vs feeding every event to genson.

ours     = workbench.infer.infer_events with its defaults: structure from a uniform sample of 20,000 events
           (all events when fewer), shape de-duplication, genson on one representative per shape,
           presence / null / type counts per field, value typing (timestamps, numeric text, booleans,
           embedded JSON, indicators) and statistics on a value sample (5,000 events + one per shape),
           Panther types, required, event time, explanations
baseline = genson SchemaBuilder.add_object(event) for every event, then to_schema() (structure only)
ratio    = ours events/s ÷ baseline events/s   (issue 10 target: ≥ 5)

Also printed: ours with structure_sample=None (every event's shape computed; no sampling).
Both start from the same already-parsed CloudTrail-like events (JSON decoding is not timed for either).
Usage: python benchmarks/bench_infer.py [N]   (N events, default 100000; median CPU time of 3 runs each)
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

import orjson
from genson import SchemaBuilder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parse import lines

from workbench.infer import infer_events


def cpu_seconds(fn, runs: int = 3) -> float:
    """Median CPU time of `fn` in this process: on a shared machine wall time mostly measures the neighbours."""
    times = []
    for _ in range(runs):
        gc.collect()
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    events = [orjson.loads(t) for t in lines(n)]

    def baseline():
        b = SchemaBuilder()
        for e in events:
            b.add_object(e)
        b.to_schema()

    result = {}

    def ours():
        result["r"] = infer_events(events, "Custom.Bench")

    def ours_exact():
        infer_events(events, "Custom.Bench", structure_sample=None)

    o = cpu_seconds(ours)
    x = cpu_seconds(ours_exact)
    b = cpu_seconds(baseline)
    r = result["r"]
    print(f"events: {n:,} CloudTrail-like ({r.shapes} shapes; structure counted on {r.structure_examined_events:,} "
          f"events, values examined in {r.values_examined_events:,})")
    print(f"ours: {n / o:,.0f} events/s ({o:.3f} CPU s)")
    print(f"ours, exact structure of every event (structure_sample=None): {n / x:,.0f} events/s ({x:.3f} CPU s), "
          f"ratio {b / x:.2f}")
    print(f"baseline: {n / b:,.0f} events/s ({b:.3f} CPU s)  [genson add_object per event + to_schema]")
    print(f"ratio: {b / o:.2f}  (target >= 5)")


if __name__ == "__main__":
    main()
