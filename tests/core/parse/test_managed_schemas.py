"""Shipped managed schemas (issue 17, infrastructure, network and endpoint types): each parses its realistic raw
inputs in tests/data/managed/ into the events Panther stores, with the event time and key fields checked here by
hand (the schema test files hold the full stored results). Where a case follows Panther's open-source parser, the
file it comes from is named (panther-labs/panther, internal/log_analysis/log_processor/parsers/…)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.model import Record
from workbench.parse import ParseError, compile_parser
from workbench.parse.managed import MANAGED, managed_steps
from workbench.parse.schema_tests import run_schema_tests
from workbench.schema import load_schema
from workbench.schema.timeformats import parse_cloudflare

REPO = Path(__file__).resolve().parents[3]
SCHEMAS = REPO / "schemas"
DATA = REPO / "tests" / "data" / "managed"

MANAGED_TYPES = (
    "AWS.ALB", "AWS.VPCFlow", "AWS.VPCDns", "AWS.GuardDuty", "AWS.SecurityFindingFormat", "AWS.WAFWebACL",
    "Cloudflare.HttpRequest", "Cloudflare.Firewall", "Crowdstrike.FDREvent", "Crowdstrike.EventStreams",
    "Syslog.RFC3164", "Syslog.RFC5424", "Apache.AccessCombined", "Apache.AccessCommon", "Nginx.Access",
    "Osquery.Differential", "Zeek.DNS", "CiscoUmbrella.DNS",
)


def parse_file(log_type: str, path: Path) -> list[dict]:
    """Every line of one raw file, as one S3 object (a header line belongs to its object)."""
    parser = compile_parser(load_schema(SCHEMAS / f"{log_type}.yml"))
    events = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        got = parser.parse(Record("logs", f"raw/{path.name}", i, line))
        assert not isinstance(got, ParseError), f"{path.name}:{i}: {got}"
        if got is not None:
            events.append(got)
    return events


def events_of(log_type: str) -> list[dict]:
    files = sorted(DATA.glob(f"{log_type}.*log"))
    assert files, f"no raw inputs for {log_type}"
    return [e for f in files for e in parse_file(log_type, f)]


@pytest.mark.parametrize("log_type", MANAGED_TYPES)
def test_each_type_ships_a_valid_schema_and_a_passing_test_file(log_type, capsys):
    assert main(["schema", "validate", str(SCHEMAS / f"{log_type}.yml")]) == 0
    report = run_schema_tests([SCHEMAS / f"{log_type}_tests.yml"])
    assert report.ok, [r.to_json() for r in report.results if not r.passed] + report.problems
    assert len(report.results) >= 2
    assert {r.log_type for r in report.results} == {log_type}


# (log type, number of events in its raw files, {field path: value} of the first event, its p_event_time)
FIRST_EVENTS = [
    ("AWS.ALB", 5, {"clientIp": "203.0.113.24", "clientPort": 51534, "requestHttpMethod": "GET",
                    "actionsExecuted": ["waf", "forward"], "elbStatusCode": 200},
     "2026-11-30 23:59:59.918312000"),
    ("AWS.VPCFlow", 8, {"account": "111122223333", "srcAddr": "10.0.1.25", "dstPort": 443, "flowDirection": "egress",
                        "pktDstAwsService": "AMAZON", "trafficPath": 8},
     "2025-12-05 01:00:00.000000000"),
    ("AWS.VPCDns", 4, {"query_name": "api.github.com.", "srcids.instance": "i-0a1b2c3d4e5f67890",
                       "answers": [{"Rdata": "140.82.112.6", "Type": "A", "Class": "IN"}]},
     "2026-12-01 14:03:27.000000000"),
    ("AWS.GuardDuty", 3, {"type": "UnauthorizedAccess:EC2/SSHBruteForce", "severity": 2.0, "service.count": 37,
                          "service.eventFirstSeen": "2026-12-01 06:10:22.000000000"},
     "2026-12-01 07:03:09.400000000"),
    ("AWS.SecurityFindingFormat", 3, {"Severity.Label": "HIGH", "Compliance.Status": "FAILED",
                                      "Resources": None},
     "2026-12-01 08:00:09.904000000"),
    ("AWS.WAFWebACL", 3, {"action": "BLOCK", "httpRequest.clientIp": "203.0.113.77",
                          "labels": [{"name": "awswaf:managed:aws:sql-database:SQLi_QueryArguments"}]},
     "2025-12-01 14:00:00.123000000"),
    ("Cloudflare.HttpRequest", 3, {"ClientIP": "3.91.44.12", "EdgeResponseStatus": 403,
                                   "FirewallMatchesSources": ["firewallRules"]},
     "2026-12-01 16:00:00.398000000"),
    ("Cloudflare.Firewall", 3, {"Action": "block", "Metadata": {"filter": "1a2b3c4d5e6f", "type": "customer"}},
     "2026-12-01 16:20:31.000000000"),
    ("Crowdstrike.FDREvent", 4, {"fdr_event_type": "ProcessRollup2", "event.UserName": "jdoe",
                                 "timestamp": "2025-12-01 11:00:00.254000000"},
     "2025-12-01 11:00:00.117000000"),
    ("Crowdstrike.EventStreams", 3, {"metadata.eventType": "DetectionSummaryEvent", "event.SeverityName": "High"},
     "2025-12-01 12:00:00.123000000"),
    ("Syslog.RFC3164", 6, {"priority": 34, "facility": 4, "severity": 2, "hostname": "bastion-1", "appname": "sshd",
                           "procid": "21877"},
     "2026-12-01 08:15:02.431000000"),
    ("Syslog.RFC5424", 5, {"priority": 165, "facility": 20, "severity": 5, "version": 1, "msgid": "ID47",
                           "structured_data": {"exampleSDID@32473": {"iut": "3", "eventSource": "Application",
                                                                     "eventID": "1011"}},
                           "message": "An application event log entry from 192.0.2.33"},
     "2026-12-01 22:14:15.003000000"),
    ("Apache.AccessCombined", 5, {"remote_host_ip_address": "127.0.0.1", "request_user": "frank",
                                  "referer": "http://www.example.com/start.html", "response_size": 2326},
     "2026-10-10 20:55:36.000000000"),
    ("Apache.AccessCommon", 6, {"request_method": "GET", "request_uri": "/apache_pb.gif", "request_protocol": "HTTP/1.0",
                                "response_status": 200},
     "2026-10-10 20:55:36.000000000"),
    ("Nginx.Access", 5, {"remoteAddr": "93.184.216.34", "request": "GET /index.html HTTP/1.1", "status": 200,
                         "bodyBytesSent": 612},
     "2026-12-01 10:12:01.000000000"),
    ("Osquery.Differential", 4, {"action": "added", "columns.port": "4444", "logType": "result", "counter": 12},
     "2026-12-01 09:14:02.000000000"),
    ("Zeek.DNS", 7, {"id_orig_h": "10.0.0.25", "id_resp_p": 53, "qtype_name": "A", "RD": True,
                     "TTLs": [300.0, 300.0, 300.0]},
     "2025-12-01 18:01:01.263821000"),
    ("CiscoUmbrella.DNS", 5, {"policyIdentity": "ActiveDirectoryUserName (jdoe@example.com)",
                              "categories": ["Chat", "Business Services"], "identityTypes": ["AD Users", "Sites", "Networks"]},
     "2026-12-01 17:48:41.000000000"),
]


def _get(event: dict, path: str):
    for k in path.split("."):
        event = event.get(k) if isinstance(event, dict) else None
    return event


@pytest.mark.parametrize(("log_type", "count", "fields", "event_time"), FIRST_EVENTS, ids=[r[0] for r in FIRST_EVENTS])
def test_raw_inputs_parse_with_event_time_and_key_fields(log_type, count, fields, event_time):
    events = events_of(log_type)
    assert len(events) == count
    first = events[0]
    assert first["p_log_type"] == log_type
    assert first["p_event_time"] == event_time
    assert first["p_source_file"]["aws_s3_bucket"] == "logs"
    for path, want in fields.items():
        if want is None:
            assert _get(first, path), path
        else:
            assert _get(first, path) == want, path


def test_every_managed_step_belongs_to_a_shipped_schema():
    assert set(MANAGED) <= set(MANAGED_TYPES) | {"AWS.CloudTrail", "AWS.S3ServerAccess"}  # the two first shipped
    assert all((SCHEMAS / f"{t}.yml").exists() for t in MANAGED)
    assert managed_steps("Custom.Syslog.RFC3164") is None  # a custom schema never gets managed steps


# --- what the managed steps do, per type ----------------------------------------------------------------------

def test_alb_splits_ipv6_client_and_keeps_missing_target_empty():
    # awslogs/alb.go splits "ip:port" at ":"; an IPv6 client is split at the last colon here instead
    e = events_of("AWS.ALB")[1]
    assert (e["clientIp"], e["clientPort"]) == ("2001:db8:85a3::8a2e:370:7334", 60211)
    assert "targetIp" not in e and "targetPort" not in e and "targetStatusCode" not in e
    assert e["requestProcessingTime"] == -1.0 and e["elbStatusCode"] == 460
    assert e["p_any_ip_addresses"] == ["2001:db8:85a3::8a2e:370:7334"]
    last = events_of("AWS.ALB")[-1]
    assert last["errorReason"] == "LambdaInvalidResponse" and last["classificationReason"] == "UndefinedContentLengthSemantics"


def test_vpc_flow_reads_columns_by_header_and_drops_unknown_account():
    # awslogs/vpc_flow.go: columns by header name; "-" and "unknown" accounts are not stored
    default = parse_file("AWS.VPCFlow", DATA / "AWS.VPCFlow.default.log")
    assert [e["status"] for e in default] == ["OK", "OK", "NODATA", "SKIPDATA", "OK"]
    nodata, unknown = default[2], default[3]
    assert "srcAddr" not in nodata and nodata["account"] == "123456789012"
    assert "account" not in unknown and "p_any_aws_account_ids" not in unknown
    assert default[4]["p_any_ip_addresses"] == ["2001:db8:1234:a102::1", "2600:1f18:22ab:9c00::5"]
    assert default[0]["p_event_time"] == "2025-12-05 00:00:00.000000000"
    custom = parse_file("AWS.VPCFlow", DATA / "AWS.VPCFlow.custom.log")
    assert custom[0]["p_any_aws_instance_ids"] == ["i-0123456789abcdef0"]
    assert custom[1]["sublocationId"] == "op-0123456789abcdef0" and "instanceId" not in custom[1]
    assert custom[1]["p_any_ip_addresses"] == ["10.0.1.25", "10.0.2.77", "192.168.7.4"]


def test_syslog_rfc3164_yearless_timestamp_gets_the_current_year_and_optional_parts():
    # sysloglogs/rfc3164.go: go-syslog best effort, UTC, CurrentYear, RFC 3339 accepted too
    parser = compile_parser(load_schema(SCHEMAS / "Syslog.RFC3164.yml"))
    year = time.gmtime().tm_year
    e = parser.parse_text("<38>Feb  5 17:32:18 10.0.0.99 sshd[4021]: "
                          "Accepted publickey for deploy from 192.0.2.10 port 52114 ssh2")
    assert e["timestamp"] == e["p_event_time"] == f"{year}-02-05 17:32:18.000000000"
    assert (e["facility"], e["severity"], e["procid"]) == (4, 6, "4021")
    assert e["p_any_ip_addresses"] == ["10.0.0.99", "192.0.2.10"]
    e = parser.parse_text("<13>Dec 14 03:01:00 nas-01 smartd: Device: /dev/sda, SMART Usage Attribute changed")
    assert e["timestamp"].startswith(f"{year}-12-14 03:01:00") and e["p_any_domain_names"] == ["nas-01"]
    e = parser.parse_text("<5>kernel panic without timestamp or host")
    assert e["priority"] == 5 and "timestamp" not in e and e["p_event_time"] == e["p_parse_time"]
    # pantherlog.go AppendAnyIPAddressInField: IPv4 anywhere in the message, IPv6 not at all
    e = parser.parse_text("<4>2026-12-01T00:00:00Z fw kernel: SRC=198.51.100.3:4431 DST=2001:db8::1 ver 1.2.3.4.5")
    assert e["p_any_ip_addresses"] == ["198.51.100.3"]
    assert "p_any_ip_addresses" not in events_of("Syslog.RFC3164")[3]  # the UFW line's addresses are IPv6
    assert isinstance(parser.parse_text("no priority at all"), ParseError)
    bad = parser.parse_text("<999>Dec 14 03:01:00 host app: x")
    assert isinstance(bad, ParseError) and "out of range" in bad.reason


def test_syslog_rfc5424_nil_values_and_escaped_structured_data():
    events = events_of("Syslog.RFC5424")
    nil = events[3]
    assert {k for k in nil if not k.startswith("p_")} == {"priority", "facility", "severity", "version"}
    assert events[1]["p_event_time"] == "2026-12-02 05:14:15.000003000"  # -07:00 offset to UTC
    assert events[4]["structured_data"] == {"exampleSDID@32473": {"note": 'path "a\\b" done]'}}
    assert events[2]["structured_data"]["meta"] == {"sequenceId": "17"}


def test_apache_request_line_of_dash_and_response_size_zero():
    # apachelogs/access_common.go stores response_size 0 for "-"
    common = events_of("Apache.AccessCommon")
    timeout = common[4]
    assert timeout["response_status"] == 408 and timeout["response_size"] == 0 and "request_method" not in timeout
    assert common[3]["p_any_domain_names"] == ["crawl-66-249-66-1.googlebot.com"]
    assert common[2]["p_event_time"] == "2026-12-01 05:25:25.000000000"
    combined = parse_file("Apache.AccessCombined", DATA / "Apache.AccessCombined.log")
    assert "referer" not in combined[1] and combined[1]["user_agent"] == "python-requests/2.31.0"
    # a combined line is not a common one, and the other way round
    assert isinstance(compile_parser(load_schema(SCHEMAS / "Apache.AccessCommon.yml")).parse_text(
        (DATA / "Apache.AccessCombined.log").read_text().splitlines()[0]), ParseError)


def test_nginx_keeps_escaped_bytes_and_rejects_extra_fields():
    events = events_of("Nginx.Access")
    assert events[3]["request"] == "\\x16\\x03\\x01\\x00\\xca\\x01\\x00\\x00\\xc6\\x03\\x03"
    parser = compile_parser(load_schema(SCHEMAS / "Nginx.Access.yml"))
    extra = '10.0.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0" "203.0.113.1"'
    assert isinstance(parser.parse_text(extra), ParseError)


def test_zeek_tsv_lines_give_the_same_events_as_zeek_json():
    json_events = {e["uid"]: e for e in parse_file("Zeek.DNS", DATA / "Zeek.DNS.log")}
    tsv = parse_file("Zeek.DNS", DATA / "Zeek.DNS.tsv.log")  # #fields header, "-" unset, "(empty)" vectors
    assert len(tsv) == 3
    volatile = ("p_row_id", "p_parse_time", "p_source_file", "answers", "TTLs")
    for e in tsv:
        want = json_events[e["uid"]]
        assert {k: v for k, v in e.items() if k not in volatile} == {k: v for k, v in want.items() if k not in volatile}
        assert e.get("answers") == want.get("answers") and e.get("TTLs") == want.get("TTLs")
    parser = compile_parser(load_schema(SCHEMAS / "Zeek.DNS.yml"))
    short = parser.parse_text("1764612061.263821\tCHhAvVGS1DHFjwGM9\t10.0.0.25")
    assert isinstance(short, ParseError) and "tab-separated" in short.reason


def test_dns_types_index_domains_as_panther_does():
    zeek = events_of("Zeek.DNS")
    # zeeklogs/dns.go: the query is a domain for A/AAAA only; answers are IPs or domains
    assert zeek[0]["p_any_domain_names"] == ["example.com.cdn.cloudflare.net", "www.example.com"]
    assert "p_any_domain_names" not in zeek[1]  # a PTR query for a service name
    umbrella = events_of("CiscoUmbrella.DNS")
    # umbrella dns.go: the domain loses its trailing dot in p_any_domain_names, not in the column
    assert umbrella[1]["domain"] == "malware-c2.example.net." and umbrella[1]["p_any_domain_names"] == ["malware-c2.example.net"]
    assert umbrella[3].get("blockedCategories") is None and "identityTypes" not in umbrella[3]  # a version 2 row
    vpcdns = events_of("AWS.VPCDns")
    # awslogs/vpc_dns.go tags Rdata `ip,domain`: an IP answer is indexed as both; "-" stays in stored names
    assert vpcdns[1]["p_any_domain_names"] == ["18.160.41.37", "d3ag4hukkh62yn.cloudfront.net.",
                                               "tp.47cf2c8c9-frontier.amazon.com."]
    assert vpcdns[1]["p_any_ip_addresses"] == ["10.0.14.21", "18.160.41.37"]
    assert vpcdns[2].get("answers", []) == [] and vpcdns[2]["srcids"]["resolver-endpoint"] == "rslvr-in-0123456789abcdef0"


def test_guardduty_and_asff_index_values_from_free_form_payloads():
    # awslogs/guardduty.go + extractor.go: ARNs, instance ids, IPs, DNS names and tags found in resource/service
    gd = events_of("AWS.GuardDuty")[0]
    assert gd["p_any_aws_tags"] == ["Name:bastion-1", "env:prod"]
    assert gd["p_any_ip_addresses"] == ["10.0.1.25", "185.220.101.4", "2600:1f18:22ab:9c00::5", "54.210.1.2"]
    assert "arn:aws:iam::123456789012:instance-profile/bastion-profile" in gd["p_any_aws_arns"]
    assert gd["resource"]["instanceDetails"]["instanceId"] == "i-0a1b2c3d4e5f67890"
    asff = events_of("AWS.SecurityFindingFormat")
    assert asff[1]["p_any_aws_instance_ids"] == ["i-0a1b2c3d4e5f67890"]
    assert asff[1]["p_any_ip_addresses"] == ["10.0.1.25", "185.220.101.4"]
    # hashes keep their case, as Panther's scanners write them (pantherlog/scanners.go ScanSHA256Hash)
    assert asff[2]["p_any_sha256_hashes"] == ["0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9"]


def test_crowdstrike_keeps_the_record_and_indexes_nested_values():
    fdr = events_of("Crowdstrike.FDREvent")
    # crowdstrikelogs.go: ContextTimeStamp (device time) is the event time, else timestamp (cloud time)
    assert [e["p_event_time"] for e in fdr] == ["2025-12-01 11:00:00.117000000", "2025-12-01 11:01:00.500000000",
                                                "2025-12-01 11:01:40.000000000", "2025-12-01 11:03:20.000000000"]
    assert fdr[0]["event"]["CommandLine"].startswith('"C:\\Windows')
    assert fdr[1]["p_any_domain_names"] == ["login-okta.example-sso.com"]
    assert fdr[2]["p_any_ip_addresses"] == ["10.0.4.12", "185.199.110.153", "192.0.2.250"]
    streams = events_of("Crowdstrike.EventStreams")
    assert streams[0]["p_any_domain_names"] == ["LT-JDOE-01", "payload.example-cdn.net"]
    assert streams[1]["p_any_ip_addresses"] == ["203.0.113.9"]


def test_cloudflare_time_format_reads_text_seconds_and_nanoseconds():
    # cloudflarelogs/tcodec.go: numbers below 60,000,000,000 are seconds, larger ones nanoseconds
    assert parse_cloudflare("2026-12-01T16:00:00.398Z") == "2026-12-01 16:00:00.398000000"
    assert parse_cloudflare(1764604800) == "2025-12-01 16:00:00.000000000"
    assert parse_cloudflare(1764604805123456789) == "2025-12-01 16:00:05.123456789"
    assert parse_cloudflare("1764604800") == "2025-12-01 16:00:00.000000000"
    with pytest.raises(ValueError):
        parse_cloudflare(True)
    events = events_of("Cloudflare.HttpRequest")
    assert events[1]["OriginResponseHTTPExpires"] == "2026-12-02 16:00:00.000000000"
    assert events[2]["p_event_time"] == "2025-12-01 16:00:05.123456789"
