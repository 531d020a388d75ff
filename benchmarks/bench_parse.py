"""JSON parse with a schema vs bare json.loads, on the same CloudTrail-like lines.

ours     = workbench's compiled AWS.CloudTrail parser: orjson, types, timestamps to stored text, indicators,
           every p_ field (log type, row id, event time, parse time, source file, p_any_*), one event per line
baseline = json.loads(line) for each line (the stdlib, no typing at all)
ratio    = ours events/s ÷ baseline events/s   (issue 10 target: ≥ 0.5)

Usage: python benchmarks/bench_parse.py [N] [R]   (N lines, default 100000; R runs, default 5; CPU time,
       the two sides taking turns every 2,000 lines, because the machine is shared: see interleave.py)
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from interleave import interleaved, report

from workbench.demo.data import cloudtrail_record
from workbench.model import Record
from workbench.parse import compile_parser
from workbench.schema import load_schema

REPO = Path(__file__).resolve().parents[1]


def lines(n: int) -> list[str]:
    rng = random.Random(0)
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        r = cloudtrail_record(rng, t0 + timedelta(seconds=i), rng.choice(("111122223333", "444455556666")),
                              rng.choice(("us-east-1", "eu-west-1")), suspicious=rng.random() < 0.02)
        if i % 3 == 0:  # CloudTrail-like variety: TLS details and a few more optional fields
            r["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                               "clientProvidedHostHeader": "s3.us-east-1.amazonaws.com"}
            r["sessionCredentialFromConsole"] = "true"
        out.append(json.dumps(r, separators=(",", ":")))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    data = lines(n)
    records = [Record("wb-demo-logs", "AWSLogs/111122223333/CloudTrail/x.json.gz", i + 1, t) for i, t in enumerate(data)]
    parser = compile_parser(load_schema(REPO / "schemas" / "AWS.CloudTrail.yml"))
    sample = parser.parse(records[0])
    assert isinstance(sample, dict) and "p_any_aws_arns" in sample, sample
    loads = json.loads
    parse = parser.parse

    def baseline(chunk):
        for t in chunk:
            loads(t)

    def ours(chunk):
        for r in chunk:
            parse(r)

    b_times, o_times = interleaved(baseline, data, ours, records, runs)
    print(f"lines: {n:,} CloudTrail-like JSON, mean {sum(map(len, data)) / n:.0f} bytes; "
          f"{runs} runs, the sides taking turns every 2,000 lines, CPU time")
    report(b_times, o_times, n=n, unit="events", baseline_name="json.loads", target=0.5)


if __name__ == "__main__":
    main()
