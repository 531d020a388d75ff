"""`workbench parse`: records → the NDJSON events Panther would store (with p_ fields), bad lines to --errors.

Input is local files (INPUT…, '-' for stdin) or every object under a source prefix (--config/--source,
--prefix, --since/--until, --limit N objects). With --schema, those schemas are tried in order on every
line (the first that parses wins); without it, the source's prefix → log type mapping and the config's
schema directories decide. A summary and a progress bar go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli.common import add_source_args, print_outcome_details, source_from_args, warn_config
from workbench.errors import WorkbenchError
from workbench.source.window import parse_time
from workbench.wording import plural


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("parse", help="parse records into events with Panther's standard fields",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="local log files (any compression); '-' for stdin")
    p.add_argument("--schema", nargs="+", action="extend", default=[], metavar="FILE",
                   help="schema YAML file(s) or directories; tried in order")
    add_source_args(p, required=False)
    p.add_argument("--prefix", help="only keys under this prefix")
    p.add_argument("--since", metavar="T", help="only objects from T on: 7d, 12h, 2024-05-01")
    p.add_argument("--until", metavar="T", help="only objects before T")
    p.add_argument("--limit", type=int, metavar="N", help="at most N objects")
    p.add_argument("--errors", metavar="FILE", help="write one JSON line per unparsed line here")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if any line did not parse or any object was not read whole (incomplete, empty, "
                        "binary, unreadable, repaired, or not parsed because of the source config)")
    p.set_defaults(func=run)


def _warn_event_time(schemas) -> None:
    """Loud, on stderr: a schema without an event time (or with a yearless one) dates events wrongly."""
    from workbench.safetext import one_line
    from workbench.schema.advice import event_time_warnings

    for s in schemas:
        for w in event_time_warnings(s):
            print(f"WARNING: {one_line(s.name)}: {one_line(w)}", file=sys.stderr)


def _load_schemas(paths: list[str]) -> tuple[dict, list[str]]:
    """Schemas from --schema; anything that is not a schema file is handed back as an input."""
    from workbench.schema import load_schema, load_schema_dir

    schemas: dict = {}
    inputs: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            schemas.update(load_schema_dir(p))
        elif p.suffix in (".yml", ".yaml"):
            s = load_schema(p)
            schemas[s.name or p.stem] = s if s.name else s.with_name(p.stem)
        else:
            inputs.append(raw)  # `--schema s.yml logs.ndjson`: nargs swallowed the input
    return schemas, inputs


def run(args: argparse.Namespace) -> int:
    import orjson

    from workbench.cli.progress import Progress
    from workbench.events.outcomes import ObjectOutcomes
    from workbench.parse import Classifier, ParseError, compile_parser, event_to_json

    schemas, extra_inputs = _load_schemas(args.schema)
    inputs = [*extra_inputs, *args.inputs]
    _warn_event_time(schemas.values())
    if inputs and (args.config or args.source):
        raise WorkbenchError("Give either INPUT… files or --config/--source, not both.")
    out = sys.stdout.buffer
    errors_file = open(args.errors, "wb") if args.errors else None  # noqa: SIM115
    counts = {"events": 0, "errors": 0}
    outcomes = ObjectOutcomes()

    def emit(item) -> None:
        if type(item) is dict:
            try:
                line = event_to_json(item)
            except (RecursionError, ValueError, TypeError):
                # a json field nested deeper than any JSON writer here allows: report it, keep going
                src = item.get("p_source_file") or {}
                item = ParseError(src.get("aws_s3_key", ""), 0, "", "", "event is nested too deeply to write as JSON",
                                  item.get("p_log_type", ""))
            else:
                counts["events"] += 1
                out.write(line + b"\n")
                return
        counts["errors"] += 1
        if errors_file is not None:
            errors_file.write(orjson.dumps(item.to_json()) + b"\n")

    try:
        if inputs:
            if not schemas:
                raise WorkbenchError("Local inputs need --schema FILE (the schema(s) to parse with).")
            from workbench.source.local import read_local_records

            classifier = Classifier(compile_parser(s) for s in schemas.values())
            for rec in read_local_records(inputs, outcomes):
                got = classifier.parse(rec)
                if got is not None:
                    emit(got)
            where = plural(len(inputs), "file")
        else:
            from workbench.events.pipeline import iter_events

            cfg, source = source_from_args(args)
            if not schemas and not cfg.schema_dirs:
                raise WorkbenchError("No schemas: pass --schema FILE, or set `schemas:` in the config.")
            warn_config(cfg, source, "parse", schemas=schemas)
            bar = Progress("parsing")
            run_counts: dict = {}
            try:
                for item in iter_events(cfg, source, prefix=args.prefix, since=parse_time(args.since),
                                        until=parse_time(args.until), limit=args.limit,
                                        progress=lambda d, t: bar.update(d, t, events=counts["events"], errors=counts["errors"]),
                                        schemas=schemas or None, counts=run_counts, outcomes=outcomes,
                                        warn=lambda line: print(f"parse: warning: config: {line}", file=sys.stderr)):
                    emit(item)
            finally:
                bar.close()
            where = plural(run_counts.get("objects", 0), "object") + (
                f", {run_counts['failures']} unreadable" if run_counts.get("failures") else "")
    finally:
        out.flush()
        if errors_file is not None:
            errors_file.close()
    total = counts["events"] + counts["errors"]
    # With nothing read there is no percentage to claim: "100 % parsed" of zero lines would be a false pass.
    share = f"{100.0 * counts['events'] / total:.2f} % parsed" if total else "no records read"
    summary = outcomes.summary()
    print_outcome_details(outcomes)
    print(f"parsed {counts['events']} events, {counts['errors']} errors ({share}) from {where}"
          + (f"; {summary}" if summary else ""), file=sys.stderr)
    return 1 if args.strict and (counts["errors"] or outcomes.problem_count()) else 0
