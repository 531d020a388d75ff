"""Fine-grained interleaving of a baseline and our code, for CPU-time ratios on a shared machine.

The machine's speed drifts on a scale of seconds (other tenants), so whole alternating runs of ~1 s each
still compare different machines. Here both sides take turns every `chunk` items (a few milliseconds),
and each run's time per side is the sum over its chunks: both see the same drift.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence


def interleaved(baseline: Callable[[Sequence], object], base_items: Sequence,
                ours: Callable[[Sequence], object], our_items: Sequence,
                runs: int, chunk: int = 2000) -> tuple[list[float], list[float]]:
    """CPU seconds per run: (baseline times, our times). Which side goes first alternates per chunk."""
    assert len(base_items) == len(our_items)
    b_times, o_times = [], []
    clock = time.process_time

    def timed(fn: Callable[[Sequence], object], items: Sequence) -> float:
        t = clock()
        fn(items)
        return clock() - t

    for _ in range(runs):
        gc.collect()
        b = o = 0.0
        for k, start in enumerate(range(0, len(base_items), chunk)):
            bs, os_ = base_items[start:start + chunk], our_items[start:start + chunk]
            if k % 2:
                o += timed(ours, os_)
                b += timed(baseline, bs)
            else:
                b += timed(baseline, bs)
                o += timed(ours, os_)
        b_times.append(b)
        o_times.append(o)
    return b_times, o_times


def report(b_times: list[float], o_times: list[float], *, n: int, unit: str, baseline_name: str,
           target: float) -> None:
    """The `ours:` / `baseline:` / `ratio:` lines both parse benchmarks print (ratio = baseline ÷ ours time)."""
    b, o = statistics.median(b_times), statistics.median(o_times)
    ratios = sorted(bt / ot for bt, ot in zip(b_times, o_times, strict=True))
    print(f"ours: {n / o:,.0f} {unit}/s (median {o:.3f} CPU s; runs {min(o_times):.3f}-{max(o_times):.3f})")
    print(f"baseline: {n / b:,.0f} {unit}/s (median {b:.3f} CPU s; runs {min(b_times):.3f}-{max(b_times):.3f})  "
          f"[{baseline_name}]")
    print(f"ratio: {b / o:.2f} (ratio of medians; run-by-run {ratios[0]:.2f}-{ratios[-1]:.2f}, "
          f"median {statistics.median(ratios):.2f})  (target >= {target})")
