"""Run a replay on Dask: a LocalCluster (one single-threaded worker process per core) by default, or an
existing cluster given its scheduler address.

Dask does the distributed work — scheduling, retries, and running again the tasks of a worker that died.
This module is the run from start to end: resume from the results file, load the rules once, list the
window, start the cluster (`cluster`), cut the work into tasks (`plan`), submit them and merge each result the
moment it arrives (`submit`, so partial results show early), and report progress (`status`). A task that still
fails after Dask's retries counts its objects as errors; the replay goes on.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from workbench.config import Config, Source
from workbench.errors import WorkbenchError
from workbench.replay.checkpoint import Checkpoint, CheckpointWriter, ReplayKey, read_checkpoint
from workbench.replay.cluster import DaskCluster
from workbench.replay.options import ReplayOptions, default_results_path
from workbench.replay.plan import group_tasks, list_window, task_target_bytes
from workbench.replay.status import ReplayProgress, ReplayResult, progress_of
from workbench.replay.submit import run_tasks, warm_up_workers
from workbench.replay.tally import Totals
from workbench.replay.task import TaskSpec, load_rules, rule_settings
from workbench.source.s3 import ListStats
from workbench.wording import plural


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
    cluster = DaskCluster(options.scheduler, None) if options.scheduler else None
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
            cluster = cluster or DaskCluster(None, options.workers)
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
                                  message=f"Loading rules and schemas on {plural(result.workers, 'worker')} …"))
            warm_up_workers(cluster.client, spec)
            run_tasks(cluster.client, tasks, spec, result, writer, report, cancel)
    finally:
        if writer is not None:
            writer.close()
        if cluster is not None:
            cluster.close()
    result.cancelled = result.cancelled or bool(cancel and cancel.is_set() and totals.objects < len(refs))
    result.elapsed_s = time.monotonic() - started
    report(progress_of("done", result, result.run_s))
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
