"""S3 server access log lines: our compiled fastmatch schema vs a precompiled regex plus casts.

ours     = workbench's compiled AWS.S3ServerAccess parser (fastmatch patterns → one regex each, "-" → null,
           5 bigint fields, the bracketed time to stored text, ip / arn / url / domain indicators, every p_ field)
baseline = the reference note's S3 access-log regex, precompiled: match → groupdict() → int() casts of the
           5 numeric fields ("-" → None); no timestamp, no indicators, no p_ fields
ratio    = ours lines/s ÷ baseline lines/s   (issue 10 target: ≥ 1.0)

Usage: python benchmarks/bench_parse_s3.py [N] [R]   (N lines, default 100000; R runs, default 5; CPU time,
       the two sides taking turns every 2,000 lines, because the machine is shared: see interleave.py)
"""

from __future__ import annotations

import random
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from interleave import interleaved, report

from workbench.demo.data import s3_access_line
from workbench.model import Record
from workbench.parse import compile_parser
from workbench.schema import load_schema

REPO = Path(__file__).resolve().parents[1]

# The hand-written regex a user would reach for (one line; the fields after version_id are optional).
BASELINE_RE = re.compile(
    r'(?P<bucket_owner>\S+) (?P<bucket>\S+) \[(?P<time>[^\]]*)\] (?P<remote_ip>\S+) (?P<requester>\S+) '
    r'(?P<request_id>\S+) (?P<operation>\S+) (?P<key>\S+) (?:"(?P<request_uri>(?:[^"\\]|\\.)*)"|-) '
    r'(?P<http_status>\S+) (?P<error_code>\S+) (?P<bytes_sent>\S+) (?P<object_size>\S+) (?P<total_time>\S+) '
    r'(?P<turn_around_time>\S+) (?:"(?P<referer>(?:[^"\\]|\\.)*)"|-) (?:"(?P<user_agent>(?:[^"\\]|\\.)*)"|-) '
    r'(?P<version_id>\S+)(?: (?P<host_id>\S+) (?P<signature_version>\S+) (?P<cipher_suite>\S+) '
    r'(?P<authentication_type>\S+) (?P<host_header>\S+) (?P<tls_version>\S+))?(?: (?P<access_point_arn>\S+))?'
    r'(?: (?P<acl_required>\S+))?(?: (?P<source_region>\S+))?(?: (?P<extra>.*))?$'
)
NUMERIC = ("http_status", "bytes_sent", "object_size", "total_time", "turn_around_time")


def lines(n: int) -> list[str]:
    rng = random.Random(0)
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    return [s3_access_line(rng, t0 + timedelta(seconds=i), "acme-prod-data", "111122223333",
                           suspicious=rng.random() < 0.03) for i in range(n)]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    data = lines(n)
    records = [Record("wb-demo-logs", "s3-access/x", i + 1, t) for i, t in enumerate(data)]
    parser = compile_parser(load_schema(REPO / "schemas" / "AWS.S3ServerAccess.yml"))
    assert all(isinstance(parser.parse(r), dict) for r in records[:1000])
    match = BASELINE_RE.match
    parse = parser.parse

    def baseline(chunk):
        for t in chunk:
            d = match(t).groupdict()
            for k in NUMERIC:
                v = d[k]
                d[k] = None if v == "-" else int(v)

    def ours(chunk):
        for r in chunk:
            parse(r)

    b_times, o_times = interleaved(baseline, data, ours, records, runs)
    print(f"lines: {n:,} S3 server access log lines, mean {sum(map(len, data)) / n:.0f} bytes; "
          f"{runs} runs, the sides taking turns every 2,000 lines, CPU time")
    report(b_times, o_times, n=n, unit="lines", baseline_name="precompiled regex + groupdict + 5 int casts", target=1.0)


if __name__ == "__main__":
    main()
