"""Managed log types end to end on the real embedded AWS (moto's server): raw vendor records in a bucket →
`detect --apply` names each prefix's type and maps it in the config (comments kept) → records parsed with the
managed schemas through that mapping → `rules run --events` gives the expected matches and alerts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from workbench.aws import AwsSession
from workbench.cli import main
from workbench.config import load_config
from workbench.parse import ParseError
from workbench.parse.parser import parsers_for_source
from workbench.source.sampling import sample

pytestmark = pytest.mark.demo
REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
BUCKET = "wb-managed-e2e"
DAY = "2026/05/02"

# the prefix each type lands under, as a user's bucket might name them (nothing in a name says the type)
PREFIXES = {
    "Okta.SystemLog": "idp/", "GCP.AuditLog": "gcp-export/", "GitHub.Audit": "scm/", "GSuite.ActivityEvent": "workspace/",
    "Amazon.EKS.Audit": "k8s/", "Slack.AuditLogs": "chat/", "Auth0.Events": "ciam/", "Gravitational.TeleportAudit": "bastion/",
}


def _test_inputs(log_type: str) -> list[str]:
    docs = yaml.safe_load_all((SCHEMAS / f"{log_type}_tests.yml").read_text())
    return [ln for d in docs if d and "result" in d for ln in d["input"].splitlines() if ln.strip()]


def _okta_failed_logins(n: int) -> list[str]:
    """More failed sign-ins for the account of the first Okta test input, from the same address."""
    first = json.loads(_test_inputs("Okta.SystemLog")[0])
    out = []
    for i in range(n):
        first["uuid"] = f"9{i:07d}-08a9-11ef-9b5c-4b0e2c1d7a11"
        first["published"] = f"2026-05-02T09:{20 + i:02d}:00.000Z"
        out.append(json.dumps(first))
    return out


def _raw_records() -> dict[str, list[str]]:
    raw = {t: _test_inputs(t) for t in PREFIXES}
    raw["Okta.SystemLog"] += _okta_failed_logins(5)
    return raw


CONFIG = """\
# Security data lake sources (hand-written; detect --apply must keep these comments)
schemas: [{schemas}]
rules: {rules}
sources:
  managed:
    bucket: {bucket}
    region: us-east-1
    endpoint: {endpoint}
    profile: workbench-demo
    credentials_file: {creds}
    prefixes:   # prefix -> log type(s)
      app/: Custom.AppLog   # the payments app, mapped by hand
"""


@pytest.fixture(scope="module")
def managed_bucket(demo, tmp_path_factory):
    s3 = demo.s3
    s3.create_bucket(Bucket=BUCKET)
    for log_type, lines in _raw_records().items():
        for part in range(2):  # two objects per prefix, as a daily export would write
            body = gzip.compress(("\n".join(lines[part::2]) + "\n").encode())
            s3.put_object(Bucket=BUCKET, Key=f"{PREFIXES[log_type]}{DAY}/export-{part}.json.gz", Body=body)
    cfg = tmp_path_factory.mktemp("managed") / "workbench.yaml"
    cfg.write_text(CONFIG.format(schemas=SCHEMAS, rules=REPO / "rules", bucket=BUCKET, endpoint=demo.endpoint,
                                 creds=demo.config_path.parent / "aws-credentials"))
    return cfg


def test_detect_apply_names_each_prefix_and_maps_it(managed_bucket, capsys):
    rc = main(["detect", "--config", str(managed_bucket), "--source", "managed", "--apply", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    found = {g["prefix_pattern"].split("/")[0] + "/": g for g in out["groups"]}
    for log_type, prefix in PREFIXES.items():
        g = found[prefix]
        assert g["managed_schema"] == log_type, g["reason"]
        assert g["reason"].startswith(f"{g['counts']['records']}/{g['counts']['records']} records have ")
    assert {(a["prefix"], a["log_type"], a["action"]) for a in out["applied"]} == {
        (p, t, "added") for t, p in PREFIXES.items()}
    text = managed_bucket.read_text()
    assert "# Security data lake sources" in text and "# the payments app, mapped by hand" in text
    assert "# prefix -> log type(s)" in text
    src = load_config(managed_bucket).source("managed")
    assert {m.prefix: m.log_types for m in src.prefixes} == {"app/": ("Custom.AppLog",),
                                                             **{p: (t,) for t, p in PREFIXES.items()}}
    # a second run changes nothing
    assert main(["detect", "--config", str(managed_bucket), "--source", "managed", "--apply", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert {a["action"] for a in again["applied"]} == {"unchanged"}


def test_parsed_through_the_mapping_then_rules_match(managed_bucket, tmp_path, capsys):
    main(["detect", "--config", str(managed_bucket), "--source", "managed", "--apply", "--json"])
    capsys.readouterr()
    config = load_config(managed_bucket)
    source = config.source("managed")
    result = sample(AwsSession(source), source, limit=100)
    parse = parsers_for_source(config, source)
    events, errors = [], []
    for record in result.records:
        got = parse(record)
        (errors if isinstance(got, ParseError | str) else events).append(got)
    assert not errors, errors[:3]
    expected = _raw_records()
    assert len(events) == sum(len(v) for v in expected.values())
    by_type = {t: sum(1 for e in events if e["p_log_type"] == t) for t in PREFIXES}
    assert by_type == {t: len(v) for t, v in expected.items()}

    ndjson = tmp_path / "events.ndjson"
    ndjson.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert main(["rules", "run", "--path", str(REPO / "rules"), "--events", str(ndjson), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    matches = {rid: r["matches"] for rid, r in out["rules"].items() if r["matches"]}
    assert matches == {
        "Okta.AdminRoleAssigned": 1, "Okta.BruteForceLogins": 6, "GCP.IAM.AdminRoleToExternalMember": 1,
        "GitHub.Repo.MadePublic": 1, "GSuite.SuspiciousLogin": 1, "Amazon.EKS.ExecIntoSystemPod": 1,
        "Amazon.EKS.AnonymousAPIAccess": 1,
    }
    assert all(r["errors"] == 0 for r in out["rules"].values())
    alerts = {a["rule_id"]: a for a in out["alerts"]}
    assert alerts["Okta.BruteForceLogins"]["count"] == 6  # one alert: the threshold of 5 reached in one group
    assert alerts["GCP.IAM.AdminRoleToExternalMember"]["title"] == (
        "GCP: deploy-bot@acme-prod.iam.gserviceaccount.com granted roles/owner on projects/acme-prod "
        "to user:contractor@gmail.com")
    assert alerts["Okta.AdminRoleAssigned"]["severity"] == "HIGH"


@pytest.mark.asyncio
async def test_browse_screen_maps_a_detected_prefix_in_one_keystroke(managed_bucket, demo, tmp_path):
    from textual.widgets import Tree
    from tuikit import settle

    from screens.app import WorkbenchApp

    cfg = tmp_path / "workbench.yaml"
    cfg.write_text(CONFIG.format(schemas=SCHEMAS, rules=REPO / "rules", bucket=BUCKET, endpoint=demo.endpoint,
                                 creds=demo.config_path.parent / "aws-credentials"))
    app = WorkbenchApp(load_config(cfg))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await settle(app, pilot)
        tree = app.screen.query_one("#prefix-tree", Tree)
        node = next(n for n in tree.root.children if str(n.label).startswith("idp/"))
        tree.move_cursor(node)
        await settle(app, pilot)
        app.screen.query_one("#since").value = "2026-05-01"  # the exports are dated 2026/05/02 in their keys
        tree.focus()
        await pilot.press("s")
        await settle(app, pilot)
        groups = app.screen.query_one("#group-tree", Tree)
        [group] = groups.root.children
        leaves = [str(leaf.label) for leaf in group.children]
        assert any("managed schema Okta.SystemLog" in t for t in leaves), leaves
        assert "m maps idp/ to Okta.SystemLog in the config" in leaves
        await pilot.press("m")
        await settle(app, pilot)
        assert {m.prefix: m.log_types for m in app.session.source.prefixes}["idp/"] == ("Okta.SystemLog",)
        assert app.session.detections[0].log_types == ("Okta.SystemLog",)
        # the mapping is live: Events parses the sample with the managed schema, Rules runs the Okta rules
        await pilot.press("4")
        await settle(app, pilot)
        events = app.session.events
        assert len(events) == len(_raw_records()["Okta.SystemLog"])
        assert {e["p_log_type"] for e in events} == {"Okta.SystemLog"}
        await pilot.press("5")
        await settle(app, pilot)
        run = app.screen.run_result
        assert run is not None and run.log_types == ("Okta.SystemLog",)
        assert run.count("Okta.BruteForceLogins", "matches") == 6 and run.count("Okta.BruteForceLogins", "alerts") == 1
        assert run.count("Okta.AdminRoleAssigned", "matches") == 1
    text = cfg.read_text()
    assert "idp/: Okta.SystemLog" in text and "# the payments app, mapped by hand" in text


def test_detect_text_names_the_type_with_its_reason(managed_bucket, capsys):
    assert main(["detect", "--config", str(managed_bucket), "--source", "managed", "--prefix", "gcp-export/",
                 "--since", "2026-05-01", "--until", "2026-05-03"]) == 0
    out = capsys.readouterr().out
    assert "format:  GCP audit log" in out
    assert ("reason:  2/2 records have GCP audit log keys: logName, receiveTimestamp, protoPayload "
            "(protoPayload.@type='type.googleapis.com/google.cloud.audit.AuditLog')") in out
    assert "managed schema: GCP.AuditLog" in out
