"""Objects sampled per second: `workbench.source.sampling.sample` (concurrent) ÷ a naive sequential boto3 list+get loop.

Both read the same objects from the embedded demo's moto server, in the same run, through a loopback proxy
that adds 30 ms to every request (real S3's round trip; moto alone answers in ~4 ms). Ours lists, picks a
stratified sample, fetches on 16 threads and decodes into records; the baseline lists the bucket with a
paginator and GETs the same keys one after another (without decoding). Target: ≥ 8×.

    .venv/bin/python benchmarks/bench_sample.py [--objects 200] [--delay 0.03]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
from latency_proxy import spawn

from workbench.aws import AwsSession
from workbench.config import load_config
from workbench.demo.runtime import start_demo
from workbench.demo.seed import DemoSpec
from workbench.source.sampling import sample


def naive(endpoint: str, bucket: str, keys: list[str]) -> float:
    """List the bucket, then GET each key in turn: what a first script would do."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    t0 = time.perf_counter()
    listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
              for o in page.get("Contents", [])]
    wanted = set(keys)
    for key in listed:
        if key in wanted:
            s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=200)
    ap.add_argument("--delay", type=float, default=0.03)
    ap.add_argument("--workers", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs of each; medians are reported")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = start_demo(Path(tmp), DemoSpec(), rate=None)
        try:
            src = load_config(demo.config_path).source("demo")
            up = urlparse(demo.endpoint)
            proxy, url = spawn(up.hostname, up.port, args.delay)  # its own process: the "network"
            try:
                slow = replace(src, endpoint=url)
                aws = AwsSession(slow)
                aws.client("s3").list_objects_v2(Bucket=src.bucket, MaxKeys=1)  # warm-up: role, moto backend
                ours_runs, base_runs = [], []
                for _ in range(args.rounds):  # alternate, so load from other jobs hits both alike
                    t0 = time.perf_counter()
                    result = sample(aws, slow, limit=args.objects, seed=0, workers=args.workers)
                    ours_runs.append(time.perf_counter() - t0)
                    keys = [r.key for r in result.objects]
                    base_runs.append(naive(url, src.bucket, keys))
                ours, base = statistics.median(ours_runs), statistics.median(base_runs)
            finally:
                proxy.terminate()
                proxy.wait()
            # the ceiling: the same sample straight to moto (no added latency) shows what the server can serve
            direct = AwsSession(src)
            t0 = time.perf_counter()
            sample(direct, src, limit=args.objects, seed=0, workers=args.workers)
            ceiling = time.perf_counter() - t0
        finally:
            demo.stop()
    n = len(keys)
    ours_rate, base_rate = n / ours, n / base
    print(f"objects: {n} ({len(result.records)} records, {len(result.failures)} failures), "
          f"request delay {args.delay * 1000:.0f} ms, median of {args.rounds} alternating runs")
    print(f"ours:     {ours_rate:8.1f} objects/s  ({ours:.2f} s: list + stratify + {args.workers}-thread GET + decode)")
    print(f"baseline: {base_rate:8.1f} objects/s  ({base:.2f} s: sequential boto3 list + get)")
    print(f"ratio:    {ours_rate / base_rate:8.1f}x  (target >= 8x)")
    print(f"ceiling:  {n / ceiling:8.1f} objects/s  (same sample with no added latency: moto's own limit here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
