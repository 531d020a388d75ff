"""Where the CPU of a replay goes, per process, on the demo history: the Dask workers, their rule
processes, the client (scheduler and nannies live there with a LocalCluster) and the demo's moto server.

This explains the scale-out ratio of `bench_replay.py` on a 2-core machine: whatever CPU is spent outside
the workers (the S3 server above all, which real AWS would not put on our cores) competes with a second
worker for the same two cores. CPU seconds are counted between the first submitted task and the last
result, after the workers loaded rules and schemas.

    .venv/bin/python benchmarks/bench_replay_cpu.py [--workers 1 2]

`--cli-cluster` measures a real cluster instead: `dask scheduler` and two `dask worker` processes started
from the command line (`cli_cluster.py`), in rounds that alternate with the plain in-process loop over the
same objects (fetch 4 at a time → decode → parse → rules, no Dask). It reports CPU seconds per event of
each (every process of ours counted: client, scheduler, nannies, workers, rule processes; the S3 server
not), events/s per worker ÷ parse-only events/s (decode + parse of the same objects, already in memory,
one process), and times `workbench replay --scheduler tcp://…` end to end on the same cluster, checking
it gives the loop's events and matches.

    .venv/bin/python benchmarks/bench_replay_cpu.py --cli-cluster [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil

from workbench.aws import AwsSession
from workbench.config import load_config
from workbench.demo.runtime import start_demo
from workbench.demo.seed import DemoSpec
from workbench.replay.checkpoint import CheckpointWriter, ReplayKey
from workbench.replay.cluster import QUIET_WORKERS, DaskCluster
from workbench.replay.plan import group_tasks, list_window, task_target_bytes
from workbench.replay.status import ReplayResult
from workbench.replay.submit import run_tasks, warm_up_workers
from workbench.replay.tally import Totals
from workbench.replay.task import TaskSpec


def cpu_by_role(moto: psutil.Process) -> dict[int, tuple[str, float]]:
    me = psutil.Process()
    out = {}
    for p in [me, *me.children(recursive=True), moto]:
        try:
            t = p.cpu_times()
            cmd = " ".join(p.cmdline())
        except psutil.Error:
            continue
        if p.pid == me.pid:
            role = "client (scheduler, nannies)"
        elif p.pid == moto.pid:
            role = "moto server (the demo's S3)"
        elif "detections.worker" in cmd:
            role = "rule processes"
        elif "multiprocessing" in cmd or "spawn_main" in cmd:
            role = "dask workers"
        else:
            role = "other"
        out[p.pid] = (role, t.user + t.system)
    return out


# What docs/replay.md recommends for replay workers, as the LocalCluster sets it (cluster.QUIET_WORKERS), in
# the environment a command-line `dask worker` reads.
QUIET_WORKER_ENV = {"DASK_" + k.upper().replace(".", "__").replace("-", "_"): str(v)
                    for k, v in QUIET_WORKERS.items()}
ROOT_ROLES = ("client", "scheduler", "nannies")  # the order of `pids`: this process, `dask scheduler`, `dask worker`s


def tree_cpu(pids: list[int], exclude: set[int]) -> dict[int, tuple[str, float]]:
    """pid -> (role, CPU seconds so far) for `pids` and all their descendants, minus `exclude`. The cluster's
    processes are children of this one too, so the roots are walked last-first: a process belongs to the
    nearest root above it."""
    out: dict[int, tuple[str, float]] = {}
    for i, pid in reversed(list(enumerate(pids))):
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for p in procs:
            if p.pid in out or p.pid in exclude:
                continue
            try:
                t = p.cpu_times()
                cmd = " ".join(p.cmdline())
            except psutil.Error:
                continue
            if "detections.worker" in cmd:
                role = "rule processes"
            elif p.pid == pid:
                role = ROOT_ROLES[min(i, len(ROOT_ROLES) - 1)]
            else:
                role = "dask workers" if i >= 2 else "other"
            out[p.pid] = (role, t.user + t.system)
    return out


def cluster_tree(pids: list[int]) -> set[int]:
    out = set(pids)
    for pid in pids:
        try:
            out |= {c.pid for c in psutil.Process(pid).children(recursive=True)}
        except psutil.Error:
            pass
    return out


def cpu_delta(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    roles: dict[str, float] = defaultdict(float)
    for pid, (role, t) in after.items():
        roles[role] += t - before.get(pid, (role, 0.0))[1]
    return dict(roles)


def _half_loop(config_path: str, keys: list[str]) -> tuple[int, float]:
    """One of two plain loops run side by side (spawned process): events, and CPU seconds of this process
    and its rule process over the timed loop (rules and schemas loaded before)."""
    from bench_replay import in_process

    from workbench.detections import RuleEngine
    from workbench.parse import parsers_for_source
    from workbench.source.s3 import list_objects

    config = load_config(Path(config_path))
    source = config.source("demo")
    wanted = set(keys)
    refs = [r for r in list_objects(AwsSession(source), source) if r.key in wanted]
    parse = parsers_for_source(config, source)
    with RuleEngine(config.rules_dir) as rule_engine:
        in_process(config, source, refs[:10], rule_engine, parse)
        me = psutil.Process()
        before = tree_cpu([me.pid], set())
        events, _matches, _s = in_process(config, source, refs, rule_engine, parse)
        cpu = sum(cpu_delta(before, tree_cpu([me.pid], set())).values())
    return events, cpu


def loop_pair(config_path: Path, refs) -> float:
    """CPU seconds per event of two plain loops running at once, each over half the objects: the same
    two-processes-on-two-cores contention the 2-worker cluster has, without Dask."""
    import multiprocessing

    keys = [r.key for r in refs]
    halves = [keys[0::2], keys[1::2]]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.starmap(_half_loop, [(str(config_path), h) for h in halves])
    return sum(c for _, c in got) / sum(e for e, _ in got)


def cli_cluster(args) -> int:
    """Plain loop vs replay on a command-line cluster: CPU per event, events/s per worker ÷ parse-only."""
    import json
    import statistics
    import subprocess
    import time

    from bench_replay import agreed_counts, in_process
    from cli_cluster import CliCluster

    from workbench.detections import RuleEngine
    from workbench.events.pipeline import events_from_object
    from workbench.model import FetchFailure
    from workbench.parse import parsers_for_source
    from workbench.replay.task import FETCH_THREADS, MAX_OBJECT_BYTES
    from workbench.source.s3 import fetch_objects

    with tempfile.TemporaryDirectory(prefix="bench-replay-cli-") as tmp_name:
        tmp = Path(tmp_name)
        spec = DemoSpec()
        demo = start_demo(tmp / "demo", spec, rate=None)
        moto_pid = demo.server.proc.pid
        me = os.getpid()
        try:
            config = load_config(demo.config_path)
            source = config.source("demo")
            until = spec.end
            since = until - timedelta(days=spec.days)
            aws = AwsSession(source)
            refs = list_window(aws, source, since, until)
            parse = parsers_for_source(config, source)
            blobs = [(r, d) for r, d in fetch_objects(aws, refs, workers=FETCH_THREADS, max_bytes=MAX_OBJECT_BYTES)
                     if not isinstance(d, FetchFailure)]
            engine = RuleEngine(config.rules_dir)
            in_process(config, source, refs[:40], engine, parse)  # warm: rules loaded, schemas compiled
            loop_rule_pids = {p.pid for p in psutil.Process().children(recursive=True)
                              if "detections.worker" in " ".join(p.cmdline())}
            roles: list[dict[str, float]] = []
            env = dict(QUIET_WORKER_ENV) if args.quiet_workers else {}
            if args.no_profiler:
                env["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] = "False"
            with CliCluster(args.cluster_workers, log_dir=tmp, env=env) as cluster:
                dask_cluster = DaskCluster(cluster.address, None)
                workers = dask_cluster.wait_for_workers()
                tasks = group_tasks(refs, task_target_bytes(sum(r.size for r in refs), workers))
                task_spec = TaskSpec(0, (), config, source, str(config.rules_dir))
                warm_up_workers(dask_cluster.client, task_spec)
                rows: dict[str, list[float]] = {"loop_cpu": [], "dask_cpu": [], "loop_eps": [], "dask_eps": [],
                                                "parse_eps": [], "cli_s": [], "pair_cpu": []}
                seen = set()
                for rnd in range(args.rounds):
                    # parse only: decode + parse, bytes already in memory, one process
                    t0 = time.perf_counter()
                    parsed = sum(sum(1 for e in events_from_object(config, source, r, d, parse=parse)
                                     if isinstance(e, dict)) for r, d in blobs)
                    rows["parse_eps"].append(parsed / (time.perf_counter() - t0))
                    # the plain loop: this process and its rule process
                    not_loop = {moto_pid, *cluster_tree(cluster.pids)}
                    c0 = tree_cpu([me], not_loop)
                    events, matches, seconds = in_process(config, source, refs, engine, parse)
                    loop_roles = cpu_delta(c0, tree_cpu([me], not_loop))
                    rows["loop_cpu"].append(sum(loop_roles.values()) / events)
                    rows["loop_eps"].append(events / seconds)
                    seen.add((events, matches))
                    rows["pair_cpu"].append(loop_pair(demo.config_path, refs))
                    # the Dask path on the command-line cluster: client + scheduler + nannies + workers + rules
                    c0 = tree_cpu([me, *cluster.pids], {moto_pid, *loop_rule_pids})
                    key = ReplayKey.of(source.name, source.bucket, None, until, config.rules_dir)
                    result = ReplayResult(key, Totals())
                    writer = CheckpointWriter(tmp / f"r{rnd}.jsonl", key, append=False)
                    run_tasks(dask_cluster.client, tasks, task_spec, result, writer, lambda p: None, None)
                    writer.close()
                    by_role = cpu_delta(c0, tree_cpu([me, *cluster.pids], {moto_pid, *loop_rule_pids}))
                    rows["dask_cpu"].append(sum(by_role.values()) / result.totals.events)
                    roles.append(by_role)
                    rows["dask_eps"].append(result.totals.events / result.run_s)
                    seen.add((result.totals.events, result.totals.matches))
                    # the command a user types, end to end (start-up, listing and warm-up included)
                    t0 = time.perf_counter()
                    proc = subprocess.run([str(Path(sys.executable).parent / "workbench"), "replay", "--config",
                                           str(demo.config_path), "--source", "demo", "--since", since.isoformat(),
                                           "--until", until.isoformat(), "--scheduler", cluster.address,
                                           "--results", str(tmp / f"cli{rnd}.jsonl"), "--json"],
                                          capture_output=True, text=True, check=True)
                    rows["cli_s"].append(time.perf_counter() - t0)
                    r = json.loads(proc.stdout)
                    seen.add((r["events"], r["matches"]))
                    print(f"  round {rnd + 1}: load {os.getloadavg()[0]:.1f}; loop {rows['loop_eps'][-1]:,.0f} ev/s "
                          f"{rows['loop_cpu'][-1] * 1e6:.0f} µs CPU/event (2 loops at once {rows['pair_cpu'][-1] * 1e6:.0f}); dask {rows['dask_eps'][-1]:,.0f} ev/s "
                          f"{rows['dask_cpu'][-1] * 1e6:.0f} µs CPU/event; parse-only {rows['parse_eps'][-1]:,.0f} ev/s; "
                          f"CLI replay {rows['cli_s'][-1]:.2f} s; loop CPU-s: "
                          + ", ".join(f"{k} {v:.2f}" for k, v in sorted(loop_roles.items(), key=lambda kv: -kv[1]))
                          + "; Dask CPU-s: "
                          + ", ".join(f"{k} {v:.2f}" for k, v in sorted(roles[-1].items(), key=lambda kv: -kv[1])),
                          file=sys.stderr)
                dask_cluster.client.close()
            engine.close()
        finally:
            demo.stop()
    agreed = agreed_counts(seen)
    if agreed is None:
        return 1
    events, matches = agreed
    m = {k: statistics.median(v) for k, v in rows.items()}
    print(f"demo history: {len(refs)} objects, {events:,} events, {matches:,} matches; median of {args.rounds} rounds; "
          f"cluster: `dask scheduler` + {args.cluster_workers} × `dask worker --nthreads 1` from the command line, worker profiler "
          f"{'off' if args.no_profiler or args.quiet_workers else 'on (the default)'}"
          + (", tick and memory checks every 1 s" if args.quiet_workers else ", Dask's default intervals"))
    print(f"CPU per event: Dask path {m['dask_cpu'] * 1e6:.0f} µs ÷ plain loop {m['loop_cpu'] * 1e6:.0f} µs = "
          f"{m['dask_cpu'] / m['loop_cpu']:.2f} (target ≤ 1.15; rounds: "
          + ", ".join(f"{d / lp:.2f}" for d, lp in zip(rows["dask_cpu"], rows["loop_cpu"], strict=True)) + ")")
    print(f"CPU per event: Dask path ÷ two plain loops run at once (same contention, no Dask) = "
          f"{m['dask_cpu'] / m['pair_cpu']:.2f} (loops {m['pair_cpu'] * 1e6:.0f} µs; rounds: "
          + ", ".join(f"{d / lp:.2f}" for d, lp in zip(rows["dask_cpu"], rows["pair_cpu"], strict=True)) + ")")
    print(f"events/s: Dask path {m['dask_eps']:,.0f} ({m['dask_eps'] / args.cluster_workers:,.0f} per worker), plain loop "
          f"{m['loop_eps']:,.0f}, parse-only {m['parse_eps']:,.0f}; per worker ÷ parse-only = "
          f"{m['dask_eps'] / args.cluster_workers / m['parse_eps']:.2f}")
    print(f"`workbench replay --scheduler` end to end: {m['cli_s']:.2f} s ({events / m['cli_s']:,.0f} events/s "
          f"including start-up, listing and warm-up)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cli-cluster", action="store_true", help="measure a command-line cluster against the plain loop")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-profiler", action="store_true",
                    help="start the command-line workers with Dask's statistical profiler off")
    ap.add_argument("--cluster-workers", type=int, default=2, help="`dask worker` processes to start (default 2)")
    ap.add_argument("--quiet-workers", action="store_true",
                    help="start the command-line workers with docs/replay.md's settings (QUIET_WORKER_ENV)")
    args = ap.parse_args()
    if args.cli_cluster:
        return cli_cluster(args)
    with tempfile.TemporaryDirectory(prefix="bench-replay-cpu-") as tmp_name:
        tmp = Path(tmp_name)
        spec = DemoSpec()
        demo = start_demo(tmp / "demo", spec, rate=None)
        try:
            port = demo.endpoint.rsplit(":", 1)[1]
            moto = next(p for p in psutil.process_iter(["cmdline"])
                        if "moto.server" in " ".join(p.info["cmdline"] or []) and port in p.info["cmdline"])
            config = load_config(demo.config_path)
            source = config.source("demo")
            until = spec.end
            refs = list_window(AwsSession(source), source, until - timedelta(days=spec.days), until)
            for n in args.workers:
                cluster = DaskCluster(None, n)
                try:
                    workers = cluster.wait_for_workers()
                    tasks = group_tasks(refs, task_target_bytes(sum(r.size for r in refs), workers))
                    task_spec = TaskSpec(0, (), config, source, str(config.rules_dir))
                    warm_up_workers(cluster.client, task_spec)
                    key = ReplayKey.of(source.name, source.bucket, None, until, config.rules_dir)
                    result = ReplayResult(key, Totals())
                    writer = CheckpointWriter(tmp / f"r{n}.jsonl", key, append=False)
                    before = cpu_by_role(moto)
                    load = os.getloadavg()[0]
                    run_tasks(cluster.client, tasks, task_spec, result, writer, lambda p: None, None)
                    after = cpu_by_role(moto)
                    writer.close()
                finally:
                    cluster.close()
                roles: dict[str, float] = defaultdict(float)
                for pid, (role, t) in after.items():
                    roles[role] += t - before.get(pid, (role, 0.0))[1]
                total = sum(roles.values())
                print(f"{n} worker(s): {result.totals.events:,} events in {result.run_s:.2f} s "
                      f"({result.totals.events / result.run_s:,.0f} events/s), load {load:.1f}; CPU seconds: "
                      + ", ".join(f"{role} {t:.2f}" for role, t in sorted(roles.items(), key=lambda kv: -kv[1]))
                      + f"; total {total:.2f}")
        finally:
            demo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
