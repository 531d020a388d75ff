"""Where the CPU of a replay goes, per process, on the demo history: the Dask workers, their rule
processes, the client (scheduler and nannies live there with a LocalCluster) and the demo's moto server.

This explains the scale-out ratio of `bench_replay.py` on a 2-core machine: whatever CPU is spent outside
the workers (the S3 server above all, which real AWS would not put on our cores) competes with a second
worker for the same two cores. CPU seconds are counted between the first submitted task and the last
result, after the workers loaded rules and schemas.

    .venv/bin/python benchmarks/bench_replay_cpu.py [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import psutil

from workbench.aws import AwsSession
from workbench.config import load_config
from workbench.demo.runtime import start_demo
from workbench.demo.seed import DemoSpec
from workbench.replay import engine
from workbench.replay.checkpoint import CheckpointWriter, ReplayKey
from workbench.replay.plan import group_tasks, list_window, task_target_bytes
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
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
                cluster = engine._Cluster(None, n)
                try:
                    workers = cluster.wait_for_workers()
                    tasks = group_tasks(refs, task_target_bytes(sum(r.size for r in refs), workers))
                    task_spec = TaskSpec(0, (), config, source, str(config.rules_dir))
                    engine._warm_up(cluster.client, task_spec)
                    key = ReplayKey.of(source.name, source.bucket, None, until, config.rules_dir)
                    result = engine.ReplayResult(key, Totals())
                    writer = CheckpointWriter(tmp / f"r{n}.jsonl", key, append=False)
                    before = cpu_by_role(moto)
                    load = os.getloadavg()[0]
                    engine._run_tasks(cluster.client, tasks, task_spec, result, writer, lambda p: None, None)
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
