"""`workbench tui`: open the terminal workbench on a config. `launch()` is also what `workbench demo` calls.

Textual and the screens are imported inside `launch`, so the rest of the CLI never pays for them (and the
core stays free of textual: `workbench.cli.tui -> screens.app` is the one allowed edge).
"""

from __future__ import annotations

import argparse
import os

from workbench.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tui", help="open the terminal workbench", description=__doc__.splitlines()[0])
    p.add_argument("--config", metavar="FILE", help="workbench.yaml (default: $WORKBENCH_CONFIG)")
    p.add_argument("--source", metavar="NAME", help="source to open (default: the first in the config)")
    p.add_argument("--screen", default="sources", help="screen to open first (sources, browse, events, ...)")
    p.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal (native text selection)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    path = args.config or os.environ.get("WORKBENCH_CONFIG")
    return launch(path, args.source, screen=args.screen, mouse=not args.no_mouse)


def launch(config_path: str | os.PathLike | None, source_name: str | None = None, *, screen: str = "sources",
           mouse: bool = True) -> int:
    """Run the TUI until the user quits; returns the exit code (0 on a normal quit)."""
    config = load_config(config_path)
    from screens.app import WorkbenchApp

    app = WorkbenchApp(config, source_name, start=screen)
    app.watchdog_on_signal = True  # SIGHUP/SIGTERM: quit like `q`, and exit anyway if a cleanup hangs
    _watch_for_hangup()
    try:
        app.run(mouse=mouse)
    finally:
        if app.watchdog is not None:
            app.watchdog.cancel()  # the app is down; what follows (the demo's own stop) has its own timeouts
    return int(app.return_code or 0)


def _watch_for_hangup() -> None:
    """Raise SIGHUP ourselves when the terminal goes away.

    The kernel sends SIGHUP only to the terminal's controlling process and its foreground group; run under
    `make demo`, make takes the signal and dies, and the app, left reading a dead terminal, would spin on
    it for hours. A terminal that hung up reports POLLHUP on its descriptor whoever holds it, so a daemon
    thread waits for that and turns it into the SIGHUP the app already handles (quit like `q`).
    """
    import select
    import signal
    import sys
    import threading

    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return
    if not os.isatty(fd):
        return
    poller = select.poll()
    poller.register(fd, 0)  # no events asked for: POLLHUP / POLLERR / POLLNVAL are always reported

    def watch() -> None:
        while True:
            if any(ev & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, ev in poller.poll(1000)):
                os.kill(os.getpid(), signal.SIGHUP)
                return

    threading.Thread(target=watch, name="wb-hangup-watch", daemon=True).start()
