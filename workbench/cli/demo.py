"""`workbench demo`: the embedded AWS with realistic history and a live generator, then the TUI on it."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="start the embedded AWS demo (moto) and open the TUI on it",
        description="Start moto's server on a loopback port, seed a bucket with realistic security-log history "
        "(S3 → SNS → SQS notifications, SSE-KMS, an assumable role), run a live generator, and open the TUI.",
    )
    p.add_argument("--headless", action="store_true",
                   help="no UI: print `endpoint:` and `config:` lines, run until SIGINT/SIGTERM")
    p.add_argument("--days", type=int, default=14, help="days of history (default 14)")
    p.add_argument("--objects-per-day", type=int, default=40, help="objects written per day of history (default 40)")
    p.add_argument("--seed", type=int, default=7, help="random seed: same seed and day → same bucket (default 7)")
    p.add_argument("--rate", type=float, default=2.0, help="seconds between live objects; 0 disables the generator (default 2)")
    p.add_argument("--port", type=int, help="loopback port for the server (default: a free one)")
    p.add_argument("--dir", type=Path, default=Path(".workbench/demo"),
                   help="where to write workbench.yaml (default .workbench/demo)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench.demo.runtime import start_demo
    from workbench.demo.seed import DemoSpec
    from workbench.errors import WorkbenchError

    if args.days < 1 or args.objects_per_day < 1:
        raise WorkbenchError("--days and --objects-per-day must be at least 1.")
    stop = threading.Event()
    waiting = False  # True once the headless loop watches `stop`; before that a signal unwinds at once

    def on_signal(signum, frame):
        stop.set()
        if not waiting:
            raise _Ended(signum)

    # the TUI installs its own handlers while it runs (it quits like `q`); these cover start-up and headless
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    if not args.headless:
        print("Starting the embedded AWS demo (moto) and seeding history…", file=sys.stderr, flush=True)
    try:
        demo = start_demo(args.dir.resolve(), DemoSpec(days=args.days, objects_per_day=args.objects_per_day,
                                                       seed=args.seed), rate=args.rate or None, port=args.port)
    except _Ended as e:  # start_demo stops what it started before re-raising
        for s, h in previous.items():
            signal.signal(s, h)
        return 128 + e.signum
    try:
        if args.headless:
            info = demo.info
            print(f"endpoint: {demo.endpoint}", flush=True)
            print(f"config: {info.config_path}", flush=True)
            print(f"bucket: {info.bucket} ({info.objects} objects: "
                  + ", ".join(f"{k}={v}" for k, v in sorted(info.keys_by_top.items())) + ")", flush=True)
            print(f"queue: {info.queue_url}", flush=True)
            print(f"ready in {demo.seconds_to_ready:.1f}s; live generator every {args.rate}s; Ctrl+C to stop", flush=True)
            waiting = True
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
            return 0
        from workbench.cli.tui import launch

        return launch(demo.config_path)
    except _Ended as e:
        return 128 + e.signum
    finally:
        demo.stop()
        for s, h in previous.items():
            signal.signal(s, h)


class _Ended(BaseException):
    """SIGTERM or SIGHUP before the TUI or the headless loop took over: unwind through the cleanup."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
