"""Format detection on synthetic records: every named format, its reason, parser and managed schema."""

from __future__ import annotations

import json

import pytest

from workbench.model import Record
from workbench.source.formats import detect_groups


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
       'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067')
VPC_HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
VPC = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
SYSLOG5424 = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event'
SYSLOG3164 = "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8"
COMBINED = '203.0.113.5 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08"'
COMMON = '203.0.113.5 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
LOGFMT = 'ts=2024-05-01T12:00:00Z level=info msg="user logged in" user=alice ip=10.0.0.1'


@pytest.mark.parametrize(("lines", "fmt", "schema", "parser"), [
    ([S3_ACCESS] * 5, "S3 server access log", "AWS.S3ServerAccess", "fastmatch"),
    ([ALB] * 5, "ALB access log", "AWS.ALB", "fastmatch"),
    ([VPC_HEADER] + [VPC] * 5, "VPC flow log", "AWS.VPCFlow", "csv"),
    ([SYSLOG5424] * 5, "syslog (RFC 5424)", "Syslog.RFC5424", "regex"),
    ([SYSLOG3164] * 5, "syslog (RFC 3164)", "Syslog.RFC3164", "regex"),
    ([COMBINED] * 5, "Apache/nginx combined access log", "Apache.AccessCombined", "fastmatch"),
    ([COMMON] * 5, "Apache common access log", "Apache.AccessCommon", "fastmatch"),
    ([LOGFMT] * 5, "logfmt / key=value", None, "fastmatch"),
    (["just some words", "and more words here", "nothing structured"], "unknown text", None, "regex"),
])
def test_text_formats(lines, fmt, schema, parser):
    [d] = detect_groups(recs("logs/2024/05/01/*.log", lines))
    assert (d.format, d.managed_schema, d.parser) == (fmt, schema, parser)
    assert d.reason and d.pattern == "logs/{yyyy}/{mm}/{dd}/*.log"
    assert d.confidence >= (0.25 if fmt == "unknown text" else 0.75)


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
    [d] = detect_groups(result)
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
