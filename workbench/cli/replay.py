"""`workbench replay`: run rules over a time range of a source's history on Dask and report what would
have fired — per rule matches, alerts after dedup/threshold, errors — as a table or JSON.

Progress (objects, bytes, events/s, ETA) goes to stderr; the summary to stdout. Ctrl+C stops the replay
cleanly: what finished is kept in the results file and printed, and `--resume` continues from there.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

from workbench.cli.common import add_source_args, source_from_args, warn_config
from workbench.safetext import one_line
from workbench.source.window import parse_time
from workbench.wording import plural

MiB = 1024 * 1024


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "replay",
        help="run rules over weeks of bucket history (Dask: local cluster or --scheduler)",
        description="Replay detection rules over a time range of a source's history: objects are listed by date "
                    "partition, cut into tasks and run on Dask workers (a LocalCluster with one worker per core, "
                    "or an existing cluster with --scheduler). Finished objects are recorded in a results file; "
                    "--resume continues an interrupted replay.",
    )
    add_source_args(p)
    g = p.add_argument_group("replay")
    g.add_argument("--since", required=True, metavar="T", help="start of the range: 30d, 36h, 2024-05-01, …")
    g.add_argument("--until", metavar="T", help="end of the range (default: now)")
    g.add_argument("--rules", metavar="DIR", help="rules directory (default: `rules:` in the config)")
    g.add_argument("--rule-id", dest="rule_ids", metavar="ID", nargs="+", action="extend", default=[],
                   help="replay only these rules (repeatable)")
    g.add_argument("--scheduler", metavar="ADDR", help="an existing Dask scheduler, tcp://HOST:PORT "
                   "(default: start a LocalCluster)")
    g.add_argument("--workers", type=int, metavar="N", help="LocalCluster workers (default: one per core)")
    g.add_argument("--resume", action="store_true", help="continue the replay recorded in the results file")
    g.add_argument("--results", metavar="FILE", help="results file (default: .workbench/replay-<source>.jsonl "
                   "beside the config)")
    g.add_argument("--task-mb", type=float, metavar="MB", help="bytes of objects per task (default: from the total)")
    g.add_argument("--json", action="store_true", help="print the result as JSON")
    g.add_argument("--strict", action="store_true", help="exit 1 also when an object was not read whole (incomplete, "
                   "empty, binary, unreadable, repaired)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench.errors import WorkbenchError
    from workbench.replay import ReplayOptions, options_from_config, run_replay

    config, source = source_from_args(args)
    warn_config(config, source, "replay")
    since = parse_time(args.since)
    until = parse_time(args.until)
    if since is not None and until is not None and since >= until:
        raise WorkbenchError("--since must be before --until.")
    if args.workers is not None and args.workers < 1:
        raise WorkbenchError("--workers must be at least 1.")
    if args.workers is not None and args.scheduler:
        raise WorkbenchError("--workers sizes a local cluster; with --scheduler the cluster's own workers run the "
                             "replay (start more with `dask worker ADDR`).")
    opts = options_from_config(config)
    for name, value in (("scheduler", args.scheduler), ("workers", args.workers),
                        ("results_path", Path(args.results).resolve() if args.results else None),
                        ("task_bytes", int(args.task_mb * MiB) if args.task_mb else None),
                        ("rules_dir", Path(args.rules).resolve() if args.rules else None)):
        if value is not None:
            opts[name] = value
    options = ReplayOptions(since=since, until=until, rule_ids=tuple(args.rule_ids), resume=args.resume, **opts)

    cancel = threading.Event()
    bar = _Bar(sys.stderr)
    previous = _on_sigint(cancel, bar)
    try:
        result = run_replay(config, source, options, on_progress=bar.update, cancel=cancel)
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    else:
        _print_summary(result, sys.stdout)
    if result.cancelled:
        print(f"Stopped early; continue with --resume (results in {result.results_path}).", file=sys.stderr)
        return 130
    # exit codes as README "Exit codes": a failed task or a rule error fails the replay; partial input with --strict
    problems = result.totals.decode.problem_count()
    rule_errors = sum(c.errors for c in result.totals.grouper.counts.values())
    return 1 if result.failed_tasks or rule_errors or (args.strict and (problems or result.totals.errors)) else 0


def _on_sigint(cancel: threading.Event, bar: _Bar):
    """First Ctrl+C stops the replay cleanly (partial results printed); a second one aborts at once."""

    def handler(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        bar.note("stopping: cancelling tasks (Ctrl+C again to abort) …")

    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (e.g. called from a test harness): no handler
        return signal.getsignal(signal.SIGINT)


class _Bar:
    """The progress line: redrawn in place on a terminal, one line every few seconds otherwise."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.interval = 0.2 if self.tty else 5.0
        self.last = 0.0
        self.line = ""

    def update(self, p) -> None:
        now = time.monotonic()
        if p.phase == "running" and now - self.last < self.interval and p.objects_done < p.objects_total:
            return
        self.last = now
        if p.phase in ("listing", "starting"):
            self._show(f"replay: {p.message}")
            return
        width = 24
        filled = int(width * p.objects_done / p.objects_total) if p.objects_total else width
        eta = f"ETA {_duration(p.eta_s)}" if p.eta_s is not None else ""
        self._show(f"replay [{'#' * filled}{'-' * (width - filled)}] {p.objects_done}/{p.objects_total} objects  "
                   f"{p.bytes_done / MiB:.1f}/{p.bytes_total / MiB:.1f} MiB  {p.events:,} events  "
                   f"{p.totals.matches if p.totals else 0:,} matches  {p.events_per_s:,.0f} events/s  {eta}".rstrip())

    def note(self, text: str) -> None:
        self._show(f"replay: {text}", force_newline=True)

    def _show(self, line: str, force_newline: bool = False) -> None:
        if line == self.line and not force_newline:
            return  # e.g. the final snapshot repeating the last one
        self.line = line
        if self.tty:
            self.stream.write("\r\x1b[2K" + line + ("\n" if force_newline else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.line:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def _print_summary(result, out) -> None:
    d = result.to_json()
    window = f"{d['since'] or 'the beginning'} → {d['until'] or 'now'}"
    rate = f" ({d['events_per_s']:,.0f} events/s)" if d["events_per_s"] else ""
    out.write(f"Replay of {one_line(d['source'])} (s3://{one_line(d['bucket'])}), {window}\n")
    out.write(f"{d['objects']}/{d['objects_total']} objects, {d['bytes'] / MiB:.1f} MiB, {d['events']:,} events "
              f"in {d['run_s']:.1f} s{rate} on {plural(d['workers'], 'worker')}"
              + (f"; {d['resumed_objects']} objects from the results file" if d["resumed_objects"] else "") + "\n")
    if not d["objects_total"]:
        out.write("No objects in this range: check --since/--until and the source's prefixes.\n")
    out.write(f"parse errors: {d['parse_errors']:,}   object errors: {d['errors']:,}"
              + (f"   failed tasks: {d['failed_tasks']}" if d["failed_tasks"] else "")
              + (f"   events outside the window (not run): {d['events_outside_window']:,}"
                 if d.get("events_outside_window") else "") + "\n")
    objects = result.totals.decode
    if objects.summary():
        out.write(f"objects: {objects.summary()}\n")
        for line in objects.details():
            out.write(f"  {one_line(line, 500)}\n")
    out.write("\n")
    rules = d["rules"]
    width = max([len("RULE"), *(len(one_line(r, 60)) for r in rules)])
    out.write(f"{'RULE':<{width}}  {'MATCHES':>8}  {'ALERTS':>7}  {'GROUPS':>7}  {'ERRORS':>7}\n")
    for rid, r in sorted(rules.items(), key=lambda kv: (-kv[1]["matches"], kv[0])):
        out.write(f"{one_line(rid, 60):<{width}}  {r['matches']:>8,}  {r['alerts']:>7,}  {r['dedup_groups']:>7,}  "
                  f"{r['errors']:>7,}\n")
    for e in d["error_sample"]:
        out.write(f"error: {one_line(e['key'], 200)}: {one_line(e['message'], 300)}\n")
    if d["results_file"]:
        out.write(f"\nresults file: {d['results_file']} (alert samples: --json)\n")
