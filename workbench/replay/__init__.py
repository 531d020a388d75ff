"""Replay: run detection rules over weeks of a source's history on Dask, and count what would have fired.

The pieces, one concern each:

* `plan`       — list the objects in a time range by date partition; cut them into tasks of similar size;
* `task`       — what a worker runs per task: fetch → decode → parse → rules (the same core calls as
                 everywhere else), returning counts, never credentials or raw data;
* `tally`      — mergeable per-rule counts, Panther-style dedup groups and thresholds, bounded alert samples;
* `checkpoint` — the local results file that makes `--resume` possible;
* `options`    — ReplayOptions and their defaults from the config's `replay:` section;
* `cluster`    — a Dask client on a LocalCluster or an existing scheduler;
* `submit`     — warm-up, task submission, `as_completed` merging, failed tasks as errors;
* `status`     — ReplayProgress while it runs, ReplayResult at the end;
* `engine`     — `run_replay`: one replay from resume to result, with cancel.

`run_replay(config, source, ReplayOptions(since=…))` is the one call behind `workbench replay` and the
TUI's Replay screen.
"""

from workbench.replay.engine import replay_rules, run_replay
from workbench.replay.options import ReplayOptions, default_results_path, options_from_config
from workbench.replay.status import ReplayProgress, ReplayResult
from workbench.replay.tally import TaskResult, Totals

__all__ = [
    "ReplayOptions",
    "ReplayProgress",
    "ReplayResult",
    "TaskResult",
    "Totals",
    "default_results_path",
    "options_from_config",
    "replay_rules",
    "run_replay",
]
