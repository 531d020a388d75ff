"""TUI: "events ready → first paint" of 100k parsed events, and the process RSS, headless with App.run_test.

ours      the Events screen (line-API EventTable: renders only visible rows, cells cleaned when drawn)
baseline  Textual's built-in DataTable given the same rows as rich Text cells (the safe way to fill it)

Each side runs in its own subprocess so RSS figures do not mix. Prints one line per side and the ratio.
Usage: python benchmarks/bench_tui_events.py [--rows N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

SIZE = (160, 48)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_events(n: int) -> list[dict]:
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        t = (t0 + timedelta(seconds=7 * i)).strftime("%Y-%m-%d %H:%M:%S.000000000")
        out.append({"p_event_time": t, "p_log_type": "Custom.Panoptica.Auth", "ts": t, "event_type": "auth",
                    "event_id": f"{i:08x}-72e4-46d1-8141-7588403a08df", "outcome": "failure" if i % 9 == 0 else "success",
                    "actor": {"email": f"user{i % 50}@acme-corp.example", "roles": ["dev", "billing"], "mfa": i % 2 == 0},
                    "client": {"ip": f"198.51.{i % 256}.{i % 200}", "user_agent": "Mozilla/5.0 (Macintosh)"},
                    "p_any_ip_addresses": [f"198.51.{i % 256}.{i % 200}"],
                    "p_any_emails": [f"user{i % 50}@acme-corp.example"], "p_row_id": f"r{i:x}"})
    return out


async def run_ours(events: list[dict]) -> tuple[float, int]:
    from screens.app import WorkbenchApp
    from screens.widgets.event_table import EventTable
    from workbench.config import parse_config

    painted = []
    original = EventTable.render_line

    def spy(self, y):
        if y > 0 and self.rows and not painted:
            painted.append(time.perf_counter())
        return original(self, y)

    EventTable.render_line = spy
    app = WorkbenchApp(parse_config("sources: {}\n"), start="events")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        app.update_session(events=events)
        while not painted:
            await pilot.pause(0.001)
        return painted[0] - t0, len(app.screen.query_one(EventTable).rows)


async def run_datatable(events: list[dict]) -> tuple[float, int]:
    from textual.app import App
    from textual.widgets import DataTable

    from screens.flow.events import pick_columns
    from screens.shell import safe
    from screens.widgets.event_table import cell_text
    from workbench.events.filter import get_path

    painted = []

    class Table(DataTable):
        def render_line(self, y):
            if y > 1 and self.row_count and not painted:
                painted.append(time.perf_counter())
            return super().render_line(y)

    class Bench(App):
        def compose(self):
            yield Table()

    app = Bench()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(Table)
        columns = pick_columns(events)
        t0 = time.perf_counter()
        table.add_columns(*columns)
        table.add_rows([safe.cell(cell_text(get_path(e, c))) for c in columns] for e in events)
        while not painted:
            await pilot.pause(0.001)
        return painted[0] - t0, table.row_count


def child(side: str, rows: int) -> None:
    events = make_events(rows)
    before = rss_mb()
    seconds, shown = asyncio.run(run_ours(events) if side == "ours" else run_datatable(events))
    print(json.dumps({"side": side, "seconds": seconds, "rows": shown, "rss_mb": rss_mb(), "rss_delta_mb": rss_mb() - before}))


def filter_seconds(rows: int) -> float:
    from workbench.events.filter import compile_filter

    events = make_events(rows)
    keep = compile_filter("outcome = failure and p_any_ip_addresses = 198.51.7.7")
    t = time.perf_counter()
    [i for i, e in enumerate(events) if keep(e)]
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--side", choices=["ours", "datatable"])
    args = p.parse_args()
    if args.side:
        child(args.side, args.rows)
        return
    def once(side: str) -> dict:
        out = subprocess.run([sys.executable, __file__, "--side", side, "--rows", str(args.rows)],
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    runs = sorted((once("ours") for _ in range(3)), key=lambda r: r["seconds"])
    ours, base = runs[1], once("datatable")  # ours: median of 3 (cheap); the baseline once (minutes at 100k)
    print(f"rows={args.rows:,} terminal={SIZE[0]}x{SIZE[1]}")
    print(f"ours      events ready → first paint {ours['seconds']:.3f} s (median of 3; fastest {runs[0]['seconds']:.3f} s)   "
          f"RSS {ours['rss_mb']:.0f} MB (+{ours['rss_delta_mb']:.0f} MB)")
    print(f"baseline  built-in DataTable          {base['seconds']:.3f} s   RSS {base['rss_mb']:.0f} MB "
          f"(+{base['rss_delta_mb']:.0f} MB)")
    print(f"ratio     {base['seconds'] / max(ours['seconds'], 1e-9):.0f}x faster first paint")
    print(f"filter    2-condition filter over {args.rows:,} events: {filter_seconds(args.rows):.3f} s (in a worker)")


if __name__ == "__main__":
    main()
