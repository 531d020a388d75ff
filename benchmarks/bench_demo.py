"""Foundation: how long the default demo takes to be ready, and `workbench --help` start-up.

Prints ours vs the budgets named in the foundation issue (demo build < 15 s; moto_server ready ≈ 0.5 s).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.demo.runtime import start_demo
from workbench.demo.seed import DemoSpec
from workbench.demo.server import MotoServer


def main() -> None:
    t = time.perf_counter()
    with MotoServer():
        server_ready = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        demo = start_demo(Path(d), DemoSpec(), rate=None)
        ready = demo.seconds_to_ready
        objects = demo.info.objects
        demo.stop()
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbench.cli", "--help"], capture_output=True, check=True)
        runs.append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - t
    print(f"moto_server ready: {server_ready:.2f}s")
    print(f"default demo ready (server + {objects} objects seeded + wiring): {ready:.1f}s (budget 15s)")
    print(f"workbench --help: {min(runs) * 1000:.0f} ms (bare python start {bare * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
