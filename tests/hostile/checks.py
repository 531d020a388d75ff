"""The guarantees, as assertions shared by every hostile test module."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .corpus import FORBIDDEN, TERMINAL_CONTROLS

REPO = Path(__file__).resolve().parents[2]

# A traceback or a Python repr of an exception leaking to the user instead of a sentence.
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s+File \"", re.M)


def assert_no_control(text: str, where: str = "output", *, forbidden: tuple[str, ...] = FORBIDDEN) -> None:
    """Nothing that could drive a terminal (ESC, C1, BEL, NUL) or reorder what is read (bidi) is in `text`."""
    for bad in forbidden:
        assert bad not in text, f"{bad!r} reached the {where}: {text[max(0, text.find(bad) - 60):text.find(bad) + 60]!r}"


def assert_plain_sentence(message: object, where: str = "message") -> None:
    """One plain line: no traceback, no newline, no control characters, not empty, not absurdly long."""
    text = str(message)
    assert text.strip(), f"empty {where}"
    assert "\n" not in text.strip(), f"{where} is several lines: {text[:300]!r}"
    assert not _TRACEBACK.search(text), f"{where} is a traceback: {text[:300]!r}"
    assert len(text) <= 2000, f"{where} is {len(text)} characters long"
    assert_no_control(text, where)


def assert_safe_output(text: str, where: str = "output", *, secrets: tuple[str, ...] = ()) -> None:
    """What a command printed for a human: no control sequences, no traceback, no secret."""
    assert_no_control(text, where)
    assert not _TRACEBACK.search(text), f"traceback in {where}: {text[:500]!r}"
    for s in secrets:
        if s:
            assert s not in text, f"a credential reached the {where}"


def run_cli(*args: str, stdin: str | bytes | None = None, env: dict | None = None, cwd=None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """`workbench ARGS…` in a real child process, as a user runs it (stdout/stderr as text, never a TTY)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", **(env or {})}
    data = stdin.encode() if isinstance(stdin, str) else stdin
    out = subprocess.run([sys.executable, "-m", "workbench.cli", *args], input=data, capture_output=True,
                         env=full_env, cwd=cwd or REPO, timeout=timeout)
    return subprocess.CompletedProcess(out.args, out.returncode, out.stdout.decode("utf-8", "replace"),
                                       out.stderr.decode("utf-8", "replace"))


def assert_cli_survived(proc: subprocess.CompletedProcess, *, codes=(0, 1, 2), secrets: tuple[str, ...] = (),
                        machine: bool = False) -> None:
    """The command ended on its own with a documented exit code; what it printed is safe; errors are one line each.

    `machine`: stdout is data for programs (JSON, schema YAML): it must hold keys and values exactly, so a bidi
    character in a log key may appear (it cannot change the terminal); terminal controls may not, and a rule's
    traceback may appear as an escaped JSON string, by design."""
    assert proc.returncode in codes, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert_safe_output(proc.stderr, "stderr", secrets=secrets)
    if machine:
        assert_no_control(proc.stdout, "stdout", forbidden=TERMINAL_CONTROLS)
        for s in secrets:
            assert not s or s not in proc.stdout, "a credential reached the stdout"
    else:
        assert_safe_output(proc.stdout, "stdout", secrets=secrets)
    for line in proc.stderr.splitlines():
        if line.startswith("error:"):
            assert_plain_sentence(line, "error line")
