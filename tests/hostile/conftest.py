"""Counting for RELIABILITY.md, and the shared checks every hostile test makes.

Tests call `tally.inputs(category, n)` for each hostile input they drive through an entry point and
`tally.faults(kind, n)` for each fault injected. At the end of the session the totals go to
`.pytest_cache/hostile-counts-<selection>.json` and to the terminal summary, so the table in RELIABILITY.md is copied from
a real run rather than typed.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from pathlib import Path

import pytest

_LOCK = threading.Lock()
_INPUTS: Counter = Counter()
_FAULTS: Counter = Counter()
_ENTRY: Counter = Counter()


class Tally:
    def inputs(self, category: str, n: int = 1, *, entry: str | None = None) -> None:
        with _LOCK:
            _INPUTS[category] += n
            if entry:
                _ENTRY[entry] += n

    def faults(self, kind: str, n: int = 1) -> None:
        with _LOCK:
            _FAULTS[kind] += n


@pytest.fixture(scope="session")
def tally() -> Tally:
    return Tally()


def pytest_sessionfinish(session, exitstatus) -> None:
    if not (_INPUTS or _FAULTS):
        return
    data = {"inputs": dict(sorted(_INPUTS.items())), "inputs_total": sum(_INPUTS.values()),
            "entry_points": dict(sorted(_ENTRY.items())),
            "faults": dict(sorted(_FAULTS.items())), "faults_total": sum(_FAULTS.values()),
            "exitstatus": int(exitstatus)}
    # one file per marker selection: the default run (`not slow`), `-m slow`, or everything (`-m ''`)
    marks = re.sub(r"\W+", "_", session.config.option.markexpr or "all").strip("_") or "all"
    data["selection"] = session.config.option.markexpr or "all"
    out = Path(session.config.rootpath) / ".pytest_cache" / f"hostile-counts-{marks}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")


def pytest_terminal_summary(terminalreporter) -> None:
    if _INPUTS or _FAULTS:
        terminalreporter.write_line(f"hostile suite: {sum(_INPUTS.values())} hostile inputs over "
                                    f"{len(_ENTRY)} entry points, {sum(_FAULTS.values())} faults injected "
                                    "(.pytest_cache/hostile-counts-*.json)")
