"""`workbench tail`: stream new objects' parsed events and rule alerts as they arrive.

    workbench tail --config C --source S [--mode own-queue|peek|poll] [--rules DIR] [--json]
                   [--max-events N] [--timeout SECONDS]

stdout gets the data — with ``--json`` one JSON object per line:

* ``{"kind": "event", "p_log_type": ..., "object": "s3://b/k", "rules": [...], "event": {...}}``
  (``rules`` lists the rules that matched, only when some did);
* ``{"kind": "alert", "rule_id", "title", "severity", "dedup", "alert_context", "p_log_type", "object", "event"}``;
* ``{"kind": "parse_error", "log_type", "object", "line", "reason", "text"}``;

without it, one readable line each. stderr gets status: the mode and why it was chosen, warnings, periodic
counters and a final summary. The command stops after ``--max-events`` events or ``--timeout`` seconds (exit
0), or on Ctrl+C (exit 130) / SIGTERM (exit 143), and always removes the temporary queue it created.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from workbench.cli.common import add_source_args, source_from_args, warn_config
from workbench.safetext import one_line

STATUS_EVERY = 5.0  # seconds between counter lines on stderr


class _Terminated(Exception):
    """SIGTERM arrived: unwind through the cleanup like Ctrl+C does."""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "tail", help="stream new objects' events and alerts as they arrive (live mode)",
        description="Watch new objects arrive through the S3 → SNS → SQS notifications (or by polling), parsed "
                    "with the source's schemas and run through the rules. Never consumes messages from a queue "
                    "it did not create.")
    add_source_args(p)
    p.add_argument("--mode", choices=("own-queue", "peek", "poll"),
                   help="own-queue (default with a topic): a temporary queue subscribed to the topic; "
                        "peek: look at the production queue without deleting (explicit only); "
                        "poll: list new keys in the bucket")
    p.add_argument("--rules", metavar="DIR", help="rules directory (default: `rules:` in the config)")
    p.add_argument("--no-rules", action="store_true", help="do not run rules")
    p.add_argument("--json", action="store_true", help="NDJSON on stdout")
    p.add_argument("--max-events", type=int, metavar="N", help="stop after N events")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="stop after this many seconds")
    p.add_argument("--strict", action="store_true", help="exit 1 when an object was not read whole (incomplete, "
                   "empty, binary, unreadable, repaired) or not parsed because of the source config")
    p.set_defaults(func=run)


def _dumps(obj: dict) -> str:
    import orjson

    return orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _line(item) -> str:
    """One readable line for a terminal; every untrusted part cleaned."""
    when = time.strftime("%H:%M:%S", time.localtime(item.arrived))
    if item.kind == "alert":
        return one_line(f"{when} ALERT {item.severity or '-'} {item.rule_id}: {item.title}  [{item.log_type} {item.uri}]", 2000)
    if item.kind == "parse_error":
        return one_line(f"{when} PARSE ERROR {item.uri}:{item.line}: {item.reason}", 2000)
    ev = item.event or {}
    shown = {k: v for k, v in ev.items() if not k.startswith("p_")}
    mark = f" !{','.join(item.rules)}" if item.rules else ""
    return one_line(f"{when} {item.log_type}{mark} {_dumps(shown)}", 2000)


def _summary(tail, started: float, printed: dict) -> str:
    """The final counts: what was printed (not what arrived meanwhile), then what was received beyond it."""
    s = tail.buffer.stats
    beyond = [f"{n:,} {what}" for n, what in ((s.events - printed["event"], "events"),
                                               (s.alerts - printed["alert"], "alerts"),
                                               (s.parse_errors - printed["parse_error"], "parse errors")) if n > 0]
    objects = tail.buffer.objects_summary()
    return (f"tail: {printed['event']} events, {printed['alert']} alerts, {printed['parse_error']} parse errors, "
            f"{s.objects} objects, {s.malformed} malformed and {s.ignored} ignored messages, {s.fetch_failures} "
            f"fetch failures in {time.monotonic() - started:.1f} s"
            + (f" ({', '.join(beyond)} received after the last one printed, not printed)" if beyond else "")
            + (f"; objects: {objects}" if objects else ""))


def run(args: argparse.Namespace) -> int:
    from workbench.live.tail import LiveTail

    cfg, source = source_from_args(args)
    if args.max_events is not None and args.max_events < 1:
        print("error: --max-events must be at least 1", file=sys.stderr)
        return 2
    warn_config(cfg, source, "tail")

    def status(level: str, line: str) -> None:
        prefix = "" if level == "info" else f"{level}: "
        print(f"tail: {prefix}{line}", file=sys.stderr, flush=True)

    def on_term(signum, frame):
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, on_term)
    out = sys.stdout
    started = time.monotonic()
    tail = LiveTail(cfg, source, mode=args.mode, rules_dir=args.rules, use_rules=not args.no_rules, on_status=status)
    code = 0
    opened = False
    printed = {"event": 0, "alert": 0, "parse_error": 0}
    try:
        tail.start()
        opened = True
        print(f"tail: {tail.rules_note}; waiting for new objects (Ctrl+C to stop)", file=sys.stderr, flush=True)
        cursor, events, next_status = 0, 0, started + STATUS_EVERY
        deadline = started + args.timeout if args.timeout else None
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                print(f"tail: --timeout {args.timeout:g} s reached", file=sys.stderr, flush=True)
                break
            wait = min(0.5, deadline - now) if deadline is not None else 0.5
            tail.buffer.wait(cursor, max(0.01, wait))
            items, cursor, dropped = tail.buffer.after(cursor)
            if dropped:
                print(f"tail: warning: {dropped} items fell off the buffer before they were printed", file=sys.stderr)
            done = False
            for item in items:
                out.write((_dumps(item.to_json()) if args.json else _line(item)) + "\n")
                printed[item.kind] = printed.get(item.kind, 0) + 1
                if item.kind == "event":
                    events += 1
                    if args.max_events is not None and events >= args.max_events:
                        done = True
                        break
            if items:
                out.flush()
            if done:
                print(f"tail: --max-events {args.max_events} reached", file=sys.stderr, flush=True)
                break
            if time.monotonic() >= next_status:
                next_status = time.monotonic() + STATUS_EVERY
                s = tail.buffer.stats
                print(f"tail: {s.events} events, {s.alerts} alerts, {s.parse_errors} parse errors, "
                      f"{s.malformed} malformed", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("tail: interrupted", file=sys.stderr)
        code = 130
    except _Terminated:
        print("tail: terminated", file=sys.stderr)
        code = 143
    finally:
        # cleanup must finish even if the user presses Ctrl+C again or TERM repeats: ignore both meanwhile
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            tail.stop()
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous)
        if opened:
            print(_summary(tail, started, printed), file=sys.stderr, flush=True)
            for line in tail.buffer.objects.details():
                print(f"tail: warning: {one_line(line, 1000)}", file=sys.stderr)
    if code == 0 and args.strict and tail.buffer.objects.problem_count():
        return 1
    return code
