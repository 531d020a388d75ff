"""Run a replay on Dask: a LocalCluster (one single-threaded worker process per core) by default, or an
existing cluster given its scheduler address.

Dask does the distributed work — scheduling, retries, and running again the tasks of a worker that died.
This module only plans the tasks, submits them, merges each result into the running totals the moment it
arrives (`as_completed`, so partial results show early), appends it to the results file, and reports
progress. A task that still fails after Dask's retries counts its objects as errors; the replay goes on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from workbench.config import Config, Source
from workbench.errors import WorkbenchError
from workbench.replay.checkpoint import Checkpoint, CheckpointWriter, ReplayKey, read_checkpoint
from workbench.replay.plan import Task, group_tasks, list_window, task_target_bytes
from workbench.replay.tally import SAMPLE_ALERTS, TaskResult, Totals
from workbench.replay.task import TaskSpec, load_rules, rule_settings, run_task, warm_up
from workbench.safetext import one_line
from workbench.source.s3 import ListStats

TASK_RETRIES = 2  # Dask re-runs a task that raised this many times before it counts as failed
CONNECT_TIMEOUT = "10s"
WORKER_WAIT_S = 30.0  # how long an existing cluster may take to show its first worker


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """What to replay and where. `workers` is the LocalCluster size (default: one per core)."""

    since: datetime | None
    until: datetime | None = None
    rules_dir: Path | None = None
    rule_ids: tuple[str, ...] = ()
    scheduler: str | None = None
    workers: int | None = None
    resume: bool = False
    results_path: Path | None = None
    task_bytes: int | None = None
    sample_alerts: int = SAMPLE_ALERTS
    rule_timeout: float = 1.0


@dataclass(slots=True)
class ReplayProgress:
    """A snapshot for progress bars and screens; `totals` is the live, partial result (read-only please)."""

    phase: str  # listing | starting | running | done
    objects_done: int = 0
    objects_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    events: int = 0
    elapsed_s: float = 0.0
    events_per_s: float = 0.0
    eta_s: float | None = None
    workers: int = 0
    totals: Totals | None = None
    message: str = ""


@dataclass(slots=True)
class ReplayResult:
    """The end of a replay (finished, cancelled, or cut short): totals plus how the run went."""

    key: ReplayKey
    totals: Totals
    objects_total: int = 0
    bytes_total: int = 0
    tasks_total: int = 0
    resumed_objects: int = 0
    resumed_bytes: int = 0
    resumed_events: int = 0
    elapsed_s: float = 0.0
    run_s: float = 0.0  # time from the first submitted task to the last result (no listing, no start-up)
    workers: int = 0
    scheduler: str = ""
    cancelled: bool = False
    failed_tasks: int = 0
    results_path: Path | None = None
    list_calls: int = 0
    worker_names: set[str] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        return not self.cancelled and self.totals.objects >= self.objects_total

    def to_json(self) -> dict:
        t = self.totals
        return {
            "source": self.key.source,
            "bucket": self.key.bucket,
            "since": self.key.since,
            "until": self.key.until,
            "complete": self.complete,
            "cancelled": self.cancelled,
            "objects": t.objects,
            "objects_total": self.objects_total,
            "bytes": t.bytes,
            "events": t.events,
            "matches": t.matches,
            "parse_errors": t.parse_errors,
            "errors": t.errors,
            "events_outside_window": t.outside_window,
            "object_problems": t.decode.to_json(),
            "error_sample": t.error_samples,
            "rules": t.rules_json(),
            "tasks": self.tasks_total,
            "failed_tasks": self.failed_tasks,
            "resumed_objects": self.resumed_objects,
            "elapsed_s": round(self.elapsed_s, 3),
            "run_s": round(self.run_s, 3),
            "events_per_s": round((t.events - self.resumed_events) / self.run_s, 1) if self.run_s > 0 else None,
            "workers": self.workers,
            "worker_processes": sorted(self.worker_names),  # host:pid of every process that ran a task
            "scheduler": self.scheduler,
            "list_calls": self.list_calls,
            "results_file": str(self.results_path) if self.results_path else None,
        }


def default_results_path(config: Config, source: Source) -> Path:
    """Where a source's replay results are kept unless --results says otherwise: beside the config."""
    base = config.path.parent if config.path else Path.cwd()
    return base / ".workbench" / f"replay-{_safe_name(source.name)}.jsonl"


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "source"


def files_signature(*dirs: Path) -> str:
    """A cheap fingerprint of the files under `dirs` (paths, sizes, mtimes): workers on a long-lived cluster
    reload rules or schemas when it changes."""
    h = hashlib.sha1()
    for d in dirs:
        for p in sorted(Path(d).rglob("*")) if Path(d).is_dir() else ():
            if p.is_file() and "__pycache__" not in p.parts:
                st = p.stat()
                h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _resolve_rules_dir(config: Config, options: ReplayOptions) -> Path:
    rules_dir = options.rules_dir or config.rules_dir
    if rules_dir is None:
        raise WorkbenchError("No rules to replay: pass --rules DIR or set `rules:` in the config.")
    rules_dir = Path(rules_dir).resolve()
    if not rules_dir.is_dir():
        raise WorkbenchError(f"The rules directory {rules_dir} does not exist; pass --rules DIR.")
    return rules_dir


def _load_settings(rules_dir: Path, rule_ids: tuple[str, ...], timeout: float) -> dict[str, tuple[int, int]]:
    """Load the rules once here, before any cluster starts: a bad rule or an unknown --rule-id fails fast."""
    engine = load_rules(str(rules_dir), rule_ids, timeout=timeout)
    try:
        settings = rule_settings(engine, rule_ids)
    finally:
        engine.close()
    if not settings:
        raise WorkbenchError(f"No enabled rules in {rules_dir}" + (" match --rule-id." if rule_ids else "."))
    return settings


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
    # OS at once; parsing allocates and frees all the time, and that made a worker (and the rule process
    # it starts, which inherits the variable) take ~20× the page faults of the plain loop and ~10 % more
    # CPU per event (BENCHMARKS.md, "Peers"). None drops the variable (Dask's documented way).
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


class _Cluster:
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


def run_replay(config: Config, source: Source, options: ReplayOptions, *,
               on_progress: Callable[[ReplayProgress], None] | None = None,
               cancel: threading.Event | None = None,
               on_cluster: Callable[[object], None] | None = None) -> ReplayResult:
    """Replay the rules over `source`'s objects in the window; see the module docstring.

    `on_progress` is called (on this thread) after listing and after every finished task. Setting `cancel`
    stops the replay promptly: unfinished tasks are cancelled and the result says `cancelled`; the results
    file keeps what finished, so `resume=True` continues later. `on_cluster(client)` is for tests and tools
    that need the Dask client (e.g. to kill a worker).
    """
    from workbench.aws import AwsSession

    started = time.monotonic()
    report = on_progress or (lambda p: None)
    rules_dir = _resolve_rules_dir(config, options)
    results_path = options.results_path or default_results_path(config, source)

    checkpoint: Checkpoint | None = read_checkpoint(results_path) if options.resume else None
    key = ReplayKey.of(source.name, source.bucket, options.since, options.until, rules_dir, options.rule_ids)
    if checkpoint is not None:
        _check_resumable(checkpoint.key, key, results_path)
        key = checkpoint.key  # the window of the interrupted replay, not one shifted by "now"
    settings = _load_settings(rules_dir, key.rule_ids, options.rule_timeout)

    totals = Totals(sample_limit=options.sample_alerts)
    totals.add_rules(settings)
    done: set[tuple[str, str | None]] = set()
    if checkpoint is not None:
        for r in checkpoint.results:
            totals.merge(r)
        done = checkpoint.done_keys()

    # An existing cluster is reached before listing, so a wrong address fails at once; a LocalCluster is
    # started only once there is work for it.
    cluster = _Cluster(options.scheduler, None) if options.scheduler else None
    writer = None
    try:
        report(ReplayProgress("listing", totals=totals, message=f"Listing s3://{source.bucket} …"))
        stats = ListStats()
        refs = list_window(AwsSession(source), source, key.since_dt(), key.until_dt(), stats=stats,
                           on_listed=lambda n: report(ReplayProgress("listing", objects_total=n, totals=totals,
                                                                      message=f"Listed {n} objects …")))
        todo = [r for r in refs if (r.key, r.etag) not in done]
        result = ReplayResult(key, totals, objects_total=len(refs), bytes_total=sum(max(r.size, 0) for r in refs),
                              resumed_objects=len(refs) - len(todo), resumed_bytes=totals.bytes,
                              resumed_events=totals.events, results_path=results_path, list_calls=stats.list_calls)
        writer = CheckpointWriter(results_path, key, append=checkpoint is not None)
        if todo and not (cancel and cancel.is_set()):
            report(ReplayProgress("starting", objects_total=len(refs), objects_done=totals.objects,
                                  totals=totals, message="Starting Dask workers …"))
            cluster = cluster or _Cluster(None, options.workers)
            if on_cluster is not None:
                on_cluster(cluster.client)
            result.scheduler = cluster.address
            result.workers = cluster.wait_for_workers()
            target = task_target_bytes(sum(max(r.size, 0) for r in todo), max(1, result.workers),
                                       override=options.task_bytes)
            tasks = group_tasks(todo, target)
            result.tasks_total = len(tasks)
            spec = TaskSpec(0, (), config, source, str(rules_dir), key.rule_ids, files_signature(rules_dir),
                            files_signature(*config.schema_dirs), options.sample_alerts, options.rule_timeout,
                            *_event_bounds(key))
            report(ReplayProgress("starting", objects_total=len(refs), objects_done=totals.objects,
                                  workers=result.workers, totals=totals,
                                  message=f"Loading rules and schemas on {result.workers} worker(s) …"))
            _warm_up(cluster.client, spec)
            _run_tasks(cluster.client, tasks, spec, result, writer, report, cancel)
    finally:
        if writer is not None:
            writer.close()
        if cluster is not None:
            cluster.close()
    result.cancelled = result.cancelled or bool(cancel and cancel.is_set() and totals.objects < len(refs))
    result.elapsed_s = time.monotonic() - started
    report(_progress("done", result, result.run_s))
    return result


def _event_bounds(key: ReplayKey) -> tuple[str | None, str | None]:
    """The window as p_event_time text, for the tasks to drop events outside it."""
    from workbench.schema.timeformats import ns_to_text

    def text(dt: datetime | None) -> str | None:
        if dt is None:
            return None
        dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
        return ns_to_text(int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000)

    return text(key.since_dt()), text(key.until_dt())


def _check_resumable(old: ReplayKey, new: ReplayKey, path: Path) -> None:
    for name in ("source", "bucket", "rules_dir", "rule_ids"):
        if getattr(old, name) != getattr(new, name):
            raise WorkbenchError(f"{path} holds a replay with another {name.replace('_', ' ')} "
                                 f"({getattr(old, name)!s}); run without --resume to start over, or pass --results FILE.")


def _progress(phase: str, result: ReplayResult, run_s: float) -> ReplayProgress:
    t = result.totals
    fresh_bytes = t.bytes - result.resumed_bytes  # read by this run (resumed objects took no time now)
    eta = None
    if run_s > 0 and fresh_bytes > 0 and t.bytes < result.bytes_total:
        eta = (result.bytes_total - t.bytes) / (fresh_bytes / run_s)
    return ReplayProgress(phase, objects_done=t.objects, objects_total=result.objects_total, bytes_done=t.bytes,
                          bytes_total=result.bytes_total, events=t.events, elapsed_s=run_s,
                          events_per_s=(t.events - result.resumed_events) / run_s if run_s > 0 else 0.0,
                          eta_s=eta, workers=result.workers, totals=t)


def _warm_up(client, spec: TaskSpec) -> None:
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


def _run_tasks(client, tasks: list[Task], base: TaskSpec, result: ReplayResult, writer: CheckpointWriter,
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
                report(_progress("running", result, result.run_s))
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


_CONFIG_KEYS = {"scheduler", "workers", "task_mb", "alerts_sample", "rule_timeout", "results"}


def options_from_config(config: Config) -> dict:
    """Defaults from the config's `replay:` section (flags override them), e.g.::

        replay:
          scheduler: tcp://dask-scheduler:8786   # default: a LocalCluster, one worker per core
          workers: 2                              # LocalCluster size
          task_mb: 32                             # bytes of objects per task (default: from the total)
          alerts_sample: 5                        # sample alerts kept per rule
          rule_timeout: 1.0                       # seconds per rule call
          results: .workbench/replay.jsonl        # the results file (relative to the config)
    """
    raw = config.extra.get("replay") or {}
    if not isinstance(raw, dict):
        raise WorkbenchError("`replay` in the config must be a mapping (scheduler, workers, task_mb, …).")
    unknown = sorted(set(raw) - _CONFIG_KEYS)
    if unknown:
        raise WorkbenchError(f"Unknown key `replay.{unknown[0]}` in the config; expected one of: "
                             + ", ".join(sorted(_CONFIG_KEYS)) + ".")
    out: dict = {}
    try:
        if raw.get("scheduler"):
            out["scheduler"] = str(raw["scheduler"])
        if raw.get("workers") is not None:
            out["workers"] = int(raw["workers"])
        if raw.get("task_mb") is not None:
            out["task_bytes"] = int(float(raw["task_mb"]) * 1024 * 1024)
        if raw.get("alerts_sample") is not None:
            out["sample_alerts"] = int(raw["alerts_sample"])
        if raw.get("rule_timeout") is not None:
            out["rule_timeout"] = float(raw["rule_timeout"])
    except (TypeError, ValueError):
        raise WorkbenchError("`replay.workers`, `replay.task_mb`, `replay.alerts_sample` and `replay.rule_timeout` "
                             "in the config must be numbers.") from None
    if raw.get("results"):
        base = config.path.parent if config.path else Path.cwd()
        out["results_path"] = (base / str(raw["results"])).resolve()
    return out


def replay_rules(config: Config, rules_dir: Path | None = None) -> list[dict]:
    """The rules a replay would run (enabled streaming rules), for pickers: id, log types, severity, and
    the dedup settings. Loads the rules the way workers do, so a rule that does not import is not listed."""
    rules_dir = _resolve_rules_dir(config, ReplayOptions(since=None, rules_dir=rules_dir))
    engine = load_rules(str(rules_dir))
    try:
        return [{"rule_id": r.rule_id, "log_types": list(r.log_types), "severity": r.severity,
                 "threshold": r.threshold, "dedup_period_minutes": r.dedup_period_minutes}
                for r in engine.rules if r.enabled and r.analysis_type == "rule"]
    finally:
        engine.close()
