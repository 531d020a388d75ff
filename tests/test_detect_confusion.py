"""Detection over every shipped schema's test inputs: each record is recognised as its own log type and never
as another (a confusion table, printed with `-s`). Custom schemas' inputs must not be taken for a managed type.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import yaml

from workbench.model import Record
from workbench.source.formats import detect_groups
from workbench.source.signatures import BY_FORMAT_ID, BY_LOG_TYPE, SIGNATURES

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def _inputs() -> dict[str, list[str]]:
    """log type -> input lines of its schema test file(s) that parse (tests with a result, not the negative ones)."""
    out: dict[str, list[str]] = {}
    for p in sorted(SCHEMAS.glob("*_tests.yml")):
        for doc in yaml.safe_load_all(p.read_text()):
            if doc and doc.get("input") and ("result" in doc or doc.get("results")):
                out.setdefault(doc["logType"], []).extend(ln for ln in doc["input"].splitlines() if ln.strip())
    return out


def _detected(line: str) -> str:
    """The managed log type detection names for one record on its own ('-' for none)."""
    [d] = detect_groups([Record("b", "x/1.log", 1, line)], available=frozenset(BY_LOG_TYPE))
    sig = BY_FORMAT_ID.get(d.format_id)
    return sig.log_type if sig else "-"


def confusion() -> dict[str, Counter]:
    return {log_type: Counter(_detected(ln) for ln in lines) for log_type, lines in _inputs().items()}


def _table(rows: dict[str, Counter]) -> str:
    width = max(map(len, rows)) + 2
    lines = [f"{'test inputs of':<{width}}records  detected as"]
    for log_type, counts in sorted(rows.items()):
        shown = ", ".join(f"{k} {v}" for k, v in counts.most_common())
        lines.append(f"{log_type:<{width}}{sum(counts.values()):>7}  {shown}")
    return "\n".join(lines)


def test_every_test_input_is_detected_as_its_own_type_and_never_another():
    rows = confusion()
    print("\n" + _table(rows))
    managed = {t for t in rows if not t.startswith("Custom.")}
    assert managed, "no managed schema test inputs found"
    for log_type, counts in rows.items():
        if log_type.startswith("Custom."):
            assert set(counts) == {"-"}, f"{log_type} inputs taken for a managed type: {counts}"
            continue
        same = {log_type, *BY_LOG_TYPE[log_type].same_layout}
        assert set(counts) <= same, f"{log_type} inputs detected as {counts}"
        assert counts[log_type] >= 1, f"{log_type} never detected as itself: {counts}"


def test_every_managed_schema_shipped_has_a_signature():
    shipped = {p.stem for p in SCHEMAS.glob("*.yml") if not p.stem.endswith("_tests") and not p.stem.startswith("Custom.")}
    assert shipped <= set(BY_LOG_TYPE), shipped - set(BY_LOG_TYPE)


def test_no_test_input_satisfies_a_second_signature():
    """Stricter than the table: not only the winner, but every signature a record satisfies is its own."""
    for log_type, lines in _inputs().items():
        for line in lines:
            value = orjson.loads(line) if line.lstrip().startswith("{") else None
            hits = {s.log_type for s in SIGNATURES
                    if (s.is_json and isinstance(value, dict) and s.matches_json(value))
                    or (not s.is_json and value is None and s.pattern.match(line))}
            allowed = {log_type, *BY_LOG_TYPE[log_type].same_layout} if log_type in BY_LOG_TYPE else set()
            assert hits <= allowed, f"a {log_type} input also satisfies {hits - allowed}: {line[:120]}"


ISSUE_17_TYPES = {
    "Okta.SystemLog", "GCP.AuditLog", "GitHub.Audit", "GSuite.ActivityEvent", "OnePassword.ItemUsage", "Slack.AuditLogs",
    "Zoom.Operation", "Box.Event", "Duo.Authentication", "Duo.Administrator", "AWS.ALB", "AWS.VPCFlow", "AWS.VPCDns",
    "AWS.GuardDuty", "AWS.SecurityFindingFormat", "AWS.WAFWebACL", "Cloudflare.HttpRequest", "Cloudflare.Firewall",
    "Crowdstrike.FDREvent", "Crowdstrike.EventStreams", "Syslog.RFC3164", "Syslog.RFC5424", "Apache.AccessCombined",
    "Apache.AccessCommon", "Nginx.Access", "Osquery.Differential", "Zeek.DNS", "CiscoUmbrella.DNS", "Azure.Audit",
    "Azure.MonitorActivity", "Notion.AuditLogs", "Atlassian.Audit", "Gravitational.TeleportAudit", "GitLab.API",
    "Amazon.EKS.Audit", "Auth0.Events",
}


def test_signatures_are_one_per_type_with_unique_ids():
    assert len({s.log_type for s in SIGNATURES}) == len(SIGNATURES) == len({s.format_id for s in SIGNATURES})
    assert {s.log_type for s in SIGNATURES} == ISSUE_17_TYPES | {"AWS.CloudTrail", "AWS.S3ServerAccess"}
