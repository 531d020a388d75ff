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

Text logs: `infer_schema` on 10,000 lines of each of four layouts (an inferred regex header, an inferred
fastmatch header, detected RFC 3164 syslog, a Java log with stack traces), against parsing the same lines
with the inferred schema (`compile_parser(schema).parse` on every record; target: infer ÷ parse ≤ 3).
Usage: python benchmarks/bench_infer.py [N] [TEXT_LINES]   (defaults 100000 and 10000; median CPU time of 3 runs)
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import orjson
from genson import SchemaBuilder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parse import lines

from workbench.infer import infer_events, infer_schema
from workbench.model import Record
from workbench.parse import compile_parser


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
    text_benchmarks(int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)


def text_lines(layout: str, n: int) -> list[str]:
    """n realistic lines of one layout (varied values; the Java log has a 3-line stack trace every 40 lines)."""
    rng = random.Random(16)
    t0 = datetime(2024, 3, 14, 9, 12, 1)
    out: list[str] = []
    ips = ["10.0.4.17", "192.168.1.23", "203.0.113.45", "198.51.100.7"]
    for i in range(n):
        t = t0 + timedelta(seconds=i * 3 + rng.randint(0, 2), milliseconds=rng.randint(0, 999))
        ms = t.microsecond // 1000
        if layout == "zookeeper":
            out.append(f"{t:%Y-%m-%d %H:%M:%S},{ms:03d} - {rng.choice(['INFO ', 'WARN ', 'ERROR'])} "
                       f"[QuorumPeer[myid={rng.randint(1, 5)}]/0:0:0:0:0:0:0:0:2181:"
                       f"FastLeaderElection@{rng.randint(100, 999)}] - "
                       f"Notification time out: {rng.randint(100, 60000)}")
        elif layout == "pipe":
            out.append(f"{t:%Y-%m-%d %H:%M:%S}.{ms:03d} | {rng.choice(['INFO', 'WARN', 'ERROR'])} | "
                       f"{rng.choice(['checkout-api', 'auth-svc'])} | {rng.randrange(16**8):08x} | "
                       f"Login ok for user{rng.randint(1, 999)} from {rng.choice(ips)}")
        elif layout == "syslog":
            out.append(f"{t:%b} {t.day:>2} {t:%H:%M:%S} web-{rng.randint(1, 9)} sshd[{rng.randint(1000, 32000)}]: "
                       f"Failed password for invalid user u{rng.randint(1, 99)} from {rng.choice(ips)} "
                       f"port {rng.randint(1024, 65535)} ssh2")
        else:
            if i % 40 == 39:
                out += ["java.lang.IllegalStateException: pool closed", "\tat com.acme.Pool.get(Pool.java:88)"]
            out.append(f"{t:%Y-%m-%d %H:%M:%S},{ms:03d} {rng.choice(['INFO ', 'WARN ', 'DEBUG'])} "
                       f"[{rng.choice(['main', 'pool-2-thread-1'])}] com.acme.billing.InvoiceService: "
                       f"Loaded {rng.randint(1, 400)} invoices for tenant t-{rng.randint(10, 99)}")
    return out[:n]


def _parse_all(schema, recs) -> None:
    p = compile_parser(schema)
    for r in recs:
        p.parse(r)


def text_benchmarks(n: int) -> None:
    print(f"text logs, {n:,} lines each: infer_schema ÷ parsing the same lines with the inferred schema (target <= 3)")
    for layout in ("zookeeper", "pipe", "syslog", "java"):
        recs = [Record("b", f"{layout}.log", i, t) for i, t in enumerate(text_lines(layout, n), 1)]
        r = infer_schema(recs, name="Custom.Bench")
        i = cpu_seconds(lambda recs=recs: infer_schema(recs, name="Custom.Bench"))
        p = cpu_seconds(lambda recs=recs, schema=r.schema: _parse_all(schema, recs))
        print(f"  {layout:<9} {r.format:<9} {r.layout:<22} infer {i * 1000:7.1f} ms  parse {p * 1000:7.1f} ms  "
              f"ratio {i / p:.2f}  ({len(r.schema.fields)} fields)")


if __name__ == "__main__":
    main()
