"""Format detection on synthetic records: every named format, its reason, parser and managed schema."""

from __future__ import annotations

import json

import pytest

from workbench.model import Record
from workbench.parse import compile_parser
from workbench.schema import load_schema
from workbench.source.formats import detect_groups
from workbench.source.signatures import BY_LOG_TYPE
from workbench.source.signatures import SHIPPED_SCHEMAS as SCHEMAS

EVERY_TYPE = frozenset(BY_LOG_TYPE)  # as if every managed schema were loadable


def recs(key: str, lines: list[str], objects: int = 1) -> list[Record]:
    out = []
    for o in range(objects):
        k = key.replace("*", str(o))
        out += [Record("b", k, i + 1, text) for i, text in enumerate(lines)]
    return out


S3_ACCESS = ('79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 '
             '[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be '
             '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - '
             '"-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader '
             'amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 - Yes us-east-1')
ALB = ('https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 '
       '0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" '
       'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
       'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067')
VPC_HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
VPC = ("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
       "1418530010 1418530070 ACCEPT OK")
SYSLOG5424 = ('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] '
              'An application event')
SYSLOG3164 = "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8"
COMBINED = ('203.0.113.5 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 '
            '"http://www.example.com/start.html" "Mozilla/4.08"')
COMMON = '203.0.113.5 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
LOGFMT = 'ts=2024-05-01T12:00:00Z level=info msg="user logged in" user=alice ip=10.0.0.1'


@pytest.mark.parametrize(("lines", "fmt", "schema", "parser"), [
    ([S3_ACCESS] * 5, "S3 server access log", "AWS.S3ServerAccess", "fastmatch"),
    ([ALB] * 5, "ALB access log", "AWS.ALB", "fastmatch"),
    ([VPC_HEADER] + [VPC] * 5, "VPC flow log", "AWS.VPCFlow", "csv"),
    ([SYSLOG5424] * 5, "syslog (RFC 5424)", "Syslog.RFC5424", "regex"),
    ([SYSLOG3164] * 5, "syslog (RFC 3164)", "Syslog.RFC3164", "regex"),
    ([COMBINED] * 5, "Apache/nginx combined access log", "Apache.AccessCombined", "regex"),
    ([COMMON] * 5, "Apache common access log", "Apache.AccessCommon", "regex"),
    ([LOGFMT] * 5, "logfmt / key=value", None, "fastmatch"),
    (["just some words", "and more words here", "nothing structured"], "unknown text", None, "regex"),
])
def test_text_formats(lines, fmt, schema, parser):
    [d] = detect_groups(recs("logs/2024/05/01/*.log", lines), available=EVERY_TYPE)
    assert (d.format, d.managed_schema, d.parser) == (fmt, schema, parser)
    assert d.reason and d.pattern == "logs/{yyyy}/{mm}/{dd}/*.log"
    assert d.confidence >= (0.25 if fmt == "unknown text" else 0.75)


def test_a_recognised_type_whose_schema_is_not_loadable_is_named_but_not_suggested():
    [d] = detect_groups(recs("logs/2024/05/01/*.log", [SYSLOG3164] * 5), available={"AWS.CloudTrail"})
    assert (d.format, d.format_id, d.managed_schema) == ("syslog (RFC 3164)", "syslog_3164", None)
    assert "Syslog.RFC3164 schema is not loadable here" in d.reason


def test_same_layout_types_are_offered_as_alternatives():
    [d] = detect_groups(recs("logs/*.log", [COMBINED] * 5), available={"Apache.AccessCombined", "Nginx.Access"})
    assert (d.managed_schema, d.alternatives) == ("Apache.AccessCombined", ("Nginx.Access",))
    [d] = detect_groups(recs("logs/*.log", [COMBINED] * 5), available={"Nginx.Access"})
    assert (d.managed_schema, d.alternatives) == ("Nginx.Access", ())


def test_json_lines_reason_names_the_stable_key_set():
    lines = [json.dumps({"ts": f"2024-05-01T00:00:0{i}Z", "user": "alice", "action": "login"}) for i in range(8)]
    [d] = detect_groups(recs("Panoptica/auth/2024-05-01/111122223333/*.json.gz", lines, objects=2))
    assert d.format == "JSON lines" and d.parser == "JSON" and d.managed_schema is None
    assert d.reason == "all 16 sampled lines parse as JSON objects with a stable key set (3 keys)"
    assert (d.objects, d.records) == (2, 16)
    out = d.to_json()
    assert {"prefix_pattern", "format", "confidence", "reason", "parser", "managed_schema", "counts"} <= set(out)
    assert out["counts"] == {"objects": 2, "records": 16}


def test_cloudtrail_by_its_fields():
    ev = {"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
          "eventTime": "2024-05-01T00:00:00Z", "awsRegion": "us-east-1"}
    [d] = detect_groups(recs("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/*.json.gz", [json.dumps(ev)] * 4))
    assert (d.format, d.managed_schema) == ("CloudTrail", "AWS.CloudTrail")
    assert "eventName" in d.reason


def test_csv_with_header_and_tsv():
    header = "timestamp,level,user,amount"
    rows = [f"2024-05-01T00:00:0{i}Z,INFO,user{i},{i}.50" for i in range(6)]
    [d] = detect_groups(recs("app/dt=2024-05-01/*.csv", [header, *rows], objects=3))
    assert d.format == "CSV" and d.parser_config == {"csv": {"delimiter": ",", "hasHeader": True}}
    assert "header" in d.reason and "4 columns" in d.reason
    [t] = detect_groups(recs("app/x/*.tsv", ["a\tb\tc", "1\t2\t3", "4\t5\t6"]))
    assert t.format == "TSV" and t.parser_config["csv"]["delimiter"] == "\t"


def test_mixed_prefix_splits_into_candidate_log_types():
    lines = [json.dumps({"a": i}) for i in range(10)] + [S3_ACCESS] * 6
    found = {d.format: d for d in detect_groups(recs("mixed/*.log", lines))}
    assert set(found) == {"JSON lines", "S3 server access log"}
    assert "mixed prefix" in found["JSON lines"].reason


def test_hostile_text_stays_data():
    [d] = detect_groups(recs("x/*.log", ["[bold red]boom[/] \x1b[31m", "\x1b]0;title\x07 text"]))
    assert d.format == "unknown text"


def test_cloudwatch_wrapped_vpc_flow_is_named_with_its_envelope():
    import gzip

    from workbench.model import ObjectRef
    from workbench.source.decode import decode_object
    from workbench.source.sampling import ObjectSummary, SampleResult

    payload = {"messageType": "DATA_MESSAGE", "logGroup": "vpc", "logStream": "eni-1", "owner": "123456789010",
               "subscriptionFilters": ["f"], "logEvents": [{"id": str(i), "timestamp": 1714521600000, "message": VPC}
                                                           for i in range(5)]}
    ref = ObjectRef("b", "firehose/2024/05/01/00/x.gz")
    decoded = decode_object(gzip.compress(json.dumps(payload).encode()), ref)
    result = SampleResult(objects=[ref], records=decoded.records, summaries={ref.key: ObjectSummary(
        ref, decoded.compression, decoded.stream, decoded.envelope, len(decoded.records))})
    [d] = detect_groups(result, available=EVERY_TYPE)
    assert (d.format, d.managed_schema, d.stream) == ("VPC flow log", "AWS.VPCFlow", "CloudWatchLogs")
    assert "CloudWatch Logs" in d.reason


def test_one_prefix_with_several_json_shapes_splits_by_its_discriminator():
    auth = [json.dumps({"event_type": "auth", "ts": "t", "user": f"u{i}", "result": "ok", "mfa": True}) for i in range(6)]
    files = [json.dumps({"event_type": "file_access", "timestamp": i, "path": "/x", "bytes": 10, "op": "read"})
             for i in range(4)]
    found = detect_groups(recs("events/2024/05/01/*.json", auth + files))
    assert [(d.format, d.discriminator, d.records) for d in found] == [
        ("JSON lines", {"event_type": "auth"}, 6), ("JSON lines", {"event_type": "file_access"}, 4)]
    assert "event_type='auth'" in found[0].reason and "2 JSON shapes" in found[0].reason
    # a field whose values share one shape (a user name) does not split
    [one] = detect_groups(recs("events/*.json", auth))
    assert one.discriminator is None


def test_parquet_group_is_named_parquet():
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from workbench.model import ObjectRef
    from workbench.source.decode import decode_object
    from workbench.source.sampling import ObjectSummary, SampleResult

    buf = io.BytesIO()
    pq.write_table(pa.table({"user": ["a", "b", "c"], "n": [1, 2, 3]}), buf)
    ref = ObjectRef("b", "lake/dt=2024-05-01/part-0.parquet")
    decoded = decode_object(buf.getvalue(), ref)
    result = SampleResult(objects=[ref], records=decoded.records, summaries={ref.key: ObjectSummary(
        ref, decoded.compression, decoded.stream, decoded.envelope, len(decoded.records))})
    [d] = detect_groups(result)
    assert (d.format, d.parser, d.stream, d.compression) == ("Parquet", "JSON", "Parquet", ("parquet",))


# One realistic record per managed type whose schema ships on another branch: the signatures must name them now
# (formats as the vendors document them; the schemas' own test inputs join the confusion table when they land).
OTHER_TYPES = {
    "AWS.GuardDuty": {"schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-1", "partition": "aws",
                      "id": "16afba5c5c43e07c9e3e5e2e544e95df",
                      "arn": "arn:aws:guardduty:us-east-1:111122223333:detector/x/finding/16af",
                      "type": "Recon:EC2/PortProbeUnprotectedPort", "resource": {"resourceType": "Instance"},
                      "service": {"serviceName": "guardduty", "count": 3}, "severity": 2,
                      "createdAt": "2026-05-02T10:00:00.000Z", "updatedAt": "2026-05-02T11:00:00.000Z",
                      "title": "Unprotected port on EC2 instance is being probed."},
    "AWS.SecurityFindingFormat": {"SchemaVersion": "2018-10-08",
                                  "Id": "arn:aws:securityhub:us-east-1:111122223333:finding/1",
                                  "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
                                  "GeneratorId": "cis-1.2/1.3",
                                  "AwsAccountId": "111122223333", "Types": ["Software and Configuration Checks"],
                                  "CreatedAt": "2026-05-02T10:00:00Z", "UpdatedAt": "2026-05-02T10:00:00Z",
                                  "Severity": {"Label": "MEDIUM"},
                                  "Title": "1.3 Ensure credentials unused for 90 days are disabled",
                                  "Resources": [{"Type": "AwsAccount", "Id": "AWS::::Account:111122223333"}]},
    "AWS.WAFWebACL": {"timestamp": 1714644000123, "formatVersion": 1,
                      "webaclId": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/w/1",
                      "terminatingRuleId": "Default_Action", "terminatingRuleType": "REGULAR", "action": "ALLOW",
                      "httpSourceName": "ALB", "httpSourceId": "111122223333-app/alb/1", "ruleGroupList": [],
                      "httpRequest": {"clientIp": "192.0.2.5", "country": "US", "uri": "/", "httpMethod": "GET"}},
    "AWS.VPCDns": {"version": "1.100000", "account_id": "111122223333", "region": "us-east-1", "vpc_id": "vpc-0a1b2c3d",
                   "query_timestamp": "2026-05-02T10:00:00Z", "query_name": "example.com.", "query_type": "A",
                   "query_class": "IN", "rcode": "NOERROR", "answers": [], "srcaddr": "10.0.0.5", "srcport": "53124",
                   "transport": "UDP", "srcids": {"instance": "i-0123456789abcdef0"}},
    "Cloudflare.HttpRequest": {"ClientIP": "192.0.2.9", "ClientRequestHost": "www.acme.io", "ClientRequestMethod": "GET",
                               "ClientRequestURI": "/login", "EdgeStartTimestamp": "2026-05-02T10:00:00Z",
                               "EdgeEndTimestamp": "2026-05-02T10:00:00Z", "EdgeResponseStatus": 200,
                               "RayID": "7c1f2a3b4c5d6e7f"},
    "Cloudflare.Firewall": {"Action": "block", "ClientIP": "198.51.100.3", "ClientRequestHost": "www.acme.io",
                            "ClientRequestMethod": "POST", "ClientRequestPath": "/wp-login.php",
                            "Datetime": "2026-05-02T10:00:00Z", "Kind": "firewall", "MatchIndex": 0,
                            "RayID": "7c1f2a3b4c5d6e80", "RuleID": "100015", "Source": "waf"},
    "Crowdstrike.FDREvent": {"event_simpleName": "ProcessRollup2", "aid": "ffffffff35e94e4cb8e3f0f2d2b1a0c9",
                             "cid": "ffffffff15754bcb8d1f8d3b0c4d5e6f", "timestamp": "1714644000123",
                             "name": "ProcessRollup2V19", "CommandLine": "cmd.exe /c whoami",
                             "ImageFileName": "\\Device\\HarddiskVolume2\\Windows\\System32\\cmd.exe"},
    "Crowdstrike.EventStreams": {"metadata": {"customerIDString": "0123456789abcdef0123456789abcdef", "offset": 12345,
                                              "eventType": "DetectionSummaryEvent", "eventCreationTime": 1714644000000,
                                              "version": "1.0"},
                                 "event": {"ComputerName": "ws-042", "UserName": "alice", "Severity": 4}},
    "Osquery.Differential": {"name": "pack_incident-response_last", "hostIdentifier": "ws-042.acme.io",
                             "calendarTime": "Thu May  2 10:00:00 2026 UTC", "unixTime": 1777716000, "epoch": 0, "counter": 4,
                             "numerics": False, "action": "added", "columns": {"username": "root", "tty": "pts/0"},
                             "decorations": {"host_uuid": "4C4C4544-0042"}},
    "Zeek.DNS": {"ts": 1714644000.123, "uid": "CMdzit1AMNsmfAIiQc", "id.orig_h": "10.0.0.5", "id.orig_p": 51234,
                 "id.resp_h": "10.0.0.2", "id.resp_p": 53, "proto": "udp", "trans_id": 4711, "query": "acme.io", "qclass": 1,
                 "qclass_name": "C_INTERNET", "qtype": 1, "qtype_name": "A", "rcode": 0, "rcode_name": "NOERROR"},
}
UMBRELLA = ('"2026-05-02 10:00:00","ActiveDirectoryUserName (alice@acme.io),ws-042","ActiveDirectoryUserName,AD Computers",'
            '"10.10.1.100","24.123.132.133","Allowed","1 (A)","NOERROR","domain-visited.com.","Chat,Photo Sharing",'
            '"AD Users","AD Users",""')
NGINX_MAIN = ('192.0.2.10 - - [02/May/2026:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29" '
              '"198.51.100.20, 10.0.0.1"')


@pytest.mark.parametrize("log_type", sorted(OTHER_TYPES))
def test_other_branchs_json_types_are_named_from_content(log_type):
    line = json.dumps(OTHER_TYPES[log_type])
    [d] = detect_groups(recs("any/where/*.json", [line] * 4), available=EVERY_TYPE)
    assert d.managed_schema == log_type, d.reason
    assert d.reason.startswith("4/4 records have ")


@pytest.mark.parametrize(("line", "log_type"), [(UMBRELLA, "CiscoUmbrella.DNS")])
def test_other_branchs_text_types_are_named_from_content(line, log_type):
    [d] = detect_groups(recs("any/where/*.log", [line] * 4), available=EVERY_TYPE)
    assert d.managed_schema == log_type, d.reason


def test_nginx_main_format_is_named_but_no_managed_schema_reads_it():
    # Panther's Nginx.Access takes nginx's combined format only: exactly ten space-separated columns
    # (panther-labs/panther internal/log_analysis/log_processor/parsers/nginxlogs/access.go); the main format's
    # X-Forwarded-For column makes eleven, so suggesting Nginx.Access would suggest a parser that rejects every line
    [d] = detect_groups(recs("any/where/*.log", [NGINX_MAIN] * 4), available=EVERY_TYPE)
    assert (d.format_id, d.managed_schema, d.alternatives, d.parser) == ("nginx_access", None, (), "regex")
    assert "does not read this variant: infer a custom schema" in d.reason
    schema = load_schema(_schema_from_suggestion(d))
    [event] = [compile_parser(schema).parse_text(NGINX_MAIN)]
    assert event["httpXForwardedFor"] == "198.51.100.20, 10.0.0.1" and event["status"] == "200"


def _schema_from_suggestion(d) -> str:
    """A custom schema of detection `d`'s parser_config, every field a string."""
    import re

    import yaml

    kind, opts = next(iter(d.parser_config.items()))
    text = "".join(opts["match"])
    names = list(re.compile(text).groupindex) if kind == "regex" else re.findall(r"%\{([^}]+)\}", text)
    return yaml.safe_dump({"schema": "Custom.Suggested", "parser": d.parser_config,
                           "fields": [{"name": n, "type": "string"} for n in names]})


SHIPPED_LINES = {  # one line of each recognised text layout, from its shipped schema's tests where it has one
    "apache_combined": COMBINED, "apache_common": COMMON, "syslog_3164": SYSLOG3164, "syslog_5424": SYSLOG5424,
    "s3_access": S3_ACCESS, "alb": ALB,
}


@pytest.mark.parametrize("fmt", sorted(SHIPPED_LINES))
def test_the_suggested_parser_is_the_kind_the_shipped_schema_uses_and_loads(fmt):
    """detect never suggests what the tool cannot load: the parser kind it names is the shipped managed
    schema's, and its parser_config makes a schema that loads and parses the line."""
    [d] = detect_groups(recs("logs/*.log", [SHIPPED_LINES[fmt]] * 5), available=EVERY_TYPE)
    assert d.format_id == fmt and d.managed_schema
    shipped = load_schema(SCHEMAS / f"{d.managed_schema}.yml")
    assert d.parser == next(iter(shipped.parser)), (d.parser, shipped.parser)
    event = compile_parser(load_schema(_schema_from_suggestion(d))).parse_text(SHIPPED_LINES[fmt])
    assert isinstance(event, dict), event


@pytest.mark.parametrize(("fmt", "log_type"), [("apache_combined", "Apache.AccessCombined"),
                                               ("apache_common", "Apache.AccessCommon"),
                                               ("nginx_combined", "Nginx.Access")])
def test_apache_and_nginx_patterns_are_the_shipped_schemas_regexes(fmt, log_type):
    from workbench.source.signatures import PARSER_PATTERNS

    shipped = load_schema(SCHEMAS / f"{log_type}.yml").parser["regex"]["match"]
    assert PARSER_PATTERNS[fmt] == "".join(shipped)


def test_okta_reason_reads_as_the_issue_asks():
    line = json.dumps({"uuid": "u", "published": "2026-05-02T09:14:07Z", "eventType": "user.session.start",
                       "version": "0", "severity": "INFO", "actor": {}, "client": {}, "outcome": None})
    [d] = detect_groups(recs("okta/*.json", [line] * 55), available=EVERY_TYPE)
    assert d.reason == "55/55 records have Okta System Log keys: uuid, published, eventType, actor, client, outcome"
    assert (d.managed_schema, d.format_id) == ("Okta.SystemLog", "okta_systemlog")


def test_an_unloadable_type_is_never_suggested_by_default():
    # Syslog.RFC3164 ships on another branch: until it does, detection names it but suggests no schema
    from workbench.source.signatures import shipped_log_types

    [d] = detect_groups(recs("logs/*.log", [SYSLOG3164] * 5))
    assert d.managed_schema in shipped_log_types() or d.managed_schema is None
    if "Syslog.RFC3164" not in shipped_log_types():
        assert d.managed_schema is None


def test_gcp_entries_of_other_logs_are_not_taken_for_audit_logs():
    entry = {"logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity", "receiveTimestamp": "2026-05-02T10:00:00Z",
             "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog"}}
    [d] = detect_groups(recs("gcp/*.json", [json.dumps(entry)] * 3), available=EVERY_TYPE)
    assert d.managed_schema == "GCP.AuditLog"
    entry["logName"] = "projects/p/logs/cloudaudit.googleapis.com%2Fpolicy"  # not one of the three audit logs
    [d] = detect_groups(recs("gcp/*.json", [json.dumps(entry)] * 3), available=EVERY_TYPE)
    assert d.managed_schema is None and d.format_id == "json"
