"""Every shipped managed schema loads, validates and passes its test file; the schema files' declarative
`managed:` block (case-insensitive keys, `require`, indicators inside json payloads) does what Panther's
parsers do for GCP, Azure, Auth0 and EKS."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import WorkbenchError
from workbench.model import Record
from workbench.parse import ParseError, compile_parser
from workbench.parse.schema_tests import run_schema_tests
from workbench.schema import load_schema, load_schema_dir, validate_schema_text

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
MANAGED = sorted(n for n in load_schema_dir(SCHEMAS) if not n.startswith("Custom."))


def _parse(log_type: str, text: str):
    return compile_parser(load_schema(SCHEMAS / f"{log_type}.yml")).parse(Record("b", "k", 1, text))


@pytest.mark.parametrize("name", MANAGED)
def test_each_managed_schema_validates_and_has_passing_tests(name):
    text = (SCHEMAS / f"{name}.yml").read_text()
    assert validate_schema_text(text) == []
    report = run_schema_tests([SCHEMAS / f"{name}_tests.yml"], schemas=load_schema_dir(SCHEMAS))
    assert report.ok and report.passed >= 2, [r.message for r in report.results if not r.passed] + report.problems


def test_gcp_reads_keys_regardless_of_case_and_stores_panthers_spelling():
    # GCP exports callerIp / remoteIp; Panther's Go decoder matches them to callerIP / remoteIP (gcplogs.go)
    line = ('{"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","receiveTimestamp":"2026-05-02T10:00:00Z",'
            '"httpRequest":{"remoteIp":"192.0.2.1","requestUrl":"https://x.example/a"},'
            '"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog",'
            '"requestMetadata":{"callerIp":"198.51.100.7"}}}')
    event = _parse("GCP.AuditLog", line)
    assert event["protoPayload"]["requestMetadata"] == {"callerIP": "198.51.100.7"}
    assert event["httpRequest"] == {"remoteIP": "192.0.2.1", "requestURL": "https://x.example/a"}
    assert event["p_any_ip_addresses"] == ["192.0.2.1", "198.51.100.7"]
    assert event["p_event_time"] == "2026-05-02 10:00:00.000000000"  # no timestamp: receiveTimestamp


def test_an_exact_spelling_wins_over_a_folded_one():
    line = ('{"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","receiveTimestamp":"2026-05-02T10:00:00Z",'
            '"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog",'
            '"requestMetadata":{"callerIp":"198.51.100.7","callerIP":"203.0.113.9"}}}')
    assert _parse("GCP.AuditLog", line)["protoPayload"]["requestMetadata"] == {"callerIP": "203.0.113.9"}


def test_gcp_rejects_log_entries_that_are_not_audit_logs():
    # gcplogs/auditlog.go: only the activity, data_access and system_event logs are GCP.AuditLog
    line = ('{"logName":"projects/p/logs/run.googleapis.com%2Fstdout","receiveTimestamp":"2026-05-02T10:00:00Z",'
            '"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog"}}')
    got = _parse("GCP.AuditLog", line)
    assert isinstance(got, ParseError) and "logName" in got.reason


def test_indicators_inside_json_payloads():
    line = ('{"log_id":"1","data":{"date":"2026-05-02T19:00:00Z","type":"sapi","details":{"request":{"ip":"192.0.2.12",'
            '"auth":{"user":{"email":"admin@acme.io"}}}}}}')
    event = _parse("Auth0.Events", line)
    assert event["p_any_emails"] == ["admin@acme.io"]
    assert event["p_any_ip_addresses"] == ["192.0.2.12"]
    assert event["data"]["details"]["request"]["ip"] == "192.0.2.12"  # the payload itself is kept as it came


def test_indicators_walk_arrays_in_json_payloads():
    line = ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete",'
            '"requestURI":"/api","verb":"get","user":{"username":"u","extra":{"arn":["arn:aws:iam::111122223333:role/A",'
            '"arn:aws:iam::111122223333:role/B"]}},"stageTimestamp":"2026-05-02T18:00:00Z"}')
    assert _parse("Amazon.EKS.Audit", line)["p_any_aws_arns"] == ["arn:aws:iam::111122223333:role/A",
                                                                   "arn:aws:iam::111122223333:role/B"]


def test_custom_schemas_cannot_use_the_managed_block():
    text = ("schema: Custom.Mine\nmanaged:\n  caseInsensitiveKeys: true\nfields:\n- name: a\n  type: string\n")
    problems = validate_schema_text(text)
    assert any("Custom.* schema cannot use it" in p.message for p in problems)
    with pytest.raises(WorkbenchError):
        load_schema(text)


def test_managed_block_keys_are_checked():
    text = ("schema: Vendor.Thing\nmanaged:\n  caseInsensitive: true\n  require:\n    a: '('\n"
            "fields:\n- name: a\n  type: string\n")
    messages = [p.message for p in validate_schema_text(text)]
    assert any("unknown key 'caseInsensitive'" in m for m in messages)
    assert any("does not compile" in m for m in messages)


def test_managed_block_round_trips_through_to_dict():
    s = load_schema(SCHEMAS / "GCP.AuditLog.yml")
    assert s.to_dict()["managed"]["caseInsensitiveKeys"] is True
