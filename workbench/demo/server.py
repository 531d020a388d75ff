"""moto's real server in a child process on a free loopback port.

A separate process (not ThreadedMotoServer) keeps the server off the TUI's GIL and is faster on two cores.
The child is tied to us with PR_SET_PDEATHSIG, so it dies even if we are killed without cleanup.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from workbench.errors import WorkbenchError

READY_TIMEOUT = 30.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def wait_serving(proc: subprocess.Popen, url: str, *, any_status: bool = False,
                 timeout: float = READY_TIMEOUT) -> bool:
    """True once `url` answers while the child `proc` runs; False when it exits or `timeout` passes.
    With `any_status`, an HTTP error status counts as an answer (a server that wants signed requests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return True
        except urllib.error.HTTPError:
            if any_status:
                return True
            time.sleep(0.05)
        except OSError:
            time.sleep(0.05)
    return False


def stop_children(procs: Iterable[subprocess.Popen | None], timeout: float = 5.0) -> None:
    """End child processes: SIGTERM to every one still running (all at once, so they stop in parallel), then
    wait for each, and SIGKILL one that has not gone within `timeout`."""
    running = [p for p in procs if p is not None and p.poll() is None]
    for p in running:
        p.terminate()
    for p in running:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=timeout)


def stop_child(proc: subprocess.Popen | None, timeout: float = 5.0) -> None:
    """End one child process (terminate, wait, kill); nothing to do when it is None or has exited."""
    stop_children([proc], timeout)


class MotoServer:
    """Start with `start()` (or as a context manager); `endpoint` is its URL; `stop()` ends it."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, log_path: Path | None = None):
        self.host = host
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        for attempt in range(3):
            if self.port is None or attempt:
                self.port = free_port(self.host)
            log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
            env = {**os.environ, "MOTO_PORT": str(self.port)}
            env.pop("AWS_ENDPOINT_URL", None)
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from moto.server import main; main()", "-H", self.host, "-p", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
            )
            if not isinstance(log, int):
                log.close()
            if wait_serving(self.proc, f"{self.endpoint}/moto-api/data.json"):
                return self
            self.stop()
        raise WorkbenchError("The embedded AWS (moto server) did not start; see the demo log for why.")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        stop_child(proc)

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
