"""`workbench rules test` (unit tests, like Panther's CLI) and `workbench rules run` (rules over events).

    workbench rules test [--path DIR | --config C] [--filter KEY=VALUE…] [--rule-id ID…] [--json]
    workbench rules run --path DIR (--events FILE.ndjson | --config C --source S [--prefix P] [--since 7d])

Exit codes: 0 all good; 1 a failed test or invalid spec (test), or a rule error (run); 2 usage problems;
130 a run cancelled with Ctrl+C (the results so far are printed, marked partial).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.cli.common import add_source_args, source_from_args
from workbench.errors import WorkbenchError
from workbench.safetext import one_line
from workbench.source.window import parse_time


def register(subparsers) -> None:
    p = subparsers.add_parser("rules", help="test detection rules and run them over events",
                              description="Panther detection rules (panther-analysis layout): run their unit tests "
                                          "or run them over parsed events.")
    sub = p.add_subparsers(dest="rules_command", metavar="ACTION")
    sub.required = True

    t = sub.add_parser("test", help="run the rules' unit tests (Panther CLI semantics)",
                       description="Run the unit tests embedded in rule YAML, with the same verdicts as "
                                   "panther_analysis_tool. Run it from a content repo's root.")
    t.add_argument("--path", help="content directory (default: `rules:` in --config / $WORKBENCH_CONFIG, "
                                  "else ./rules, else the current directory)")
    t.add_argument("--config", metavar="FILE", help="workbench.yaml whose `rules:` directory is tested "
                                                    "(default: $WORKBENCH_CONFIG)")
    t.add_argument("--filter", dest="filters", metavar="KEY=VALUE", nargs="+", action="extend", default=[],
                   help="only specs whose YAML KEY equals VALUE (e.g. Severity=High, LogTypes=AWS.CloudTrail)")
    t.add_argument("--rule-id", dest="rule_ids", metavar="ID", nargs="+", action="extend", default=[],
                   help="only these rules")
    t.add_argument("--skip-disabled-tests", action="store_true", help="do not test rules with Enabled: false")
    t.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    _engine_args(t)
    t.set_defaults(func=cmd_test)

    r = sub.add_parser("run", help="run rules over events from a file or a source",
                       description="Run every enabled rule whose LogTypes match each event's p_log_type. Events "
                                   "come from an NDJSON file of parsed events, or are read and parsed from a "
                                   "configured source.")
    r.add_argument("--path", help="content directory (default: `rules:` in the config, else the current directory)")
    r.add_argument("--events", metavar="FILE", help="NDJSON file of parsed events ('-' for stdin)")
    add_source_args(r)
    r.add_argument("--prefix", help="only objects under this key prefix")
    r.add_argument("--since", metavar="T", help="only objects from this age or time on: 7d, 12h, 2024-05-01")
    r.add_argument("--until", metavar="T", help="only objects before this time")
    r.add_argument("--limit", type=int, metavar="N", help="at most N objects")
    r.add_argument("--rule-id", dest="rule_ids", metavar="ID", nargs="+", action="extend", default=[],
                   help="report only these rules")
    r.add_argument("--strict", action="store_true",
                   help="exit 1 also when the input was partial: unreadable lines, or objects not read whole")
    out = r.add_mutually_exclusive_group()
    out.add_argument("--ndjson", action="store_true", help="print one JSON line per match or error (alerts)")
    out.add_argument("--json", action="store_true", help="print one JSON summary object")
    _engine_args(r)
    r.set_defaults(func=cmd_run)


def _engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=float, default=1.0, metavar="S", help="per-call timeout in seconds (default 1)")
    p.add_argument("--python", metavar="PATH", help="run rule code under this interpreter (e.g. the content "
                                                    "repo's venv), so its imports resolve there")
    p.add_argument("--max-strikes", type=int, default=3, metavar="N",
                   help="calls of one rule that may time out or kill the rule worker before the rule is "
                        "suspended for the rest of the run (default 3)")


def _engine(path: Path, args: argparse.Namespace, *, for_tests: bool = False):
    if not path.exists():
        raise WorkbenchError(f"Rules path {path} does not exist; pass --path DIR (a panther-analysis style folder).")
    if args.timeout <= 0:
        raise WorkbenchError("--timeout must be a positive number of seconds.")
    if args.python and not Path(args.python).exists():
        raise WorkbenchError(f"--python {args.python} does not exist; pass the path of a Python interpreter.")
    # Start the rule worker before importing the engine and reading the YAML: its own start-up (for tests,
    # importing unittest.mock) then runs alongside ours instead of after it. process.py imports little.
    from workbench.detections.process import WorkerProcess

    preload = ("unittest.mock",) if for_tests else ()
    worker = WorkerProcess(python=args.python, timeout=args.timeout, preload=preload)
    worker.start()
    # a big repository's unit tests run on two workers at once where there are two cores: the second one
    # starts now too, so its start-up is over before its shard is sent (the engine stops it if unused)
    two = for_tests and (os.cpu_count() or 1) >= 2
    # (without unittest.mock: the rules with mocked cases go to the first worker, see shards.split)
    spares = [WorkerProcess(python=args.python, timeout=args.timeout) for _ in range(two and _many_specs(path))]
    try:
        for spare in spares:
            spare.start()
        from workbench.detections import RuleEngine

        return RuleEngine(path, timeout=args.timeout, auto_reload=False, worker=worker,
                          max_strikes=args.max_strikes, test_workers=2 if two else 1, spare_workers=spares)
    except BaseException:
        for w in (worker, *spares):
            w.stop()
        raise


def _many_specs(path: Path, enough: int = 60) -> bool:
    """Whether `path` holds at least `enough` YAML files (stops counting there): a cheap guess, before the
    YAML is read, that the unit tests will be sharded (shards.MIN_CASES), so the second worker is worth
    starting early. Where it guesses wrong the engine starts one when it needs it."""
    seen = 0
    for _dir, _subdirs, files in os.walk(path):
        seen += sum(1 for f in files if f.endswith((".yml", ".yaml")))
        if seen >= enough:
            return True
    return False


def _filters(items: list[str]) -> dict[str, list[str]]:
    """KEY=VALUE[,VALUE…] (any of the values) or KEY!=VALUE[,…] (none of them), as Panther's CLI takes them."""
    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.rstrip("!").strip():
            raise WorkbenchError(f"--filter {item!r}: use KEY=VALUE, e.g. --filter Severity=High,Critical.")
        out.setdefault(key.strip(), []).extend(v.strip() for v in value.split(",") if v.strip())
    return out


# --- rules test ------------------------------------------------------------------------------------------------

def _test_path(args: argparse.Namespace) -> Path:
    """--path, else the config's rules directory (--config or $WORKBENCH_CONFIG), else ./rules, else `.`."""
    import os

    if args.path:
        return Path(args.path)
    if args.config or os.environ.get("WORKBENCH_CONFIG"):
        from workbench.cli.common import config_from_args

        rules_dir = config_from_args(args).rules_dir
        if rules_dir is None:
            raise WorkbenchError("The config names no rules directory (`rules:`); add one or pass --path DIR.")
        return Path(rules_dir)
    # a checkout or content repo keeps its rules in rules/ (helpers and data models next to it are still
    # found); elsewhere the current directory, as Panther's CLI does
    return Path("rules") if Path("rules").is_dir() else Path(".")


def cmd_test(args: argparse.Namespace) -> int:
    import gc

    # one run over a bounded content, with next to no reference cycles: the collector would only walk the
    # specs and results again and again (~25 ms of a 900-rule run). The rule workers turn it back on.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _test(args)
    finally:
        if was_enabled:
            gc.enable()


def _test(args: argparse.Namespace) -> int:
    filters = _filters(args.filters)
    args.path = str(_test_path(args))
    with _engine(Path(args.path), args, for_tests=True) as engine:
        report = engine.run_tests(rule_ids=args.rule_ids or None, filters=filters or None,
                                  skip_disabled=args.skip_disabled_tests)
        engine.retire()  # the workers exit while the report is written (the engine's close reaps them)
        return _report(args, report)


def _report(args: argparse.Namespace, report: Any) -> int:
    if args.rule_ids:
        known = {r.rule_id for r in report.rules} | {i.rule_id for i in report.invalid}
        missing = [r for r in args.rule_ids if r not in known]
        if missing:
            print(f"warning: no rule with id {', '.join(missing)} under {args.path}", file=sys.stderr)
    if not report.rules and not report.invalid and not report.skipped:
        # most likely the wrong directory or a filter that matches nothing: not a pass
        print(f"error: no rules to test under {args.path}"
              + (" with these filters" if args.filters or args.rule_ids else "")
              + " (a panther-analysis style folder has *.yml specs with AnalysisType: rule).", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.to_json(), default=str))
    else:
        from workbench.detections.report import test_report_lines

        # one write, not one print per line (12,000 lines on a big repository: ~10 ms)
        sys.stdout.write("".join(f"{line}\n" for line in test_report_lines(report)))
    return 0 if report.ok else 1


# --- rules run -------------------------------------------------------------------------------------------------

def _ndjson_events(path: str, bad: list[str]) -> Iterator[dict]:
    import orjson

    try:
        f = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        raise WorkbenchError(f"Cannot read events file {path}: {e.strerror or e}.") from None
    try:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                event = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                bad.append(f"{path}:{n}: not JSON ({e})")
                continue
            if not isinstance(event, dict):
                bad.append(f"{path}:{n}: not a JSON object")
                continue
            yield event
    finally:
        if f is not sys.stdin.buffer:
            f.close()


def _warn(line: str) -> None:
    print(f"rules run: warning: config: {line}", file=sys.stderr)


def _source_objects(args: argparse.Namespace, config: Any, source: Any, bad: list[str], counts: dict,
                    outcomes: Any, read_types: set) -> Iterator[list]:
    """One list of Records per readable object under `--config/--source` (unreadable ones go to `bad`);
    `outcomes` records how each object decoded, `read_types` the log types mapped to objects with records."""
    from workbench.events.pipeline import iter_object_batches

    for ref, got in iter_object_batches(config, source, prefix=args.prefix, since=parse_time(args.since),
                                        until=parse_time(args.until), limit=args.limit, counts=counts,
                                        outcomes=outcomes, warn=_warn):
        if isinstance(got, list):
            if got:
                read_types.add(source.log_types_for(ref.key))
            yield got
        else:
            bad.append(f"{ref.key}: {got.message}")


def _source_events(args: argparse.Namespace, bad: list[str], counts: dict, outcomes: Any) -> Iterator[dict]:
    """Events parsed in this process (for a worker under `--python`, which may not have our parsers)."""
    from workbench.events.pipeline import iter_events

    config, source = source_from_args(args)
    for item in iter_events(config, source, prefix=args.prefix, since=parse_time(args.since),
                            until=parse_time(args.until), limit=args.limit, counts=counts, outcomes=outcomes,
                            warn=_warn):
        if isinstance(item, dict):
            yield item
        else:
            bad.append(str(item))


class _Interrupt:
    """Ctrl+C (SIGINT) asks the run to stop: it ends within a second with the results so far, marked
    partial. A second Ctrl+C interrupts at once, as usual."""

    def __init__(self) -> None:
        self.requested = False
        self._old: Any = None

    def __call__(self) -> bool:
        return self.requested

    def __enter__(self) -> _Interrupt:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, _signum: int, _frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def cmd_run(args: argparse.Namespace) -> int:
    import os

    from workbench.cli.progress import Progress
    from workbench.detections import AlertGrouper

    if args.events and (args.config or args.source):
        raise WorkbenchError("Use either --events or --config/--source, not both.")
    if not args.events and not (args.config or os.environ.get("WORKBENCH_CONFIG")):
        raise WorkbenchError("Give events to run on: --events FILE.ndjson, or --config FILE --source NAME.")
    if args.max_strikes < 1:
        raise WorkbenchError("--max-strikes must be at least 1.")
    from workbench.cli.common import print_outcome_details, warn_config
    from workbench.events.outcomes import ObjectOutcomes

    bad: list[str] = []
    counts: dict = {}
    objects = None
    outcomes = ObjectOutcomes() if not args.events else None
    read_types: set[tuple[str, ...]] = set()  # log types (by prefix) of objects that held records
    if args.events:
        events, rules_dir = _ndjson_events(args.events, bad), None
    else:
        config, source = source_from_args(args)
        warn_config(config, source, "rules run")
        rules_dir = config.rules_dir
        if args.python:
            events = _source_events(args, bad, counts, outcomes)
        else:
            objects = _source_objects(args, config, source, bad, counts, outcomes, read_types)
    path = Path(args.path) if args.path else (rules_dir or Path("."))
    wanted = set(args.rule_ids)
    n_read = 0

    def counted(it: Iterator[dict]) -> Iterator[dict]:
        nonlocal n_read
        for e in it:
            n_read += 1
            lt = e.get("p_log_type")
            if isinstance(lt, str) and lt:  # an event without one would give the note "no rule targets :"
                read_types.add((lt,))
            yield e

    progress = Progress("rules")

    def show(stats) -> None:
        extra = {"objects": counts["objects"]} if counts.get("objects") else {}
        if stats.suspended:
            extra["suspended"] = len(stats.suspended)
        progress.update(max(stats.events, stats.evaluated), **extra)

    with _engine(path, args) as engine, _Interrupt() as interrupted:
        for inv in engine.invalid:
            print(f"invalid: {one_line(inv.message, 1000)}", file=sys.stderr)
        grouper = AlertGrouper.for_rules(engine.rules)
        if objects is not None:
            from workbench.events.pipeline import worker_parser

            results = engine.run_objects(objects, worker_parser(config, source), cancelled=interrupted,
                                         progress=show)
        else:
            results = engine.run_events(counted(events), cancelled=interrupted, progress=show)
        try:
            for res in results:
                if wanted and res.rule_id not in wanted:
                    continue
                grouper.add(res, count_event=objects is None)
                if args.ndjson and (res.matched or res.error):
                    out = res.to_json()
                    out["p_row_id"] = res.event.get("p_row_id") if isinstance(res.event, dict) else None
                    out["p_event_time"] = res.event.get("p_event_time") if isinstance(res.event, dict) else None
                    if res.error:
                        out["traceback"] = res.traceback
                    print(json.dumps(out, default=str))
        finally:
            results.close()
        stats = engine.last_run
        if objects is not None:
            for rid, n in stats.applied.items():
                if not wanted or rid in wanted:
                    not_run = stats.suspended[rid].not_run if rid in stats.suspended else 0
                    grouper.add_counts(rid, n, not_run)
        rule_ids = [r.rule_id for r in engine.rules if not wanted or r.rule_id in wanted]
        invalid = engine.invalid
        targeted = {t for r in engine.rules if r.enabled and (not wanted or r.rule_id in wanted) for t in r.log_types}
    for types in sorted(read_types, key=str):
        if types and not any(t in targeted for t in types):
            print(f"rules run: note: no rule targets {', '.join(map(str, types))}: its events were read but no "
                  "rule checked them", file=sys.stderr)
    if outcomes is not None:
        print_outcome_details(outcomes)
    partial = stats.partial or interrupted.requested
    # a partial run counts the events whose results are all in, not those read ahead of them
    n_events = stats.events if objects is not None or partial else n_read
    progress.close(f"rules: {n_events:,} events" + (f", {len(stats.suspended)} rules suspended" if stats.suspended else "")
                   + (" (cancelled: partial results)" if partial else ""))
    bad += [f"unparsed: {e}" for e in stats.parse_error_sample]
    n_bad = len(bad) + max(0, stats.parse_errors - len(stats.parse_error_sample))
    for line in bad[:20]:
        print(f"skipped: {one_line(line, 500)}", file=sys.stderr)
    if len(bad) > 20:
        print(f"skipped: … and {len(bad) - 20} more unreadable lines", file=sys.stderr)
    for rid, sus in sorted(stats.suspended.items()):
        print(f"suspended: {rid} after {sus.strikes} strikes ({one_line(sus.reason, 300)}); "
              f"not run on {sus.not_run:,} events", file=sys.stderr)
    for line in stats.errors:
        print(f"error: {one_line(line, 500)}", file=sys.stderr)
    summary = grouper.summary()
    per_rule = {rid: summary.get(rid, {"events": 0, "matches": 0, "errors": 0, "dedup_groups": 0, "alerts": 0})
                for rid in rule_ids}
    errors = sum(v["errors"] for v in per_rule.values()) + len(stats.errors)
    if args.json:
        print(json.dumps({
            "events": n_events, "unreadable": n_bad, "rules": per_rule,
            "matches": sum(v["matches"] for v in per_rule.values()), "errors": errors,
            "alerts": [a.to_json() for a in grouper.alerts() if a.alert and a.rule_id in per_rule],
            "invalid": [i.message for i in invalid],
            "partial": partial,
            "suspended": {rid: s for rid, s in stats.suspended_json().items() if rid in per_rule},
            "objects": outcomes.to_json() if outcomes is not None else None,
        }, default=str))
    elif not args.ndjson:
        _print_table(per_rule, grouper, n_events, n_bad, partial)
    if outcomes is not None and outcomes.summary():
        print(f"objects: {counts.get('objects', 0)} read; {outcomes.summary()}", file=sys.stderr)
    if partial:
        return 130
    # exit codes as README "Exit codes": a rule error or an invalid spec fails the run; partial input with --strict
    incomplete = bool(n_bad) or bool(outcomes is not None and outcomes.problem_count())
    return 1 if errors or invalid or (args.strict and incomplete) else 0


def _print_table(per_rule: dict, grouper, n_events: int, n_bad: int, partial: bool = False) -> None:
    from workbench.detections.report import table

    rows = [[rid, str(v["events"]), str(v["matches"]), str(v["errors"]), str(v["dedup_groups"]), str(v["alerts"])]
            + ([f"{v['not_run']:,}"] if any(x.get("not_run") for x in per_rule.values()) else [])
            for rid, v in sorted(per_rule.items())]
    header = ["RULE", "EVENTS", "MATCHES", "ERRORS", "DEDUP GROUPS", "ALERTS"]
    if any(v.get("not_run") for v in per_rule.values()):
        header.append("NOT RUN (SUSPENDED)")
        for row, (_rid, v) in zip(rows, sorted(per_rule.items()), strict=True):
            row[-1] = f"{v.get('not_run', 0):,}"
    for line in table(rows, header):
        print(line)
    alerts = [a for a in grouper.alerts() if a.alert and a.rule_id in per_rule]
    if alerts:
        print()
        shown = alerts[-50:]
        rows = [[a.to_json()["first_seen"], a.severity or "", a.rule_id, str(a.count), a.title or a.dedup]
                for a in shown]
        for line in table(rows, ["FIRST SEEN", "SEVERITY", "RULE", "COUNT", "TITLE"]):
            print(line)
        if len(alerts) > len(shown):
            print(f"(latest {len(shown)} of {len(alerts)} alerts; --json or --ndjson for all)")
    print(f"\n{n_events} events, {sum(v['matches'] for v in per_rule.values())} matches, "
          f"{len(alerts)} alerts" + (f", {n_bad} unreadable lines skipped" if n_bad else "")
          + (" (cancelled: partial results)" if partial else ""))
