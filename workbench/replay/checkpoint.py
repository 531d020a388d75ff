"""The local results file that makes a replay resumable.

One JSON object per line: a header naming what is being replayed (source, bucket, window, rules), then one
line per finished task with its objects and its tallies. A line is appended and flushed as each task
finishes, so an interrupted replay (Ctrl+C, a crash, a lost cluster) keeps everything finished so far.
`--resume` reads the file back: its tallies are merged into the totals and its objects are not read again.
A half-written last line (the process died mid-write) is ignored, and its task simply runs again.

The header's window is the resolved one: resuming a `--since 30d` replay a day later continues the same
30 days instead of shifting them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

import orjson

from workbench.errors import WorkbenchError
from workbench.replay.tally import TaskResult

VERSION = 1


@dataclass(frozen=True, slots=True)
class ReplayKey:
    """What identifies a replay: a results file is resumable only by a replay with the same key."""

    source: str
    bucket: str
    since: str | None
    until: str | None
    rules_dir: str
    rule_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, source: str, bucket: str, since: datetime | None, until: datetime | None, rules_dir: str | os.PathLike,
           rule_ids: tuple[str, ...] = ()) -> ReplayKey:
        return cls(source, bucket, since.isoformat() if since else None, until.isoformat() if until else None,
                   str(rules_dir), tuple(sorted(rule_ids)))

    def to_json(self) -> dict:
        return {"kind": "header", "version": VERSION, "source": self.source, "bucket": self.bucket,
                "since": self.since, "until": self.until, "rules_dir": self.rules_dir, "rule_ids": list(self.rule_ids)}

    @classmethod
    def from_json(cls, raw: dict) -> ReplayKey:
        return cls(raw["source"], raw["bucket"], raw.get("since"), raw.get("until"), raw["rules_dir"],
                   tuple(raw.get("rule_ids") or ()))

    def since_dt(self) -> datetime | None:
        return datetime.fromisoformat(self.since) if self.since else None

    def until_dt(self) -> datetime | None:
        return datetime.fromisoformat(self.until) if self.until else None


@dataclass(slots=True)
class Checkpoint:
    """What a results file holds: the replay it belongs to and the tasks finished so far."""

    key: ReplayKey
    results: list[TaskResult] = field(default_factory=list)

    def done_keys(self) -> set[tuple[str, str | None]]:
        """(key, etag) of every finished object: a rewritten object (new etag) is read again."""
        return {(o.key, o.etag) for r in self.results for o in r.objects}


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint in `path`, or None when there is no file. A file that is not a results file raises."""
    try:
        raw_lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise WorkbenchError(f"Cannot read the replay results file {path}: {e.strerror or e}.") from None
    if not raw_lines:
        return None
    try:
        header = orjson.loads(raw_lines[0])
        if header.get("kind") != "header" or header.get("version") != VERSION:
            raise ValueError
        key = ReplayKey.from_json(header)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise WorkbenchError(f"{path} is not a replay results file; pass another --results file or delete it.") from None
    results = []
    for line in raw_lines[1:]:
        try:
            results.append(TaskResult.from_json(orjson.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut off when the process died: that task runs again
    return Checkpoint(key, results)


class CheckpointWriter:
    """Appends finished tasks to the results file, one flushed line each."""

    def __init__(self, path: Path, key: ReplayKey, *, append: bool):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not append or not path.exists() or path.stat().st_size == 0
        try:
            self._fh: IO[bytes] = open(path, "wb" if fresh else "ab")  # noqa: SIM115 (closed in close())
        except OSError as e:
            raise WorkbenchError(f"Cannot write the replay results file {path}: {e.strerror or e}.") from None
        if fresh:
            self._write(key.to_json())
        elif not _ends_with_newline(path):
            self._fh.write(b"\n")  # finish a line cut off by a crash, so the next record starts clean

    def _write(self, obj: dict) -> None:
        self._fh.write(orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n")
        self._fh.flush()

    def add(self, result: TaskResult) -> None:
        self._write(result.to_json())

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"
