"""gzip decode MB/s: `workbench.source.decode.decompress` ÷ `gzip.decompress` on the same objects (target ≥ 0.9×).

The objects are the demo's formats (Panoptica NDJSON, CloudTrail envelopes, S3 access logs, payments CSV),
generated in memory with a fixed seed. MB/s counts decompressed bytes. Also printed, for information: the
zstd path (ours vs `zstandard`'s one-shot decompress) and the whole `decode_object` (decompress + split
into records with provenance), which has no baseline to compare with.

    .venv/bin/python benchmarks/bench_decode.py [--rounds 16]
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import zstandard

from workbench.demo import data
from workbench.model import ObjectRef
from workbench.source.decode import decode_object, decompress


def objects(n: int = 40) -> list[bytes]:
    """Plain (uncompressed) demo objects, about 40-80 KB each."""
    rng = random.Random(4)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    span = timedelta(hours=1)
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            blob = data.panoptica_object(rng, "auth", data.ACCOUNTS[0], start, span, 400)
        elif kind == 1:
            blob = data.cloudtrail_object(rng, data.ACCOUNTS[0], data.REGIONS[0], start, span, 200)
        elif kind == 2:
            blob = data.s3_access_object(rng, "acme-prod-data", data.ACCOUNTS[0], start, span, 400)
        else:
            blob = data.app_log_object(rng, start, span, 600)
        out.append(gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob)
    return out


def paired(fa, fb, items: list, rounds: int) -> tuple[float, float]:
    """Total seconds of `fa(x)` and `fb(x)` over `rounds` passes, alternating per item, so background load
    on a shared machine lands on both alike (per-run minima swung ±30 % here; paired totals do not)."""
    ta = tb = 0.0
    clock = time.perf_counter
    for r in range(rounds):
        for x in items:
            first, second = (fa, fb) if r % 2 == 0 else (fb, fa)  # ABBA: who runs on a warm cache alternates
            t0 = clock()
            first(x)
            t1 = clock()
            second(x)
            t2 = clock()
            if r % 2 == 0:
                ta, tb = ta + t1 - t0, tb + t2 - t1
            else:
                ta, tb = ta + t2 - t1, tb + t1 - t0
    return ta / rounds, tb / rounds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=16)
    args = ap.parse_args()
    plain = objects()
    total_mb = sum(map(len, plain)) / 1e6
    gz = [gzip.compress(p, compresslevel=6) for p in plain]
    zs = [zstandard.ZstdCompressor(level=3).compress(p) for p in plain]
    assert all(decompress(g).data == p for g, p in zip(gz, plain, strict=True))

    ours, base = paired(decompress, gzip.decompress, gz, args.rounds)
    print(f"objects: {len(plain)}, {total_mb:.1f} MB decompressed, {sum(map(len, gz)) / 1e6:.1f} MB gzip")
    print(f"ours:     {total_mb / ours:8.1f} MB/s  (workbench.source.decode.decompress, gzip, with the 256 MiB cap)")
    print(f"baseline: {total_mb / base:8.1f} MB/s  (gzip.decompress)")
    print(f"ratio:    {base / ours:8.2f}x  (target >= 0.9x)")

    zd = zstandard.ZstdDecompressor()
    z_ours, z_base = paired(decompress, zd.decompress, zs, args.rounds)
    print(f"zstd:     ours {total_mb / z_ours:.1f} MB/s vs zstandard one-shot {total_mb / z_base:.1f} MB/s "
          f"({z_base / z_ours:.2f}x)")
    refs = [ObjectRef("b", f"k{i}.gz", size=len(g)) for i, g in enumerate(gz)]
    t0 = time.perf_counter()
    for _ in range(args.rounds):
        for g, r in zip(gz, refs, strict=True):
            decode_object(g, r)
    full = (time.perf_counter() - t0) / args.rounds
    n_records = sum(len(decode_object(g, r).records) for g, r in zip(gz, refs, strict=True))
    print(f"decode_object (decompress + records): {total_mb / full:.1f} MB/s, {n_records / full:,.0f} records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
