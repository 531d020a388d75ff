"""Where the CPU of a replay goes, per process, on the demo history: the Dask workers, their rule
processes, the client (scheduler and nannies live there with a LocalCluster) and the demo's moto server.

This explains the scale-out ratio of `bench_replay.py` on a 2-core machine: whatever CPU is spent outside
the workers (the S3 server above all, which real AWS would not put on our cores) competes with a second
worker for the same two cores. CPU seconds are counted between the first submitted task and the last
result, after the workers loaded rules and schemas.

    .venv/bin/python benchmarks/bench_replay_cpu.py [--workers 1 2]

`--cli-cluster` measures real clusters instead: `dask scheduler` and `dask worker` processes started from
the command line (`cli_cluster.py`), one cluster per `--variants` entry (how the workers are started and
how big the tasks are; all up at once), in rounds that alternate with the plain loop over the same objects
(fetch 4 at a time → decode → parse → rules, no Dask), run in a fresh process of its own. Each cluster
first runs a short replay, as the loop first runs over 10 objects, with the spec `workbench replay` builds,
so the command run on the first cluster between rounds leaves its rule processes loaded. It reports CPU
seconds per event (every process of ours counted, children included: client, scheduler, nannies, workers,
rule processes; the S3 server not) ÷ the loop's, and ÷ two plain loops at once (the machine's own
contention), minor page faults per event, events/s per worker ÷ parse-only events/s (decode + parse of the
same objects, already in memory, one process), and times `workbench replay --scheduler tcp://…` end to
end, checking every mode gives the loop's events and matches.

    .venv/bin/python benchmarks/bench_replay_cpu.py --cli-cluster [--rounds 3] [--variants before no-nanny …]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil

from workbench.aws import AwsSession
from workbench.config import load_config
from workbench.demo.runtime import start_demo
from workbench.demo.seed import DemoSpec
from workbench.replay import engine as engine_mod
from workbench.replay.checkpoint import CheckpointWriter, ReplayKey
from workbench.replay.cluster import QUIET_WORKERS, DaskCluster
from workbench.replay.plan import (
    MAX_TASK_BYTES,
    TASKS_PER_WORKER,
    group_tasks,
    list_window,
    task_target_bytes,
)
from workbench.replay.status import ReplayResult
from workbench.replay.submit import run_tasks, warm_up_workers
from workbench.replay.tally import SAMPLE_ALERTS, Totals
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


# What docs/replay.md recommended before for replay workers, as the LocalCluster set it then (cluster.QUIET_WORKERS):
# profiler off, tick and memory checks once a second, in the environment a command-line `dask worker` reads.
QUIET_WORKER_ENV = {"DASK_" + k.upper().replace(".", "__").replace("-", "_"): str(v)
                    for k, v in QUIET_WORKERS.items() if not k.startswith("distributed.nanny.")}
ROOT_ROLES = ("client", "scheduler")  # the order of `pids`: this process, `dask scheduler`, then `dask worker`s


def _minflt(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[7])
    except (OSError, IndexError, ValueError):
        return 0


def tree_cpu(pids: list[int], exclude: set[int]) -> dict[int, tuple[str, float, int]]:
    """pid -> (role, CPU seconds so far, minor page faults so far) for `pids` and all their descendants,
    minus `exclude`. The cluster's processes are children of this one too, so the roots are walked
    last-first: a process belongs to the nearest root above it. A `dask worker` root is a nanny when its
    worker process is a child of it, the worker itself with `--no-nanny`."""
    out: dict[int, tuple[str, float, int]] = {}
    for i, pid in reversed(list(enumerate(pids))):
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        cmds = {}
        for p in procs:
            try:
                cmds[p.pid] = " ".join(p.cmdline())
            except psutil.Error:
                cmds[p.pid] = ""
        for p in procs:
            if p.pid in out or p.pid in exclude:
                continue
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            if "detections.worker" in cmds[p.pid]:
                role = "rule processes"
            elif i < len(ROOT_ROLES):
                role = ROOT_ROLES[i] if p.pid == pid else "other"
            elif p.pid == pid:
                nanny = any("detections.worker" not in c for q, c in cmds.items() if q != pid)
                role = "nannies" if nanny else "dask workers"
            else:
                role = "dask workers"
            out[p.pid] = (role, t.user + t.system, _minflt(p.pid))
    return out


def cluster_tree(pids: list[int]) -> set[int]:
    out = set(pids)
    for pid in pids:
        try:
            out |= {c.pid for c in psutil.Process(pid).children(recursive=True)}
        except psutil.Error:
            pass
    return out


def cpu_delta(before: dict[int, tuple[str, float, int]], after: dict[int, tuple[str, float, int]]) -> dict[str, float]:
    """role -> CPU seconds spent between the two snapshots (a process that started in between counts whole)."""
    roles: dict[str, float] = defaultdict(float)
    for pid, (role, t, _f) in after.items():
        roles[role] += t - before.get(pid, (role, 0.0, 0))[1]
    return dict(roles)


def faults_delta(before: dict[int, tuple[str, float, int]], after: dict[int, tuple[str, float, int]]) -> int:
    return sum(f - before.get(pid, (role, 0.0, 0))[2] for pid, (role, _t, f) in after.items())


def _child_loop(config_path: str, keys: list[str]) -> tuple[int, int, float, float, int]:
    """The plain loop in a fresh process of its own (spawned: no Dask client, no other threads in it):
    events, matches, seconds, CPU seconds and minor page faults of this process and its rule process over
    the timed loop (rules loaded and schemas compiled before)."""
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
        events, matches, seconds = in_process(config, source, refs, rule_engine, parse)
        after = tree_cpu([me.pid], set())
    return events, matches, seconds, sum(cpu_delta(before, after).values()), faults_delta(before, after)


def plain_loops(config_path: Path, refs, n: int) -> tuple[int, int, float, float, int]:
    """`n` plain loops at once, each over 1/n of the objects, each in its own process: events, matches, wall
    seconds (the slowest), CPU seconds and minor faults (summed). n = 2 is the two-processes-on-two-cores
    contention the 2-worker cluster has, without Dask."""
    import multiprocessing

    keys = [r.key for r in refs]
    with multiprocessing.get_context("spawn").Pool(n) as pool:
        got = pool.starmap(_child_loop, [(str(config_path), keys[i::n]) for i in range(n)])
    return (sum(g[0] for g in got), sum(g[1] for g in got), max(g[2] for g in got), sum(g[3] for g in got),
            sum(g[4] for g in got))


@dataclass(frozen=True)
class Variant:
    """One way to start the command-line workers (and to cut the replay into tasks)."""

    what: str
    workers: int = 2
    worker_args: tuple[str, ...] = ()
    quiet: bool = True  # profiler off, tick and memory checks once a second (QUIET_WORKER_ENV)
    nanny_trim: bool = True  # a nanny starts its worker with MALLOC_TRIM_THRESHOLD_=65536 (Dask's default)
    task_floor: int | None = None  # the plan's smallest task in bytes; None: the replay's own (MIN_TASK_BYTES)


NO_TRIM_YAML = "distributed:\n  nanny:\n    pre-spawn-environ:\n      MALLOC_TRIM_THRESHOLD_: null\n"
OLD_FLOOR = 256 * 1024  # the plan's smallest task before 2026-12-05
VARIANTS = {
    "default": Variant("Dask's defaults: nanny, profiler on, 20 ms tick, 100 ms memory checks; 256 KiB tasks",
                       quiet=False, task_floor=OLD_FLOOR),
    "before": Variant("docs/replay.md until 2026-12-04: nanny, profiler off, tick and memory checks 1 s; "
                      "256 KiB tasks", task_floor=OLD_FLOOR),
    "no-trim": Variant("as before, and the nanny's MALLOC_TRIM_THRESHOLD_ off (a Dask config file); 1 MiB tasks",
                       nanny_trim=False),
    "no-nanny": Variant("docs/replay.md now: `--no-nanny`, profiler off, tick and memory checks 1 s; 1 MiB tasks",
                        worker_args=("--no-nanny",)),
    "before-1": Variant("one worker, as before", workers=1, task_floor=OLD_FLOOR),
    "no-nanny-1": Variant("one worker, as no-nanny", workers=1, worker_args=("--no-nanny",)),
}


def _variant_env(v: Variant, tmp: Path) -> dict[str, str]:
    env = dict(QUIET_WORKER_ENV) if v.quiet else {}
    if not v.nanny_trim:
        conf = tmp / "dask-config-no-trim"
        conf.mkdir(exist_ok=True)
        (conf / "replay.yaml").write_text(NO_TRIM_YAML)
        env["DASK_CONFIG"] = str(conf)
    return env


def cli_cluster(args) -> int:
    """Plain loop vs replay on command-line clusters: CPU per event, events/s per worker ÷ parse-only."""
    import json
    import subprocess
    import time
    from contextlib import ExitStack

    from bench_replay import agreed_counts
    from cli_cluster import CliCluster

    from workbench.events.pipeline import events_from_object
    from workbench.model import FetchFailure
    from workbench.parse import parsers_for_source
    from workbench.replay.task import FETCH_THREADS, MAX_OBJECT_BYTES
    from workbench.source.s3 import fetch_objects

    names = args.variants or ["before", "no-nanny"]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        print(f"unknown variant {unknown[0]!r}; known: {', '.join(VARIANTS)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-replay-cli-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        spec = DemoSpec()
        demo = start_demo(tmp / "demo", spec, rate=None)
        stack.callback(demo.stop)
        me = os.getpid()
        config = load_config(demo.config_path)
        source = config.source("demo")
        until = spec.end
        since = until - timedelta(days=spec.days)
        aws = AwsSession(source)
        refs = list_window(aws, source, since, until)
        total_bytes = sum(r.size for r in refs)
        parse = parsers_for_source(config, source)
        blobs = [(r, d) for r, d in fetch_objects(aws, refs, workers=FETCH_THREADS, max_bytes=MAX_OBJECT_BYTES)
                 if not isinstance(d, FetchFailure)]
        def all_but(keep: set[int]) -> set[int]:
            return {p.pid for p in psutil.Process().children(recursive=True)} - keep

        # the spec `workbench replay` builds for this window, so that the command run between rounds on the
        # same cluster finds its workers' rule processes and parsers already loaded, and leaves them so
        rules_dir = Path(config.rules_dir).resolve()
        key = ReplayKey.of(source.name, source.bucket, since, until, rules_dir)
        task_spec = TaskSpec(0, (), config, source, str(rules_dir), key.rule_ids, engine_mod.files_signature(rules_dir),
                             engine_mod.files_signature(*config.schema_dirs), SAMPLE_ALERTS, 1.0,
                             *engine_mod._event_bounds(key))

        def rule_pids(cluster) -> set[int]:
            return {pid for pid in cluster_tree(cluster.pids) if pid not in cluster.pids
                    and "detections.worker" in " ".join(psutil.Process(pid).cmdline())}

        clusters = {}
        for name in names:  # every variant's cluster up at once, so rounds alternate between them
            v = VARIANTS[name]
            log_dir = tmp / name
            log_dir.mkdir()
            cluster = stack.enter_context(CliCluster(v.workers, log_dir=log_dir, env=_variant_env(v, tmp),
                                                     worker_args=v.worker_args))
            dask_cluster = DaskCluster(cluster.address, None)
            stack.callback(dask_cluster.client.close)
            workers = dask_cluster.wait_for_workers()
            target = task_target_bytes(total_bytes, workers)
            if v.task_floor is not None:
                target = max(v.task_floor, min(MAX_TASK_BYTES, total_bytes // (workers * TASKS_PER_WORKER)))
            warm_up_workers(dask_cluster.client, task_spec)
            # as the loop runs over 10 objects before its clock starts: a short replay first
            warm = ReplayResult(key, Totals())
            writer = CheckpointWriter(tmp / f"{name}-warm.jsonl", key, append=False)
            run_tasks(dask_cluster.client, group_tasks(refs[:40], 1), task_spec, warm, writer,
                                  lambda p: None, None)
            writer.close()
            clusters[name] = (cluster, dask_cluster, group_tasks(refs, target))
        rows: dict[str, list[float]] = defaultdict(list)
        roles: dict[str, list[dict[str, float]]] = defaultdict(list)
        seen = set()
        for rnd in range(args.rounds):
            # parse only: decode + parse, bytes already in memory, one process
            t0 = time.perf_counter()
            parsed = sum(sum(1 for e in events_from_object(config, source, r, d, parse=parse) if isinstance(e, dict))
                         for r, d in blobs)
            rows["parse_eps"].append(parsed / (time.perf_counter() - t0))
            # the plain loop, in a process of its own, and its rule process
            events, matches, seconds, cpu, faults = plain_loops(demo.config_path, refs, 1)
            rows["loop_cpu"].append(cpu / events)
            rows["loop_faults"].append(faults / events)
            rows["loop_eps"].append(events / seconds)
            seen.add((events, matches))
            if not args.no_pair:
                pair = plain_loops(demo.config_path, refs, 2)
                rows["pair_cpu"].append(pair[3] / pair[0])
                seen.add(pair[:2])
            order = names[rnd % len(names):] + names[:rnd % len(names)]  # rotate, so no variant always runs first
            for name in order:
                cluster, dask_cluster, tasks = clusters[name]
                # the Dask path: this process (the client) + this cluster's scheduler, nannies, workers, rules
                ours = [me, *cluster.pids]
                exclude = all_but(cluster_tree(cluster.pids))
                rules0 = rule_pids(cluster)
                c0 = tree_cpu(ours, exclude)
                result = ReplayResult(key, Totals())
                writer = CheckpointWriter(tmp / f"{name}-{rnd}.jsonl", key, append=False)
                run_tasks(dask_cluster.client, tasks, task_spec, result, writer, lambda p: None, None)
                writer.close()
                c1 = tree_cpu(ours, exclude)
                if rule_pids(cluster) != rules0 or len(rules0) != VARIANTS[name].workers:
                    print(f"  {name}: the workers' rule processes changed during the run (not warm)", file=sys.stderr)
                by_role = cpu_delta(c0, c1)
                rows[f"{name}_cpu"].append(sum(by_role.values()) / result.totals.events)
                rows[f"{name}_faults"].append(faults_delta(c0, c1) / result.totals.events)
                rows[f"{name}_eps"].append(result.totals.events / result.run_s)
                rows[f"{name}_ratio"].append(rows[f"{name}_cpu"][-1] / rows["loop_cpu"][-1])
                if not args.no_pair:
                    rows[f"{name}_pair_ratio"].append(rows[f"{name}_cpu"][-1] / rows["pair_cpu"][-1])
                roles[name].append(by_role)
                seen.add((result.totals.events, result.totals.matches))
            # the command a user types, end to end (start-up, listing and warm-up included), on the first variant
            cluster = clusters[names[0]][0]
            t0 = time.perf_counter()
            proc = subprocess.run([str(Path(sys.executable).parent / "workbench"), "replay", "--config",
                                   str(demo.config_path), "--source", "demo", "--since", since.isoformat(),
                                   "--until", until.isoformat(), "--scheduler", cluster.address,
                                   "--results", str(tmp / f"cli{rnd}.jsonl"), "--json"],
                                  capture_output=True, text=True, check=True)
            rows["cli_s"].append(time.perf_counter() - t0)
            r = json.loads(proc.stdout)
            seen.add((r["events"], r["matches"]))
            rows["load"].append(os.getloadavg()[0])
            print(f"  round {rnd + 1}: load {rows['load'][-1]:.1f}; loop {rows['loop_cpu'][-1] * 1e6:.0f} µs CPU/event"
                  + ("" if args.no_pair else f" (2 loops at once {rows['pair_cpu'][-1] * 1e6:.0f})")
                  + "; " + "; ".join(f"{n} {rows[f'{n}_cpu'][-1] * 1e6:.0f} µs = {rows[f'{n}_ratio'][-1]:.2f}×" for n in names)
                  + f"; CLI replay {rows['cli_s'][-1]:.2f} s", file=sys.stderr)
    agreed = agreed_counts(seen)
    if agreed is None:
        return 1
    events, matches = agreed
    med = statistics.median
    load = rows["load"]
    print(f"demo history: {len(refs)} objects, {events:,} events, {matches:,} matches; {args.rounds} rounds, load "
          f"{min(load):.0f}–{max(load):.0f}; medians of per-round ratios (range)")
    print(f"plain loop: {med(rows['loop_cpu']) * 1e6:.0f} µs CPU/event, {med(rows['loop_faults']):.2f} minor faults/event, "
          f"{med(rows['loop_eps']):,.0f} events/s; parse-only {med(rows['parse_eps']):,.0f} events/s"
          + ("" if args.no_pair else f"; two loops at once ÷ loop "
             f"{med([p / lp for p, lp in zip(rows['pair_cpu'], rows['loop_cpu'], strict=True)]):.2f}"))
    for name in names:
        v = VARIANTS[name]
        ratios = rows[f"{name}_ratio"]
        print(f"{name} ({v.what}; {len(clusters[name][2])} tasks): {med(rows[f'{name}_cpu']) * 1e6:.0f} µs CPU/event; "
              f"÷ loop {med(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}; ratio of the medians "
              f"{med(rows[f'{name}_cpu']) / med(rows['loop_cpu']):.2f}; target ≤ 1.15)"
              + ("" if args.no_pair else f", ÷ two loops at once {med(rows[f'{name}_pair_ratio']):.2f}")
              + f"; {med(rows[f'{name}_faults']):.2f} minor faults/event; events/s per worker ÷ parse-only "
              f"{med(rows[f'{name}_eps']) / v.workers / med(rows['parse_eps']):.2f}")
        print("  CPU-s by role: " + _roles_text(roles[name]))
    print(f"`workbench replay --scheduler` end to end on {names[0]}: {med(rows['cli_s']):.2f} s "
          f"({events / med(rows['cli_s']):,.0f} events/s including start-up, listing and warm-up)")
    return 0


def _roles_text(runs: list[dict[str, float]]) -> str:
    keys = sorted({k for r in runs for k in r}, key=lambda k: -statistics.median(r.get(k, 0.0) for r in runs))
    return ", ".join(f"{k} {statistics.median(r.get(k, 0.0) for r in runs):.2f}" for k in keys)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cli-cluster", action="store_true", help="measure a command-line cluster against the plain loop")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), metavar="VARIANT",
                    help="how to start the command-line workers, each its own cluster, measured in turn every "
                         "round (default: before no-nanny); one of: " + ", ".join(VARIANTS))
    ap.add_argument("--no-pair", action="store_true", help="skip the two-plain-loops-at-once control")
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
