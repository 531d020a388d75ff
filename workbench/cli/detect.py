"""`workbench detect`: sample a source and say what each group of objects is, with a reason.

One entry per key-pattern group (a mixed prefix gives one per format): prefix pattern, format, confidence,
reason, suggested parser and managed schema, and counts. ``--json`` prints one JSON document. Managed
schemas are suggested only when the config's schema directories can load them. ``--apply`` maps each
group's literal prefix to its suggested managed schema in the config's ``prefixes:`` (comments kept).
"""

from __future__ import annotations

import argparse
import json
import sys

from workbench.cli.common import add_source_args
from workbench.cli.sample import add_sample_args, run_sample, summarise
from workbench.safetext import one_line
from workbench.wording import plural

DETECT_LIMIT = 200  # objects: enough to see every group of a typical bucket


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("detect", help="detect the format of each group of objects in a source",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_source_args(p)
    add_sample_args(p, default_limit=DETECT_LIMIT)
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--apply", action="store_true",
                   help="map each detected prefix to its managed schema in the config's prefixes: (comments kept)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench.schema import loadable_log_types
    from workbench.source.formats import detect_groups

    config, source, result = run_sample(args, "detecting")
    detections = detect_groups(result, source=source, available=loadable_log_types(config.schema_dirs))
    applied = _apply(config, source, detections) if args.apply else []
    if args.json:
        doc = {
            "source": source.name,
            "bucket": source.bucket,
            "groups": [d.to_json() for d in detections],
            "applied": [{"prefix": c.prefix, "log_type": c.log_type, "action": c.action} for c in applied],
            "sample": {"objects": len(result.objects), "listed": result.listed, "records": len(result.records),
                       "list_calls": result.list_calls, "bytes_read": result.bytes_read,
                       "failures": [{"key": f.ref.key, "message": f.message} for f in result.failures],
                       "flagged": [s.to_json() for s in result.flagged()]},
        }
        json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
        print()
        summarise(result)
        return 0
    if not detections:
        print("No objects found to detect (check --prefix / --since).")
    for d in detections:
        print(one_line(d.pattern, 300))
        shape = "".join(f" where {one_line(k)} = {one_line(repr(v))}" for k, v in (d.discriminator or {}).items())
        print(f"  format:  {d.format}{shape} (confidence {d.confidence:.2f})")
        print(f"  reason:  {one_line(d.reason, 400)}")
        stream = d.stream + (f" (envelope {d.envelope})" if d.envelope else "") if d.stream else "auto"
        also = f" (or {', '.join(d.alternatives)}: same layout)" if d.alternatives else ""
        print(f"  parser:  {d.parser}; stream {stream}; managed schema: {d.managed_schema or 'none (infer a custom schema)'}"
              + also)
        configured = f"; configured log types: {one_line(', '.join(d.log_types))}" if d.log_types else ""
        print(f"  counts:  {plural(d.objects, 'object')}, {plural(d.records, 'record')}; "
              f"compression {', '.join(d.compression) or '?'}" + configured)
        if d.flags:
            print(f"  flagged: {', '.join(f'{k} ×{v}' for k, v in sorted(d.flags.items()))}")
        print()
    for c in applied:
        print(f"applied: {one_line(c.describe())}")
    summarise(result)
    return 0


def _apply(config, source, detections) -> list:
    """Map every group with a suggested managed schema to it in the config file; the changes made."""
    from workbench.errors import WorkbenchError
    from workbench.prefix_mapping import apply_mapping, literal_prefix

    if config.path is None:
        raise WorkbenchError("--apply needs a config file (--config or $WORKBENCH_CONFIG) to write to.")
    changes = []
    for d in detections:
        prefix = literal_prefix(d.pattern)
        if d.managed_schema and prefix:
            changes.append(apply_mapping(config.path, source.name, prefix, d.managed_schema))
    return changes
