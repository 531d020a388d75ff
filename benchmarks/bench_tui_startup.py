"""TUI start-up: time from process start to the first screen painted (headless), and which heavy libraries
were imported by then (boto3, moto, genson, dask, pyarrow should all be deferred until used).

ours      `WorkbenchApp` on a config with one source, Sources screen painted (AWS calls run in workers)
baseline  a bare Textual App with a Header, Footer and one Static, in the same kind of fresh process
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HEAVY = ("boto3", "botocore", "moto", "genson", "dask", "pyarrow", "textual_fastdatatable")

OURS = """
import time, sys, asyncio
t0 = time.perf_counter()
from screens.app import WorkbenchApp
from workbench.config import load_config
app = WorkbenchApp(load_config(sys.argv[1]))
async def main():
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        seen = [m for m in HEAVY if m in sys.modules]
        return time.perf_counter() - t0, seen
HEAVY = %r
t, seen = asyncio.run(main())
import json; print(json.dumps({"seconds": t, "heavy": seen}))
"""

BASE = """
import time, sys, asyncio
t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Footer, Header, Static
class Bare(App):
    def compose(self):
        yield Header(); yield Static("hello"); yield Footer()
app = Bare()
async def main():
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        return time.perf_counter() - t0
import json; print(json.dumps({"seconds": asyncio.run(main()), "heavy": []}))
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "wb.yaml"
        cfg.write_text(textwrap.dedent("""
            sources:
              demo:
                bucket: wb-demo-logs
                region: us-east-1
                endpoint: http://127.0.0.1:9
                prefixes: {Panoptica/: Custom.Panoptica}
        """))
        ours = sorted((run(OURS % (HEAVY,), str(cfg)) for _ in range(3)), key=lambda r: r["seconds"])[1]
    base = sorted((run(BASE) for _ in range(3)), key=lambda r: r["seconds"])[1]
    print(f"ours      workbench TUI first screen {ours['seconds']:.3f} s (median of 3); heavy modules imported by then: "
          f"{', '.join(ours['heavy']) or 'none'}")
    print(f"baseline  bare Textual app           {base['seconds']:.3f} s")
    print(f"ratio     {ours['seconds'] / base['seconds']:.2f}x the bare app")


if __name__ == "__main__":
    main()
