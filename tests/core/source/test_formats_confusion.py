"""Detection over every shipped schema's test inputs: each record is recognised as its own log type and never
as another (a confusion table, printed with `-s`). Custom schemas' inputs must not be taken for a managed type.
Apache's combined layout and nginx's default access log are the same bytes: a record of either is detected as
the combined layout with both schemas offered (`same_layout`), which the table shows as such.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import yaml

from workbench.model import Record
from workbench.parse import compile_parser
from workbench.schema import load_schema_dir
from workbench.source.formats import detect_groups, label_records
from workbench.source.signatures import BY_FORMAT_ID, BY_LOG_TYPE, SIGNATURES

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def _objects() -> dict[str, list[list[Record]]]:
    """log type -> its test inputs, each input one object (a header line stays with the rows it heads)."""
    out: dict[str, list[list[Record]]] = {}
    for p in sorted(SCHEMAS.glob("*_tests.yml")):
        for n, doc in enumerate(yaml.safe_load_all(p.read_text())):
            if doc and doc.get("input") and ("result" in doc or doc.get("results")):
                lines = doc["input"].splitlines()
                out.setdefault(doc["logType"], []).append(
                    [Record("b", f"{p.stem}/{n}.log", i, ln) for i, ln in enumerate(lines, 1) if ln.strip()])
    return out


def _inputs() -> dict[str, list[str]]:
    """log type -> the input lines its schema stores as events (not headers such as Zeek's `#fields`)."""
    schemas = load_schema_dir(SCHEMAS)
    out: dict[str, list[str]] = {}
    for log_type, objects in _objects().items():
        parser = compile_parser(schemas[log_type])
        out[log_type] = [r.text for obj in objects for r in obj if isinstance(parser.parse(r), dict)]
    return out


def confusion() -> dict[str, Counter]:
    """log type -> what detection names each of its stored records, deciding per object as `detect` does."""
    schemas = load_schema_dir(SCHEMAS)
    rows: dict[str, Counter] = {}
    for log_type, objects in _objects().items():
        parser = compile_parser(schemas[log_type])
        counts = rows.setdefault(log_type, Counter())
        for obj in objects:
            for r, fmt in zip(obj, label_records(obj), strict=True):
                # a custom type's lines all count (a CSV object's first line is its header to the parser)
                if log_type.startswith("Custom.") or isinstance(parser.parse(r), dict):
                    sig = BY_FORMAT_ID.get(fmt)
                    counts[sig.log_type if sig else "-"] += 1
    return rows


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
        if counts[log_type] == 0:
            # the same bytes as another type (nginx's default log is Apache's combined layout): every object
            # of it must still be offered as this type
            for obj in _objects()[log_type]:
                for d in detect_groups(obj, available=frozenset(BY_LOG_TYPE)):
                    assert log_type in (d.managed_schema, *d.alternatives), (log_type, d.reason)


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


def test_signatures_cover_every_type_with_unique_ids():
    assert len({s.format_id for s in SIGNATURES}) == len(SIGNATURES)
    assert {s.log_type for s in SIGNATURES} == ISSUE_17_TYPES | {"AWS.CloudTrail", "AWS.S3ServerAccess"}


def test_same_layout_is_declared_both_ways():
    for s in SIGNATURES:
        for other in s.same_layout:
            assert s.log_type in BY_LOG_TYPE[other].same_layout or any(
                s.log_type in t.same_layout for t in SIGNATURES if t.log_type == other), (s.log_type, other)
