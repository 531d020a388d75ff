"""Live mode on the embedded demo (moto server child process, real S3 → SNS → SQS path), rules on:

1. latency from `put_object` to every event of the object being in the tail's buffer (what the Live screen
   reads) — p50 / p95 over `--objects` puts, one at a time; target p95 < 1 s;
2. the same latency seen by `workbench tail --json` (a subprocess: put → its stdout line for the object);
3. sustained events/s through `LiveTail` with the shipped schemas and rules, and this process's RSS after
   `--events` events (target < 400 MB: the buffer and every counter are bounded). The baseline is the
   ceiling of the same work without AWS or threads: decode + parse of the same objects in a loop, and the
   rule engine alone on the parsed events; `ratio` = tail ÷ that sequential ceiling.

    .venv/bin/python benchmarks/bench_live.py [--objects 40] [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.config import load_config
from workbench.demo import data
from workbench.demo.generator import KINDS, live_object
from workbench.demo.runtime import start_demo
from workbench.demo.seed import DemoSpec, PutSpec, clients, put_object
from workbench.live.tail import LiveTail


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def latency_in_process(tail: LiveTail, s3, bucket: str, kms: str, n: int) -> list[float]:
    rng = random.Random(1)
    out = []
    cursor = tail.buffer.last_seq
    for i in range(n):
        spec = live_object(rng, KINDS[i % len(KINDS)], datetime.now(UTC))
        t0 = time.perf_counter()
        put_object(s3, bucket, spec, kms)
        while True:
            tail.buffer.wait(cursor, 0.05)
            items, cursor, _ = tail.buffer.after(cursor)
            if any(it.key == spec.key for it in items):
                # the sink appends an object's events and alerts in one batch: the first one means all of them
                out.append(time.perf_counter() - t0)
                break
        time.sleep(0.05)
    return out


def latency_cli(config: Path, s3, bucket: str, kms: str, n: int) -> list[float]:
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "tail", "--config", str(config), "--source", "demo",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    ready = threading.Event()

    def drain_err():
        for line in proc.stderr:
            if "waiting for new objects" in line:
                ready.set()

    threading.Thread(target=drain_err, daemon=True).start()
    ready.wait(60)
    rng = random.Random(2)
    out = []
    try:
        for i in range(n):
            spec = live_object(rng, KINDS[i % len(KINDS)], datetime.now(UTC))
            t0 = time.perf_counter()
            put_object(s3, bucket, spec, kms)
            for line in proc.stdout:
                if json.loads(line).get("object", "").endswith(spec.key):
                    out.append(time.perf_counter() - t0)
                    break
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(30)
    return out


def big_bodies(events_per_object: int) -> list[tuple[str, bytes, bool]]:
    """A few large objects per format (prefix, gz body, kms) reused under new keys for the throughput run."""
    rng = random.Random(3)
    now = datetime.now(UTC)
    start, span = now - timedelta(minutes=5), timedelta(minutes=5)
    acct, region = data.ACCOUNTS[0], data.REGIONS[0]
    out = []
    for _ in range(3):
        out.append((f"Panoptica/auth/{now:%Y-%m-%d}/{acct}/auth",
                    data.panoptica_object(rng, "auth", acct, start, span, events_per_object, 0.1), False))
        out.append((f"AWSLogs/{acct}/CloudTrail/{region}/{now:%Y/%m/%d}/{acct}_CloudTrail_{region}_{now:%Y%m%dT%H%MZ}",
                    data.cloudtrail_object(rng, acct, region, start, span, events_per_object // 2, 0.1), True))
        out.append((f"app/payments/dt={now:%Y-%m-%d}/payments",
                    data.app_log_object(rng, start, span, events_per_object, 0.1), False))
    return out


def throughput(tail: LiveTail, s3, bucket: str, kms: str, target: int) -> dict:
    bodies = big_bodies(2000)
    stop = threading.Event()

    def putter():
        i = 0
        with ThreadPoolExecutor(4) as pool:
            while not stop.is_set():
                batch = []
                for _ in range(8):
                    prefix, body, enc = bodies[i % len(bodies)]
                    batch.append(PutSpec(f"{prefix}-{i:07d}.gz", body, kms=enc))
                    i += 1
                list(pool.map(lambda p: put_object(s3, bucket, p, kms), batch))
                # keep a bounded backlog: production rates, not a flood the queue would just hold
                while tail.buffer.stats.objects - tail.buffer.stats.processed > 32 and not stop.is_set():
                    time.sleep(0.05)

    t = threading.Thread(target=putter, daemon=True)
    cursor = tail.buffer.last_seq
    events0, alerts0 = tail.buffer.stats.events, tail.buffer.stats.alerts
    t0 = time.perf_counter()
    t.start()
    consumed = 0
    while tail.buffer.stats.events - events0 < target:
        tail.buffer.wait(cursor, 0.5)
        items, cursor, dropped = tail.buffer.after(cursor)
        consumed += len(items) + dropped
    elapsed = time.perf_counter() - t0
    stop.set()
    t.join(30)
    s = tail.buffer.stats
    return {"events": s.events - events0, "alerts": s.alerts - alerts0, "seconds": elapsed,
            "events_per_s": (s.events - events0) / elapsed, "rss_mb": rss_mb(), "parse_errors": s.parse_errors,
            "objects": s.objects, "buffer_len": len(tail.buffer)}


def ceiling(cfg, source) -> tuple[float, float]:
    """(decode+parse events/s, rules events/s) on the throughput objects, in this process, no AWS."""
    from workbench.detections import RuleEngine
    from workbench.model import ObjectRef
    from workbench.parse import parsers_for_source
    from workbench.source.decode import decode_object

    parse = parsers_for_source(cfg, source)
    events: list[dict] = []
    t0 = time.perf_counter()
    for prefix, body, _ in big_bodies(2000):
        decoded = decode_object(body, ObjectRef("b", prefix + "-x.gz", len(body)))
        events += [e for e in map(parse, decoded.records) if type(e) is dict]
    parse_rate = len(events) / (time.perf_counter() - t0)
    with RuleEngine(cfg.rules_dir) as engine:
        sum(1 for _ in engine.run_events(events[:50]))  # worker start-up is not part of the rate
        t0 = time.perf_counter()
        sum(1 for _ in engine.run_events(events))
        rules_rate = len(events) / (time.perf_counter() - t0)
    return parse_rate, rules_rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=40, help="puts timed for latency (each way)")
    ap.add_argument("--events", type=int, default=1_000_000, help="events pushed through for throughput/RSS")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = start_demo(Path(tmp), DemoSpec(days=1, objects_per_day=8), rate=None)
        try:
            cfg = load_config(demo.config_path)
            source = cfg.source("demo")
            s3 = clients(demo.endpoint)["s3"]
            bucket, kms = demo.info.bucket, demo.info.kms_key_id
            with LiveTail(cfg, source) as tail:
                print(f"mode {tail.mode}; {tail.rules_note}; rss at start {rss_mb():.0f} MB", flush=True)
                lat = latency_in_process(tail, s3, bucket, kms, args.objects)
                print(f"put → buffer ({len(lat)} objects): p50 {statistics.median(lat) * 1000:.0f} ms, "
                      f"p95 {pct(lat, 0.95) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms", flush=True)
                res = throughput(tail, s3, bucket, kms, args.events)
                print(f"throughput: {res['events']:,} events ({res['alerts']:,} alerts, {res['objects']:,} objects) "
                      f"in {res['seconds']:.1f} s = {res['events_per_s']:,.0f} events/s; RSS {res['rss_mb']:.0f} MB; "
                      f"buffer holds {res['buffer_len']:,}; parse errors {res['parse_errors']}", flush=True)
            parse_rate, rules_rate = ceiling(cfg, source)
            both = 1 / (1 / parse_rate + 1 / rules_rate)
            print(f"baseline: decode+parse alone {parse_rate:,.0f} events/s, rules alone {rules_rate:,.0f} events/s, "
                  f"one after the other {both:,.0f} events/s; ours {res['events_per_s']:,.0f} events/s; "
                  f"ratio {res['events_per_s'] / both:.2f}", flush=True)
            cli = latency_cli(demo.config_path, s3, bucket, kms, args.objects)
            print(f"put → `tail --json` stdout ({len(cli)} objects): p50 {statistics.median(cli) * 1000:.0f} ms, "
                  f"p95 {pct(cli, 0.95) * 1000:.0f} ms, max {max(cli) * 1000:.0f} ms", flush=True)
        finally:
            demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
