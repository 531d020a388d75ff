"""The Dask side of a replay: a client on a fresh LocalCluster (one single-threaded worker process per core,
closed afterwards) or on an existing scheduler (left running), started so that Ctrl+C and a TUI's captured
stderr do not break its workers."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from contextlib import contextmanager

from workbench.errors import WorkbenchError
from workbench.safetext import one_line

CONNECT_TIMEOUT = "10s"
WORKER_WAIT_S = 30.0  # how long an existing cluster may take to show its first worker


@contextmanager
def _sigint_ignored():
    """Start worker processes with SIGINT ignored (they inherit it, and so do their rule processes).

    Ctrl+C in a terminal signals the whole process group: the replay itself handles it (stops cleanly,
    keeps what finished), and workers that died of it would only print tracebacks and could cut a task's
    rule process mid-batch. Only the main thread may change signal handlers; elsewhere (the TUI) there is
    no terminal Ctrl+C to worry about."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


QUIET_WORKERS = {  # the LocalCluster's worker settings; docs/replay.md recommends the same for other clusters
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    # Nannies start their workers with MALLOC_TRIM_THRESHOLD_=65536 so that freed memory goes back to the
    # system at once; parsing allocates and frees all the time, and that gave a worker (and the rule process
    # it starts, which inherits the variable) ~20× the page faults of the plain loop and most of its extra
    # CPU per event (BENCHMARKS.md, "Peers"). None drops the variable (Dask's documented way).
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


class DaskCluster:
    """A Dask client on a fresh LocalCluster (closed afterwards) or on an existing scheduler (left running)."""

    def __init__(self, scheduler: str | None, workers: int | None):
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise WorkbenchError("Replay needs Dask: install the `scale` extra (pip install 'log-workbench[scale]').") from None
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as e:
                raise WorkbenchError(f"Cannot reach the Dask scheduler at {scheduler}: {one_line(e, 200)}; "
                                     "check the address (tcp://HOST:PORT) and that `dask scheduler` is running.") from None
            self.address = scheduler
        else:
            n = max(1, workers or os.cpu_count() or 1)
            _ensure_resource_tracker()
            # One single-threaded process per core: parsing and rules are CPU-bound Python (the GIL), and
            # each worker's rules run in one child process of its own.
            # Dask's statistical profiler samples every worker thread's stack every 10 ms: a few per cent of
            # CPU-bound parsing for a dashboard nobody looks at here. The event-loop health check (every
            # 20 ms) and the memory check (every 100 ms) wake the worker's event-loop thread, which then takes
            # the GIL from the task thread: once a second is enough here, and took that thread from ~20 % to
            # ~6 % of a worker's CPU (BENCHMARKS.md). The nannies pass this config to the workers.
            with _sigint_ignored(), dask.config.set(QUIET_WORKERS):
                # No dashboard; the scheduler's small HTTP server (health checks) on a free loopback port
                # instead of 8787, which another cluster on the machine may hold.
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR,
                                            scheduler_kwargs={"dashboard": False,
                                                              "dashboard_address": "127.0.0.1:0"})
            self.client = Client(self.cluster)
            self.address = self.cluster.scheduler_address

    def worker_count(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def wait_for_workers(self, timeout: float = WORKER_WAIT_S) -> int:
        """At least one worker, or one sentence: tasks on a cluster without workers would wait forever."""
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            raise WorkbenchError(f"The Dask cluster at {self.address} has no workers after {timeout:.0f} s; "
                                 f"start some with `dask worker {self.address} --nthreads 1`.") from None
        return self.worker_count()

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def _ensure_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a real stderr if it is not running.

    The workers' nannies need it, and it is started on first use with `sys.stderr.fileno()` among the fds
    it keeps; under a TUI sys.stderr is a capture object whose fileno() is -1, and starting it then fails
    ("bad value(s) in fds_to_keep"). So start it here, pointing stderr at /dev/null for the moment.
    """
    from multiprocessing import resource_tracker

    try:
        if sys.stderr is not None and sys.stderr.fileno() >= 0:
            return
    except (AttributeError, OSError, ValueError):
        pass
    saved = sys.stderr
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = saved
