"""What Panther's managed parsers do that a schema file cannot say, for the managed log types `schemas/` ships.

A managed log type (any schema name not starting with `Custom.`) is still described by a Panther schema
file: its fields, types, time formats, event time and field indicators. Panther's own parsers for these
types are code, though, and some of what they store is computed: a syslog facility from the priority, an
array from a comma-separated column, indicators found deep inside a finding's free-form payload. Those
steps live here, keyed by log type, and the parser runs them around the schema's own decoding:

    line ─ schema's parser (csv / fastmatch / regex / JSON) ─ prepare(raw) ─ field decoding ─ scan(event, hits)

`prepare` gets the flat or JSON object the schema's parser produced and returns the object to decode;
`scan` adds `p_any_*` hits from the decoded event. Both raise ValueError for a line that cannot be stored
(it becomes a parse error naming the reason). docs/managed-schemas.md lists every step and its source.

The steps are grouped by source (`aws`, `syslog`, `web`, `dns`, `endpoints`); `scanners` holds the indicator
scanners they share. This module is the registry: log type → steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workbench.parse.managed import aws, dns, endpoints, syslog, web
from workbench.parse.managed.scanners import Hits


@dataclass(frozen=True, slots=True)
class ManagedSteps:
    """The managed steps of one log type (either may be None)."""

    prepare: Callable[[dict], dict] | None = None
    scan: Callable[[dict, Hits], None] | None = None
    # for a JSON schema whose source also writes a text layout: a factory for a per-parser splitter
    # (text, object key) → flat dict, or None for a line to skip; used for lines that are not JSON objects
    text_splitter: Callable[[], Callable[[str, str], dict | None]] | None = None
    # for a fastmatch schema: the same reshaping as `prepare`, on the matched fields (a list in the pattern's
    # field order, with their names), so the parser keeps its fastmatch fast path
    groups: Callable[[list, tuple[str, ...]], list] | None = None


MANAGED: dict[str, ManagedSteps] = {
    "Syslog.RFC3164": ManagedSteps(syslog.syslog_3164, syslog.syslog_scan),
    "Syslog.RFC5424": ManagedSteps(syslog.syslog_5424, syslog.syslog_scan),
    "AWS.ALB": ManagedSteps(aws.alb),
    "AWS.CloudTrail": ManagedSteps(aws.cloudtrail, aws.cloudtrail_scan),
    "AWS.S3ServerAccess": ManagedSteps(aws.s3_access, aws.s3_access_check, groups=aws.s3_access_groups),
    "AWS.VPCFlow": ManagedSteps(aws.vpc_flow),
    "AWS.GuardDuty": ManagedSteps(None, aws.guardduty_scan),
    "AWS.SecurityFindingFormat": ManagedSteps(None, aws.asff_scan),
    "Apache.AccessCombined": ManagedSteps(web.apache),
    "Apache.AccessCommon": ManagedSteps(web.apache),
    "Osquery.Differential": ManagedSteps(None, endpoints.osquery_scan),
    "Zeek.DNS": ManagedSteps(None, dns.zeek_dns_scan, dns.zeek_tsv_splitter),
    "CiscoUmbrella.DNS": ManagedSteps(dns.umbrella_dns, dns.umbrella_dns_scan),
    "Crowdstrike.FDREvent": ManagedSteps(endpoints.crowdstrike_fdr, endpoints.crowdstrike_scan),
    "Crowdstrike.EventStreams": ManagedSteps(None, endpoints.crowdstrike_scan),
}


def managed_steps(log_type: str | None) -> ManagedSteps | None:
    """The managed steps for a shipped log type; None for custom schemas and types with none."""
    if not log_type or log_type.startswith("Custom."):
        return None
    return MANAGED.get(log_type)
