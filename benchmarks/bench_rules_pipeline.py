"""`rules run` events/s with the demo's rules ÷ parse-only events/s, on the same objects.

Objects: the demo's seeded history (every format, gzip'd, the hostile objects included), held in memory,
so S3 is not what is measured. Parse-only: decode each object and parse every record with the source's
parsers (what `workbench parse` does per object). Ours: what `workbench rules run` does per object:
decode, parse, run every rule of each event's log type in the isolated worker, group the results into
alerts (`AlertGrouper.add` per result, as the CLI does). Runs alternate (parse-only, ours, parse-only,
…) so the machine's load hits both alike; each line is the median of the per-pair ratios.

    python benchmarks/bench_rules_pipeline.py [--days 14] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.config import load_config  # noqa: E402
from workbench.demo.seed import DemoSpec, history, write_config  # noqa: E402
from workbench.model import ObjectRef  # noqa: E402


def objects(days: int) -> list[tuple[ObjectRef, bytes]]:
    puts = history(DemoSpec(days=days))
    return [(ObjectRef("demo", p.key, len(p.body)), p.body) for p in puts]


def parse_only(cfg, source, objs) -> tuple[float, int]:
    from workbench.events.pipeline import events_from_object

    start = time.perf_counter()
    n = 0
    for ref, body in objs:
        n += sum(1 for e in events_from_object(cfg, source, ref, body) if type(e) is dict)
    return time.perf_counter() - start, n


def rules_run(cfg, source, objs, engine) -> tuple[float, int, int]:
    """Objects decoded here, records parsed and evaluated in the worker (`run_objects`)."""
    from workbench.detections import AlertGrouper
    from workbench.events.pipeline import worker_parser
    from workbench.source.decode import decode_object

    start = time.perf_counter()
    grouper = AlertGrouper.for_rules(engine.rules)

    def records():
        for ref, body in objs:
            decoded = decode_object(body, ref, stream=source.stream or "auto")
            if not decoded.error:
                yield decoded.records

    for res in engine.run_objects(records(), worker_parser(cfg, source)):
        grouper.add(res, count_event=False)
    stats = engine.last_run
    for rid, n in stats.applied.items():
        grouper.add_counts(rid, n)
    summary = grouper.summary()
    return time.perf_counter() - start, stats.events, sum(v["matches"] for v in summary.values())


def rules_run_events(cfg, source, objs, engine) -> tuple[float, int, int]:
    """The same through `run_events` (events parsed in this process and sent to the worker)."""
    from workbench.detections import AlertGrouper
    from workbench.events.pipeline import events_from_object

    start = time.perf_counter()
    grouper = AlertGrouper.for_rules(engine.rules)
    n = 0

    def events():
        nonlocal n
        for ref, body in objs:
            for e in events_from_object(cfg, source, ref, body):
                if type(e) is dict:
                    n += 1
                    yield e

    for res in engine.run_events(events()):
        grouper.add(res)
    summary = grouper.summary()
    return time.perf_counter() - start, n, sum(v["matches"] for v in summary.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mode", choices=("objects", "events", "both"), default="both",
                    help="objects: raw records cross to the worker (run_objects); events: parsed events do")
    args = ap.parse_args()
    from workbench.detections import RuleEngine

    objs = objects(args.days)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(write_config(Path(tmp), "http://127.0.0.1:1", "us-east-1", "", "", "", "", REPO))
        source = cfg.source("demo")
        modes = ["objects", "events"] if args.mode == "both" else [args.mode]
        fns = {"objects": rules_run, "events": rules_run_events}
        with RuleEngine(cfg.rules_dir, auto_reload=False) as engine:
            for m in modes:
                fns[m](cfg, source, objs[:5], engine)  # worker start-up and rule import are not part of the rate
            base: list[float] = []
            ours: dict[str, list[float]] = {m: [] for m in modes}
            ratios: dict[str, list[float]] = {m: [] for m in modes}
            counts = {}
            for _ in range(args.runs):
                t, n = parse_only(cfg, source, objs)
                base.append(n / t)
                for m in modes:
                    t2, n2, matches = fns[m](cfg, source, objs, engine)
                    counts[m] = (n2, matches)
                    ours[m].append(n2 / t2)
                    ratios[m].append((n2 / t2) / (n / t))
    med = statistics.median
    print(f"objects: {len(objs)}, events: {n}, rules: {len(engine.rules)}, {args.runs} alternating runs")
    print(f"parse-only: {med(base):,.0f} events/s (median, range {min(base):,.0f}–{max(base):,.0f})")
    for m in modes:
        r = sorted(ratios[m])
        print(f"rules run ({m}): {med(ours[m]):,.0f} events/s, {counts[m][1]:,} matches; "
              f"ratio {med(r):.2f} (range {r[0]:.2f}–{r[-1]:.2f}; target ≥ 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
