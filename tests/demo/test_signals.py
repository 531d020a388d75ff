"""The app ends when its terminal does (issue 20, item 8): SIGHUP and SIGTERM end the TUI, its live tail
(temporary queue removed), its rule worker and, for `workbench demo`, the embedded server and generator,
the way `q` does; unsaved edits are kept as recovery copies and reported at the next start.

Each run is a real `workbench` process on a pseudo-terminal, as a user's shell would start it.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
EXIT_WITHIN_S = 15  # the app's own watchdog ends it after 10 s whatever a cleanup does


def _on_pty(args: list[str], cwd: Path) -> tuple[subprocess.Popen, int]:
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("WORKBENCH_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", *args], cwd=cwd, stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    return proc, master


def _drain(master: int) -> bytes:
    out = b""
    while select.select([master], [], [], 0)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def _wait(cond, timeout: float, master: int | None = None) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if master is not None:
            _drain(master)  # a full pty buffer would block the app's writes
        if cond():
            return True
        time.sleep(0.3)
    return False


def _live_queues(sqs) -> list[str]:
    return [u for u in sqs.list_queues(QueueNamePrefix="workbench-live-").get("QueueUrls", [])]


@pytest.mark.demo
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_signal_ends_the_tui_its_queue_and_its_rule_worker(demo, tmp_path, signum):
    sqs = demo.clients()["sqs"]
    before = set(_live_queues(sqs))
    proc, master = _on_pty(["tui", "--config", str(demo.config_path), "--screen", "live"], REPO)
    try:
        app = psutil.Process(proc.pid)
        assert _wait(lambda: set(_live_queues(sqs)) - before, 90, master), "the live tail never made its queue"
        assert _wait(lambda: app.children(recursive=True), 30, master), "no rule worker started"
        children = app.children(recursive=True)
        started = time.monotonic()
        proc.send_signal(signum)
        assert _wait(lambda: proc.poll() is not None, EXIT_WITHIN_S, master), "the TUI ignored the signal"
        assert proc.returncode == 128 + signum
        assert time.monotonic() - started < EXIT_WITHIN_S
        assert set(_live_queues(sqs)) - before == set(), "the temporary queue was left behind"
        assert _wait(lambda: not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE], 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
def test_a_signal_ends_workbench_demo_and_its_server(tmp_path, signum):
    proc, master = _on_pty(["demo", "--days", "1", "--objects-per-day", "2", "--rate", "0.5",
                            "--dir", str(tmp_path / "demo")], tmp_path)
    try:
        app = psutil.Process(proc.pid)
        config = tmp_path / "demo" / "workbench.yaml"
        # the TUI is up once the config is written and the screen has drawn for a moment
        assert _wait(lambda: config.exists() and app.children(), 120, master)
        _wait(lambda: False, 4, master)
        children = app.children(recursive=True)
        assert children, "no embedded server"
        started = time.monotonic()
        proc.send_signal(signum)
        assert _wait(lambda: proc.poll() is not None, EXIT_WITHIN_S, master), "workbench demo ignored the signal"
        assert proc.returncode == 128 + signum
        assert time.monotonic() - started < EXIT_WITHIN_S
        assert _wait(lambda: not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE], 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


@pytest.mark.asyncio
async def test_unsaved_edits_become_recovery_copies_reported_at_the_next_start(tmp_path):
    from screens.app import WorkbenchApp
    from workbench.config import load_config

    cfg_path = tmp_path / "workbench.yaml"
    cfg_path.write_text("sources:\n  s:\n    bucket: never-listed\n    prefixes: {a/: Custom.A}\n")
    config = load_config(cfg_path)
    app = WorkbenchApp(config, start="none")
    async with app.run_test() as pilot:
        app.dirty.mark("schema", "schema Custom.A has unsaved edits", text=lambda: "schema: Custom.A\nfields: []\n")
        app.end_by_signal(signal.SIGTERM)
        await pilot.pause()
    assert app.return_code == 128 + signal.SIGTERM
    kept = list((tmp_path / ".workbench" / "recovery").glob("*.txt"))
    assert len(kept) == 1 and "schema: Custom.A" in kept[0].read_text()
    again = WorkbenchApp(config, start="none")
    async with again.run_test() as pilot:
        await pilot.pause()
        notes = [n.message for n in again._notifications]
    folder = tmp_path / ".workbench" / "recovery"
    assert any(f"1 unsaved edit from a session that was ended by a signal is kept in {folder} (delete it once restored)"
               in m for m in notes), notes


def test_a_closed_terminal_ends_the_tui_even_when_a_parent_takes_the_hangup(tmp_path):
    """Under `make demo` only make (the terminal's controlling process) is sent SIGHUP; the app must notice
    the terminal hung up by itself, not spin on a dead terminal."""
    cfg = tmp_path / "workbench.yaml"
    cfg.write_text("sources:\n  s:\n    bucket: never-listed\n    endpoint: http://127.0.0.1:9\n")
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    # the wrapper stays the session leader and ignores the hang-up, as make does while its recipe runs
    cmd = f'trap "" HUP; {sys.executable} -m workbench.cli tui --config {cfg} --screen none; sleep 30'
    shell = subprocess.Popen(["sh", "-c", cmd], cwd=tmp_path, stdin=slave, stdout=slave, stderr=slave, env=env,
                             start_new_session=True, close_fds=True)
    os.close(slave)
    try:
        wrapper = psutil.Process(shell.pid)
        assert _wait(lambda: wrapper.children(), 60, master), "the TUI never started"
        _wait(lambda: False, 5, master)  # let it draw
        app = wrapper.children()[0]
        os.close(master)  # the terminal window closes
        master = -1
        assert _wait(lambda: not app.is_running() or app.status() == psutil.STATUS_ZOMBIE, EXIT_WITHIN_S), \
            "the TUI kept running on a terminal that hung up"
    finally:
        for child in psutil.Process(shell.pid).children(recursive=True) if shell.poll() is None else ():
            child.kill()
        shell.kill()
        shell.wait()
        if master >= 0:
            os.close(master)
