"""Arguments shared by the commands that read AWS, and turning them into a Config and Source."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.config import Config, Source
    from workbench.events.outcomes import ObjectOutcomes


def import_in_background(*modules: str) -> None:
    """Import `modules` on a daemon thread. Started just before the main thread waits on the network (a
    listing), the imports run while the GIL would sit idle, so their cost is off the command's critical path.
    A module that fails to import is left alone here: the main thread's own import raises its error."""
    import importlib
    import threading

    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # reported by the import that needs it
                return

    threading.Thread(target=load, name="import-ahead", daemon=True).start()


def add_source_args(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """--config FILE --source NAME plus per-run AWS overrides (flags beat environment beat file)."""
    g = parser.add_argument_group("source")
    g.add_argument("--config", metavar="FILE", help="workbench.yaml (default: $WORKBENCH_CONFIG)")
    g.add_argument("--source", metavar="NAME", help="source name in the config (optional when there is only one)")
    g.add_argument("--profile", help="AWS profile (overrides the config)")
    g.add_argument("--region", help="AWS region (overrides the config)")
    g.add_argument("--endpoint", dest="endpoint", metavar="URL", help="AWS endpoint URL (overrides the config)")
    g.add_argument("--role-arn", dest="role_arn", metavar="ARN", help="role to assume (overrides the config)")
    g.add_argument("--external-id", dest="external_id", metavar="ID", help="external id for the role")


def config_from_args(args: argparse.Namespace) -> Config:
    # imported here, not at the top: the config module brings YAML, and `rules test` (which never reads a
    # config) forks its rule worker before that import, so the two start-ups overlap
    from workbench.config import load_config

    return load_config(
        getattr(args, "config", None),
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
        endpoint=getattr(args, "endpoint", None),
        role_arn=getattr(args, "role_arn", None),
        external_id=getattr(args, "external_id", None),
    )


def source_from_args(args: argparse.Namespace) -> tuple[Config, Source]:
    cfg = config_from_args(args)
    if not cfg.sources:
        raise WorkbenchError("No sources configured: pass --config FILE (or set WORKBENCH_CONFIG); `workbench demo` writes one.")
    return cfg, cfg.source(getattr(args, "source", None))


def print_outcome_details(outcomes: ObjectOutcomes, label: str = "warning") -> None:
    """One stderr line per affected object (capped per kind), each cleaned of terminal controls."""
    from workbench.safetext import one_line

    for line in outcomes.details():
        print(f"{label}: {one_line(line, 1000)}", file=sys.stderr)


def sample_outcomes(result) -> ObjectOutcomes:
    """An `ObjectOutcomes` for a `SampleResult` (how each sampled object decoded, failures included)."""
    from workbench.events.outcomes import ObjectOutcomes

    return ObjectOutcomes.of_sample(result)


def warn_config(config: Config, source: Source, command: str, *, schemas: dict | None = None) -> list:
    """The source mapping's problems, printed once each before a command reads anything."""
    from workbench.events.config_check import check_mapping
    from workbench.safetext import one_line

    if schemas:
        return []  # --schema given: the mapping is not used
    problems = check_mapping(config, source)
    for p in problems:
        print(f"{command}: warning: config: {one_line(p.line(), 1000)}", file=sys.stderr)
    return problems
