"""The data models in rules/data_models/ read the stored field names of the shipped managed schemas: each
type's schema test inputs are parsed, then a probe rule run by the real engine (`rules run --events`) reports
what `event.udm(...)` gives for them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from workbench.cli import main
from workbench.model import Record
from workbench.parse import compile_parser
from workbench.schema import load_schema

REPO = Path(__file__).resolve().parents[3]
SCHEMAS = REPO / "schemas"
FIELDS = ("actor_user", "source_ip", "event_type", "user_agent", "user", "assigned_admin_role")

# (log type, index of the test input, the unified fields it must give); values as the schemas store them
EXPECTED = [
    ("Okta.SystemLog", 0, {"actor_user": "maria.gomez@acme.io", "source_ip": "203.0.113.45", "event_type": "failed_login",
                           "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                                         "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"}),
    ("Okta.SystemLog", 1, {"actor_user": "admin.ops@acme.io", "event_type": "admin_role_assigned"}),
    # GCP exports callerIp; the schema stores callerIP, the path the data model reads
    ("GCP.AuditLog", 0, {"actor_user": "deploy-bot@acme-prod.iam.gserviceaccount.com", "source_ip": "34.118.22.9",
                         "event_type": "admin_role_assigned", "assigned_admin_role": ["roles/owner"],
                         "user": ["user:contractor@gmail.com"]}),
    ("GCP.AuditLog", 1, {"source_ip": "2001:db8:85a3::8a2e:370:7334", "event_type": None}),
    ("GitHub.Audit", 0, {"actor_user": "octo-admin", "source_ip": "192.0.2.77"}),
    ("GitHub.Audit", 1, {"actor_user": "octo-admin", "user": "new-contractor", "event_type": "admin_role_assigned"}),
    ("GSuite.ActivityEvent", 0, {"actor_user": "lena.fischer@acme.io", "source_ip": "198.51.100.201",
                                 "event_type": "failed_login"}),
    ("GSuite.ActivityEvent", 1, {"assigned_admin_role": "_SEED_ADMIN_ROLE", "user": "lena.fischer@acme.io",
                                 "event_type": "admin_role_assigned"}),
    ("OnePassword.ItemUsage", 0, {"actor_user": "jeff.shiner@acme.io", "source_ip": "203.0.113.99"}),
    ("Slack.AuditLogs", 0, {"actor_user": "Charlie Parker", "source_ip": "192.0.2.10", "event_type": "successful_login"}),
    ("Zoom.Operation", 0, {"actor_user": "it-admin@acme.io", "event_type": "admin_role_assigned"}),
    ("Box.Event", 0, {"actor_user": "Aaron Levie", "source_ip": "203.0.113.8"}),
    ("Notion.AuditLogs", 0, {"actor_user": "aragorn@acme.io", "source_ip": "192.0.2.201", "event_type": "successful_login"}),
    ("Atlassian.Audit", 1, {"actor_user": "Org Admin", "source_ip": "2001:db8:2::8", "event_type": "mfa_disabled"}),
    ("Amazon.EKS.Audit", 0, {"actor_user": "kubernetes-admin", "source_ip": "192.0.2.44"}),
]
TYPES = sorted({t for t, _, _ in EXPECTED})

PROBE_PY = f'''"""Reports the unified fields of every event it sees."""

FIELDS = {FIELDS!r}


def rule(event):
    return True


def alert_context(event):
    return {{name: event.udm(name) for name in FIELDS}}
'''


def _inputs(log_type: str) -> list[str]:
    docs = yaml.safe_load_all((SCHEMAS / f"{log_type}_tests.yml").read_text())
    return [d["input"].strip() for d in docs if d and "result" in d]


@pytest.fixture(scope="module")
def udm_by_row(tmp_path_factory) -> dict[str, dict]:
    content = tmp_path_factory.mktemp("content")
    shutil.copytree(REPO / "rules" / "data_models", content / "data_models")
    shutil.copytree(REPO / "rules" / "global_helpers", content / "global_helpers")
    (content / "probe.py").write_text(PROBE_PY)
    (content / "probe.yml").write_text(yaml.safe_dump({
        "AnalysisType": "rule", "RuleID": "Probe.UDM", "Filename": "probe.py", "Enabled": True,
        "LogTypes": TYPES, "Severity": "Info"}))
    events, rows = [], {}
    for log_type in TYPES:
        parser = compile_parser(load_schema(SCHEMAS / f"{log_type}.yml"))
        for i, text in enumerate(_inputs(log_type)):
            event = parser.parse(Record("b", f"{log_type}.json", i + 1, text))
            assert isinstance(event, dict), event
            rows[event["p_row_id"]] = (log_type, i)
            events.append(event)
    path = content / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path, rows


def test_unified_fields_read_the_stored_names(udm_by_row, capsys):
    path, rows = udm_by_row
    assert main(["rules", "run", "--path", str(path.parent), "--events", str(path), "--ndjson"]) == 0
    got = {}
    for line in capsys.readouterr().out.splitlines():
        out = json.loads(line)
        assert not out.get("error"), out
        got[rows[out["p_row_id"]]] = out["alert_context"]
    assert len(got) == len(rows)
    for log_type, index, expected in EXPECTED:
        context = got[(log_type, index)]
        assert {k: context[k] for k in expected} == expected, (log_type, index, context)
