"""`workbench sources list|check`: the configured sources, and the onboarding checklist against the account."""

from __future__ import annotations

import argparse
import itertools
import json
import sys

from workbench.cli.common import add_source_args, config_from_args
from workbench.errors import WorkbenchError
from workbench.safetext import one_line


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sources", help="list sources; check a source's access and notification wiring",
                              description=__doc__)
    sub = p.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    lst = sub.add_parser("list", help="the sources in the config")
    add_source_args(lst)
    lst.add_argument("--json", action="store_true", help="one JSON document on stdout")
    lst.set_defaults(func=_list)
    chk = sub.add_parser("check", help="identity, role, bucket, KMS, queue, SNS subscription, bucket notification, "
                         "prefix → log type mapping (exit 1 if any check fails)")
    add_source_args(chk)
    chk.add_argument("--json", action="store_true", help="one JSON document on stdout")
    chk.set_defaults(func=_check)


def _list(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    sources = [cfg.source(args.source)] if args.source else list(cfg.sources.values())
    if args.json:
        json.dump({"sources": [{
            "name": s.name, "bucket": s.bucket, "region": s.region, "endpoint": s.endpoint, "role_arn": s.role_arn,
            "queue_url": s.queue_url, "topic_arn": s.topic_arn,
            "prefixes": {m.prefix: list(m.log_types) for m in s.prefixes}} for s in sources]}, sys.stdout, indent=2)
        print()
        return 0
    if not sources:
        print("No sources configured: pass --config FILE (or set WORKBENCH_CONFIG); `workbench demo` writes one.")
        return 0
    for s in sources:
        print(f"{one_line(s.name)}: s3://{one_line(s.bucket)} ({one_line(s.region or 'default region')})")
        for m in s.prefixes:
            print(f"  {one_line(m.prefix or '(all keys)'):<28} {one_line(', '.join(m.log_types))}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from workbench.aws import AwsSession
    from workbench.events.config_check import mapping_checks
    from workbench.source.checks import iter_checks

    cfg = config_from_args(args)
    if not cfg.sources:
        raise WorkbenchError("No sources configured: pass --config FILE (or set WORKBENCH_CONFIG).")
    sources = [cfg.source(args.source)] if args.source else list(cfg.sources.values())
    failed = False
    report = []
    for source in sources:
        results = []
        if not args.json:
            print(f"{one_line(source.name)} (s3://{one_line(source.bucket)})")
        aws = AwsSession(source)
        for r in itertools.chain(iter_checks(aws, source), _lazy(mapping_checks, cfg, source, aws)):
            results.append(r)
            failed |= r.ok is False
            if not args.json:
                print(f"  {r.mark} {r.name}: {one_line(r.detail, 1000)}")
                if r.ok is False and r.fix:
                    print(f"      fix: {one_line(r.fix, 1000)}")
        report.append({"source": source.name, "ok": all(r.ok is not False for r in results),
                       "checks": [r.to_json() for r in results]})
    if args.json:
        json.dump({"ok": not failed, "sources": report}, sys.stdout, indent=2)
        print()
    return 1 if failed else 0


def _lazy(make, *args):
    """Run `make(*args)` only when the chain reaches it (after the connection checks have printed)."""
    yield from make(*args)
