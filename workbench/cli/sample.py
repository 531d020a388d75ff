"""`workbench sample`: a stratified sample of a source's history as NDJSON records with provenance.

Each output line is ``{"bucket","key","line","time","text"}`` (plus ``"flags"`` when decoding repaired the
record). ``--out -`` writes to stdout; ``--out DIR`` writes one file per object group (key pattern). A
progress bar and a summary (list calls, failures, flagged objects) go to stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from workbench.cli.common import add_source_args, import_in_background, source_from_args
from workbench.errors import WorkbenchError
from workbench.files import human_size
from workbench.safetext import one_line
from workbench.source.window import parse_time
from workbench.wording import plural

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.I)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
          "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "t": 1000**4, "tb": 1000**4, "tib": 1024**4}


def parse_size(text: str) -> int:
    """'5000000', '50MB', '2MiB', '1g' → bytes."""
    m = _SIZE.match(text or "")
    unit = (m.group(2) or "").lower() if m else None
    if not m or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"cannot read size {text!r}: use bytes or a unit, e.g. 50MB or 2MiB")
    return int(float(m.group(1)) * _UNITS[unit])


def add_sample_args(p: argparse.ArgumentParser, *, default_limit: int | None = None) -> None:
    """The flags that choose what to sample (shared by `sample` and `detect`)."""
    g = p.add_argument_group("what to sample")
    g.add_argument("--prefix", help="only keys under this prefix")
    g.add_argument("--since", metavar="T", help="only data from T on: 7d, 12h, 2024-05-01 (dated by key partition)")
    g.add_argument("--until", metavar="T", help="only data before T")
    size = g.add_mutually_exclusive_group()
    size.add_argument("--limit", type=int, metavar="N", default=default_limit,
                      help=f"sample N objects (default {default_limit or 100})")
    size.add_argument("--bytes", type=parse_size, metavar="B", dest="max_bytes",
                      help="sample objects until B bytes would be read (e.g. 50MB)")
    g.add_argument("--seed", type=int, default=0, help="sampling seed: the same seed picks the same objects")
    g.add_argument("--stream", help="stream type: auto (default), lines, json, json_array, cloudwatch_logs")
    g.add_argument("--workers", type=int, metavar="N",
                   help="concurrent GETs (default: 32 to 128, more when the objects are small)")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sample", help="sample a source's history as NDJSON records with provenance",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_source_args(p)
    add_sample_args(p)
    p.add_argument("--out", default="-", metavar="DIR|-", help="'-' for stdout (default), or a directory: one file per group")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if any object could not be read whole (unreadable, incomplete, empty, binary, repaired)")
    p.set_defaults(func=run, exit_at_once=True)


def run_sample(args: argparse.Namespace, label: str, on_object=None):
    """Resolve the source, sample it with a progress bar on stderr; returns (config, source, SampleResult).
    `on_object` is `sample()`'s per-object hook (runs on the fetch threads)."""
    from workbench.aws import AwsSession
    from workbench.cli.progress import Progress
    from workbench.source.sampling import sample

    cfg, source = source_from_args(args)
    since, until = parse_time(args.since), parse_time(args.until)
    if since and until and since >= until:
        raise WorkbenchError("--since must be earlier than --until.")
    if args.limit is not None and args.limit < 1:
        raise WorkbenchError("--limit must be at least 1.")
    aws = AwsSession(source)
    aws.client("s3")  # botocore's import and the client first: the listing waits on them, so nothing competes
    if cfg.schema_dirs:
        import_in_background("workbench.events.pipeline")  # for the event-time check, during the listing
    bar = Progress(label)
    try:
        result = sample(aws, source, prefix=args.prefix, since=since, until=until, limit=args.limit,
                        max_bytes=args.max_bytes, seed=args.seed, progress=lambda d, t: bar.update(d, t),
                        stream=args.stream, workers=None if args.workers is None else max(1, args.workers),
                        on_object=on_object)
    finally:
        bar.close()
    return cfg, source, result


def outcomes_of(cfg, source, result):
    """How the sampled objects decoded, and whether their event times are believable (parsed with the source's
    schemas where the mapping has them)."""
    from workbench.cli.common import sample_outcomes
    from workbench.events.pipeline import sample_time_warnings

    outcomes = sample_outcomes(result)
    if not cfg.schema_dirs:
        return outcomes  # no schemas to parse the records with: nothing to check
    try:
        by_key: dict[str, list] = {}
        for rec in result.records:
            by_key.setdefault(rec.key, []).append(rec)
        sample_time_warnings(cfg, source, by_key, outcomes)
    except WorkbenchError as e:  # a schema directory that does not load: `parse` reports it in full
        print(f"warning: event times not checked: {one_line(e, 300)}", file=sys.stderr)
    return outcomes


def summarise(result, out=None, outcomes=None) -> None:
    """Counts, failures and flagged objects, as plain cleaned lines (stderr by default)."""
    out = out or sys.stderr
    print(f"sampled {len(result.objects)} of {result.listed} objects in the window "
          f"({len(result.records)} records, {human_size(result.bytes_read)} read) with {plural(result.list_calls, 'list call')} "
          f"in {result.elapsed:.1f}s; {len(result.failures)} failed, {len(result.flagged())} flagged", file=out)
    if not result.complete_listing:
        print(f"  the bucket is too large to list whole: the sample was drawn from {result.listed} objects found by "
              f"a walk of {result.list_calls} folders spread over it; narrow with --prefix or --since for more",
              file=out)
    if not result.listed:
        print("  no objects matched: check --prefix, --since and --until (keys are dated by their date partition)",
              file=out)
    for f in result.failures[:20]:
        print(f"  failed: {one_line(f.message, 300)}", file=out)
    if len(result.failures) > 20:
        print(f"  … and {len(result.failures) - 20} more failures", file=out)
    for s in result.flagged()[:20]:
        print(f"  flagged: {one_line(s.ref.key, 200)}: {', '.join(s.flags)}", file=out)
    if outcomes is not None and outcomes.summary():
        for line in outcomes.details():
            if line.startswith("event time:"):
                print(f"  flagged: {one_line(line, 500)}", file=out)
        print(f"  objects: {outcomes.summary()}", file=out)


def _file_for(pattern: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._=-]+", "_", pattern.replace("{", "").replace("}", "")).strip("_.")
    return (name or "records")[:150] + ".ndjson"


def run(args: argparse.Namespace) -> int:
    import orjson

    from workbench.source.partitions import key_pattern

    to_dir = args.out != "-"
    # key -> (output file, the object's NDJSON lines): serialised on the fetch thread as each object decodes,
    # so the work overlaps the network wait; written below in sample order, so a seed gives the same output
    chunks: dict[str, tuple[str, bytes]] = {}

    def serialise(ref, records) -> None:
        if records:
            name = _file_for(key_pattern(ref.key)) if to_dir else ""
            chunks[ref.key] = (name, b"".join([orjson.dumps(rec.to_json()) + b"\n" for rec in records]))

    cfg, source, result = run_sample(args, "sampling", on_object=serialise)
    ordered = [chunks[ref.key] for ref in result.objects if ref.key in chunks]
    if not to_dir:
        write = sys.stdout.buffer.write
        for _, lines in ordered:
            write(lines)
        sys.stdout.flush()
    else:
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            files: dict[str, list[bytes]] = {}  # file -> its objects' lines, in sample order
            for name, lines in ordered:
                files.setdefault(name, []).append(lines)
            for name, parts in files.items():
                (out / name).write_bytes(b"".join(parts))
        except OSError as e:
            raise WorkbenchError(f"Cannot write samples to {out}: {e.strerror or e}.") from None
        print(f"wrote {plural(len(files), 'file')} to {out}", file=sys.stderr)
    outcomes = outcomes_of(cfg, source, result)
    summarise(result, outcomes=outcomes)
    if result.failures and (args.strict or not result.records):
        return 1
    return 1 if args.strict and outcomes.problem_count() else 0
