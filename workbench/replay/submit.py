"""Tasks on the cluster: warm every worker up, submit every task, merge each result the moment it finishes
(`as_completed`), and turn a task that failed for good into errors for its objects."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from workbench.errors import WorkbenchError
from workbench.replay.checkpoint import CheckpointWriter
from workbench.replay.plan import Task
from workbench.replay.status import ReplayProgress, ReplayResult, progress_of
from workbench.replay.tally import TaskResult
from workbench.replay.task import TaskSpec, run_task, warm_up
from workbench.safetext import one_line

TASK_RETRIES = 2  # Dask re-runs a task that raised this many times before it counts as failed


def warm_up_workers(client, spec: TaskSpec) -> None:
    """Load rules and schemas on every worker before timing starts; a worker that cannot is one sentence.

    Submitted as a task pinned to each worker (not `client.run`, which runs on the worker's event loop
    thread): engines are per thread, and this warms the thread the replay's tasks will run on."""
    workers = list(client.scheduler_info(n_workers=-1).get("workers", {}))
    futures = [client.submit(warm_up, spec, workers=[w], allow_other_workers=False, pure=False,
                             key=f"replay-warm-up-{os.getpid()}-{i}-{time.monotonic_ns()}")
               for i, w in enumerate(workers)]
    try:
        client.gather(futures)
    except WorkbenchError:
        raise
    except Exception as e:
        raise WorkbenchError(_task_error(e).replace("Task failed", "Preparing the workers failed")) from None


def run_tasks(client, tasks: list[Task], base: TaskSpec, result: ReplayResult, writer: CheckpointWriter,
               report: Callable[[ReplayProgress], None], cancel: threading.Event | None) -> None:
    """Submit every task, then merge results in the order they finish."""
    from distributed import as_completed

    if cancel is not None and cancel.is_set():  # cancelled while the workers were starting
        result.cancelled = True
        return
    run_started = time.monotonic()
    token = f"{os.getpid()}-{int(run_started * 1000)}"
    futures = {}
    for task in tasks:
        spec = replace(base, task_id=task.task_id, refs=task.refs)
        fut = client.submit(run_task, spec, key=f"replay-{token}-{task.task_id}", retries=TASK_RETRIES, pure=False)
        futures[fut.key] = (fut, task)
    ac = as_completed([f for f, _ in futures.values()])
    try:
        while not ac.is_empty():
            if cancel is not None and cancel.is_set():
                result.cancelled = True
                break
            if not ac.has_ready():
                time.sleep(0.05)
                continue
            for fut in ac.next_batch(block=False):
                _, task = futures.pop(fut.key)
                _collect(fut, task, result, writer)
                fut.release()
                result.run_s = time.monotonic() - run_started
                report(progress_of("running", result, result.run_s))
    finally:
        if futures:
            client.cancel([f for f, _ in futures.values()])
    result.run_s = time.monotonic() - run_started


def _collect(fut, task: Task, result: ReplayResult, writer: CheckpointWriter) -> None:
    """Merge one finished task; a task that failed for good makes its objects errors (not checkpointed, so
    `--resume` tries them again)."""
    try:
        got: TaskResult = fut.result()
    except WorkbenchError as e:
        _fail(task, result, str(e))
        return
    except Exception as e:  # KilledWorker, a worker that cannot import workbench, a bug in a rule engine …
        _fail(task, result, _task_error(e))
        return
    result.totals.merge(got)
    if got.worker:
        result.worker_names.add(got.worker)
    writer.add(got)


def _fail(task: Task, result: ReplayResult, message: str) -> None:
    result.failed_tasks += 1
    for ref in task.refs:
        result.totals.add_failed_object(ref.key, ref.size, message)


def _task_error(e: BaseException) -> str:
    name = type(e).__name__
    if name == "KilledWorker":
        return ("The task's workers died repeatedly (out of memory or killed); "
                "give workers more memory or a smaller `replay.task_mb`.")
    if isinstance(e, ModuleNotFoundError) or "No module named 'workbench'" in str(e):
        return "A Dask worker cannot import workbench: install log-workbench on every worker (see docs/replay.md)."
    return one_line(f"Task failed on a worker: {name}: {e}", 300)
