"""`workbench infer`: sampled records (from a source or local files) → a Panther schema, explained.

The schema YAML goes to --out (stdout by default); --stats writes the per-field statistics and
explanations as JSON; --explain prints one line per field on stderr saying why it got its type. The
inferred schema is then tried on the same records and the parse rate is reported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.cli.common import add_source_args, print_outcome_details, sample_outcomes, source_from_args
from workbench.errors import WorkbenchError
from workbench.safetext import clean
from workbench.source.local import read_local_records
from workbench.source.window import parse_time
from workbench.wording import plural

DEFAULT_NAME = "Custom.Inferred"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("infer", help="infer a Panther schema (with explanations and field statistics)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="FILE", help="local log files (any compression); '-' for stdin")
    add_source_args(p, required=False)
    p.add_argument("--prefix", help="only keys under this prefix (with --config/--source)")
    p.add_argument("--since", metavar="T", help="only data from T on: 7d, 12h, 2024-05-01")
    p.add_argument("--until", metavar="T", help="only data before T")
    p.add_argument("--limit", type=int, default=200, metavar="N", help="objects to sample (default 200)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--name", help="schema name (default: the log type the config maps --prefix to, "
                                  "else Custom.Inferred)")
    p.add_argument("--description", help="schema description")
    p.add_argument("--out", metavar="FILE", help="write the schema YAML here (default: stdout)")
    p.add_argument("--stats", metavar="FILE", help="write field statistics and explanations as JSON")
    p.add_argument("--explain", action="store_true", help="print why each field got its type (stderr)")
    p.set_defaults(func=run)


def _sample_records(args: argparse.Namespace):
    from workbench.aws import AwsSession
    from workbench.cli.progress import Progress
    from workbench.source.sampling import sample

    _cfg, source = source_from_args(args)
    if args.name is None and args.prefix:
        types = source.log_types_for(args.prefix)
        if len(types) == 1:
            from workbench.infer import custom_name_for

            # the schema is for the log type this prefix is configured as (a managed type's gets Custom.)
            args.name = custom_name_for(types[0])
        elif types:
            print(f"note: {args.prefix} maps to {', '.join(types)}; naming the schema {DEFAULT_NAME} "
                  f"(pass --name)", file=sys.stderr)
    bar = Progress("sampling")
    try:
        result = sample(AwsSession(source), source, prefix=args.prefix, since=parse_time(args.since),
                        until=parse_time(args.until), limit=max(1, args.limit), seed=args.seed,
                        progress=lambda d, t: bar.update(d, t))
    finally:
        bar.close()
    outcomes = sample_outcomes(result)
    print(f"sampled {len(result.objects)} objects, {len(result.records)} records"
          + (f", {len(result.failures)} failed" if result.failures else "")
          + (f"; {outcomes.summary()}" if outcomes.summary() else ""), file=sys.stderr)
    print_outcome_details(outcomes)
    return result.records, outcomes


def run(args: argparse.Namespace) -> int:
    import orjson

    from workbench.files import atomic_write
    from workbench.infer import describe, infer_schema
    from workbench.parse import compile_parser
    from workbench.schema import dump_schema

    if args.files and (args.config or args.source):
        raise WorkbenchError("Give either FILE… or --config/--source, not both.")
    from workbench.events.outcomes import ObjectOutcomes

    if args.files:
        outcomes_seen = ObjectOutcomes()
        records = read_local_records(args.files, outcomes_seen)
        if outcomes_seen.summary():
            print(f"read {plural(len(args.files), 'file')}; {outcomes_seen.summary()}", file=sys.stderr)
            print_outcome_details(outcomes_seen)
    else:
        records, outcomes_seen = _sample_records(args)
    if not records:
        raise WorkbenchError("No records found to infer from (empty files or an empty prefix).")
    result = infer_schema(records, name=args.name or DEFAULT_NAME, description=args.description)
    text = dump_schema(result.schema)
    if args.out:
        # replace the file whole: a crash or a full disk mid-write must leave the previous schema intact
        out = Path(args.out)
        try:
            atomic_write(out, text)
        except OSError as e:
            raise WorkbenchError(f"Cannot write {out}: {e.strerror or e}.") from None
    else:
        sys.stdout.write(text)
    if args.stats:
        Path(args.stats).write_bytes(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2, default=str))
    parser = compile_parser(result.schema)
    parsed_records = [parser.parse(r) for r in records]
    parsed = sum(1 for o in parsed_records if type(o) is dict)
    total = sum(1 for o in parsed_records if o is not None)  # skipped lines (blank, CSV header) are not records
    if args.explain:
        print(clean(describe(result)), file=sys.stderr)
    else:
        for w in result.warnings:
            print(f"WARNING: {clean(w)}", file=sys.stderr)
    if result.managed_schema:
        print(f"note: this is a layout Panther knows: its managed schema {result.managed_schema} reads it too",
              file=sys.stderr)
    print(f"inferred {result.schema.name} ({result.format}, {len(result.schema.fields)} top-level fields) from "
          f"{result.events} events in {result.shapes} shapes; it parses {parsed}/{total} sampled records"
          + (f" (the sample is not whole: {plural(outcomes_seen.problem_count(), 'object')} incomplete, empty, binary or "
             "repaired)" if outcomes_seen.problem_count() else ""), file=sys.stderr)
    return 0
