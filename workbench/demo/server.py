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
import urllib.request
from pathlib import Path

from workbench.errors import WorkbenchError

READY_TIMEOUT = 30.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


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
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
            if not isinstance(log, int):
                log.close()
            if self._wait_ready():
                return self
            self.stop()
        raise WorkbenchError("The embedded AWS (moto server) did not start; see the demo log for why.")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
