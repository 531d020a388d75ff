"""What to replay and where: `ReplayOptions`, their defaults from the config's `replay:` section, and where
a source's results file is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workbench.config import Config, Source
from workbench.errors import WorkbenchError
from workbench.replay.tally import SAMPLE_ALERTS


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


def default_results_path(config: Config, source: Source) -> Path:
    """Where a source's replay results are kept unless --results says otherwise: beside the config."""
    base = config.path.parent if config.path else Path.cwd()
    return base / ".workbench" / f"replay-{_safe_name(source.name)}.jsonl"


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "source"
