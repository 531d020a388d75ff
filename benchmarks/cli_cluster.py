"""A Dask cluster started the way a user or a cluster manager starts one: `dask scheduler` and one
`dask worker` process per worker, from the command line, on loopback. Used by the replay benchmark and
the replay test that runs `workbench replay --scheduler tcp://…` against it.

    with CliCluster(workers=2) as cluster:
        subprocess.run(["workbench", "replay", ..., "--scheduler", cluster.address])
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbench.demo.server import free_port, stop_children

START_TIMEOUT = 90


class CliCluster:
    """`start()` brings up the scheduler and `workers` single-threaded workers and waits for them;
    `stop()` ends every process it started (terminate, then kill)."""

    def __init__(self, workers: int = 2, *, log_dir: Path | None = None, env: dict[str, str] | None = None,
                 worker_args: tuple[str, ...] = ()):
        self.workers = workers
        self.worker_args = tuple(worker_args)  # more `dask worker` flags, e.g. ("--no-nanny",)
        self.env = {**os.environ, **(env or {})}
        self.log_dir = log_dir
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []

    def _spawn(self, name: str, args: list[str]) -> None:
        dask = Path(sys.executable).parent / "dask"
        log = open(self.log_dir / f"{name}.log", "wb") if self.log_dir else subprocess.DEVNULL  # noqa: SIM115
        self.procs.append(subprocess.Popen([str(dask), *args], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                           env=self.env))
        if log is not subprocess.DEVNULL:
            log.close()

    def start(self) -> CliCluster:
        from distributed import Client

        try:
            self._spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"])
            for i in range(self.workers):
                self._spawn(f"worker-{i}", ["worker", self.address, "--nthreads", "1", "--name", f"cli-worker-{i}",
                                            "--host", "127.0.0.1", "--no-dashboard", *self.worker_args])
            with Client(self.address, timeout=f"{START_TIMEOUT}s") as client:
                client.wait_for_workers(self.workers, timeout=START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pids(self) -> list[int]:
        """The scheduler's and each `dask worker` command's pid (its worker process is a child: the nanny's)."""
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        stop_children(reversed(self.procs), timeout=30)
        self.procs = []

    def __enter__(self) -> CliCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
