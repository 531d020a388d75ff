"""Differential parse suite: one case per point where Panther's stored event is settled, each with the input
line, the schema, and the event Panther stores (derived from Panther's documentation and the source of its
archived open-source log processor, panther-labs/panther; the file each case comes from is cited with it).

Events are compared whole, without `p_row_id` and `p_parse_time` (and `p_event_time` when the case does not
name it; `p_log_type` is the schema's). An expected `Error(field, words)` is a ParseError on that field whose
reason contains the words. A property at the end: parsing a stored event's JSON again under the same schema
gives the same event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError
from workbench.model import Record
from workbench.parse import ParseError, compile_parser, event_to_json
from workbench.schema import load_schema

PL = "internal/log_analysis/log_processor/pantherlog"


@dataclass(frozen=True)
class Error:
    field: str
    words: str


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # where Panther's behaviour is read from
    schema: str  # the `fields:` (and `parser:`) part of the schema YAML
    line: str
    want: dict | Error
    key: str = ""


def _schema(body: str):
    return load_schema("schema: Custom.Case\n" + body)


CASES = [
    # --- stored column names ---------------------------------------------------------------------------------
    Case("names-at-sign-dots-space-dollar", "internal/log_analysis/awsglue/glueschema/columns.go ColumnName",
         "fields:\n  - {name: '@timestamp', type: timestamp, timeFormats: [rfc3339], isEventTime: true}\n"
         "  - {name: user.name, type: string}\n  - {name: a b, type: string}\n  - {name: $ref, type: string}\n"
         "  - {name: a$b, type: string}\n",
         '{"@timestamp": "2024-05-01T12:00:00Z", "user.name": "bob", "a b": "x", "$ref": "r", "a$b": "m"}',
         {"at_sign_timestamp": "2024-05-01 12:00:00.000000000", "user_name": "bob", "a_b": "x",
          "dollar_sign_ref": "r", "a_dollar_sign_b": "m", "p_event_time": "2024-05-01 12:00:00.000000000"}),
    Case("names-transliterated-and-nested", "internal/log_analysis/awsglue/glueschema/columns_test.go (anyascii)",
         "fields:\n  - {name: συνθηματικό, type: string}\n"
         "  - name: ctx\n    type: object\n    fields:\n      - {name: src.ip, type: string, indicators: [ip]}\n",
         '{"συνθηματικό": "pw", "ctx": {"src.ip": "10.0.0.1"}}',
         {"synthimatiko": "pw", "ctx": {"src_ip": "10.0.0.1"}, "p_any_ip_addresses": ["10.0.0.1"]}),
    # --- empty values kept ----------------------------------------------------------------------------------
    Case("empty-string-object-array-nulls-json", f"{PL}/null/string.go (IsEmpty only for null)",
         "fields:\n  - {name: s, type: string}\n  - name: o\n    type: object\n    fields:\n      - {name: k, type: string}\n"
         "  - {name: arr, type: array, element: {type: string}}\n  - {name: j1, type: json}\n  - {name: j2, type: json}\n"
         "  - {name: j3, type: json}\n  - {name: n, type: string}\n",
         '{"s": "", "o": {}, "arr": ["a", null, ""], "j1": {}, "j2": [], "j3": null, "n": null}',
         {"s": "", "o": {}, "arr": ["a", None, ""], "j1": {}, "j2": [], "j3": None}),
    Case("required-empty-string-passes", f"{PL}/null/string.go + validator required (null or missing only)",
         "fields:\n  - {name: s, type: string, required: true}\n", '{"s": ""}', {"s": ""}),
    Case("required-null-fails", f"{PL}/validator.go (required: missing or null)",
         "fields:\n  - {name: s, type: string, required: true}\n", '{"s": null}', Error("s", "required")),
    Case("required-missing-fails", f"{PL}/validator.go (required: missing or null)",
         "fields:\n  - {name: s, type: string, required: true}\n  - {name: t, type: string}\n", '{"t": "x"}',
         Error("s", "required")),
    # --- numbers -------------------------------------------------------------------------------------------
    Case("number-literals-in-string-fields", f"{PL}/null/string.go (iter.ReadNumber().String())",
         "fields:\n  - {name: a, type: string}\n  - {name: b, type: string}\n  - {name: c, type: string}\n"
         "  - {name: d, type: string}\n",
         '{"a": 1.50, "b": 1e3, "c": -0, "d": 12345678901234567890123}',
         {"a": "1.50", "b": "1e3", "c": "-0", "d": "12345678901234567890123"}),
    Case("int-rejects-fraction", f"{PL}/null/int64.go (ReadInt64 / strconv.ParseInt)",
         "fields:\n  - {name: n, type: int}\n", '{"n": 1.0}', Error("n", "not an integer")),
    Case("int-rejects-exponent", f"{PL}/null/int64.go (ReadInt64 / strconv.ParseInt)",
         "fields:\n  - {name: n, type: bigint}\n", '{"n": 1e3}', Error("n", "not an integer")),
    Case("int-rejects-padded-text", f"{PL}/null/int64.go (strconv.ParseInt)",
         "fields:\n  - {name: n, type: int}\n", '{"n": " 1"}', Error("n", "not an integer")),
    Case("int-text-with-sign", f"{PL}/null/int64.go (strconv.ParseInt)",
         "fields:\n  - {name: n, type: int}\n  - {name: m, type: smallint}\n", '{"n": "+7", "m": "-7"}',
         {"n": 7, "m": -7}),
    Case("trailing-data-after-the-value", "internal/log_analysis/log_processor/customlogs/customparser/customparser.go "
         "(one ReadVal per line)",
         "fields:\n  - {name: a, type: string}\n", '{"a": "x"} {"a": "y"} trailing', {"a": "x"}),
    # --- timestamps ----------------------------------------------------------------------------------------
    Case("unix-fraction-to-microseconds", f"{PL}/tcodec/unix.go UnixSeconds (int64(sec*1e6) microseconds)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: [unix]}\n", '{"t": 1714564800.123456789}',
         {"t": "2024-05-01 12:00:00.123456000"}),
    Case("unix-exponent-text", f"{PL}/tcodec/unix.go (strconv.ParseFloat)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: [unix]}\n", '{"t": "1.7145648e9"}',
         {"t": "2024-05-01 12:00:00.000000000"}),
    Case("unix-ms-integers-only", f"{PL}/tcodec/unix.go unixCodec (ReadInt64 / ParseInt)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: [unix_ms]}\n", '{"t": 1714564800000.5}',
         Error("t", "not an integer")),
    Case("unix-ms-text", f"{PL}/tcodec/unix.go unixCodec (ParseInt)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: [unix_ms]}\n", '{"t": "1714564800001"}',
         {"t": "2024-05-01 12:00:00.001000000"}),
    Case("rfc3339-fraction-beyond-nine-digits", "Go time.Parse(time.RFC3339Nano) (extra digits truncated)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: [rfc3339]}\n", '{"t": "2024-05-01T12:00:00.1234567891Z"}',
         {"t": "2024-05-01 12:00:00.123456789"}),
    Case("rfc3339-lower-case-rejected", "Go time.Parse(time.RFC3339) ('T' and 'Z' literal upper case)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: [rfc3339]}\n", '{"t": "2024-05-01t12:00:00z"}',
         Error("t", "not RFC 3339")),
    Case("zero-time-dropped", f"{PL}/tcodec/extension.go (IsEmpty: tm.IsZero())",
         "fields:\n  - {name: t, type: timestamp, timeFormats: [rfc3339]}\n  - {name: s, type: string}\n",
         '{"t": "0001-01-01T00:00:00Z", "s": "x"}', {"s": "x"}),
    Case("strftime-year-1900-and-carry", "itchyny/timefmt-go parse.go (default 1900, time.Date normalises)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: ['%b %d %H:%M:%S']}\n", '{"t": "Feb 30 24:00:01"}',
         {"t": "1900-03-03 00:00:01.000000000"}),
    Case("strftime-short-fields-offset-fraction", "itchyny/timefmt-go parse.go (1–2 digits, %z ±hhmm, %f ≤ 6 digits)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: ['%Y-%m-%d %H:%M:%S.%f %z']}\n",
         '{"t": "2024-5-1 2:03:04.5 +0130"}', {"t": "2024-05-01 00:33:04.500000000"}),
    Case("strftime-zone-abbreviation", "itchyny/timefmt-go parse.go (%Z through time.Parse(\"MST\"): offset zero)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: ['%Y-%m-%d %H:%M:%S %Z']}\n",
         '{"t": "2024-05-01 12:00:00 PDT"}', {"t": "2024-05-01 12:00:00.000000000"}),
    Case("go-layout", f"{PL}/tcodec/extension.go (`layout=` tag is a Go time layout)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: ['layout=2/Jan/2006:15:04:05 -0700']}\n",
         '{"t": "6/Feb/2019:00:00:38 +0130"}', {"t": "2019-02-05 22:30:38.000000000"}),
    Case("go-layout-checks-ranges", "Go time.Parse (day out of range is an error)",
         "fields:\n  - {name: t, type: timestamp, timeFormats: ['layout=2006-01-02']}\n", '{"t": "2024-02-30"}',
         Error("t", "day out of range")),
    # --- indicators ----------------------------------------------------------------------------------------
    Case("arn-instance-from-last-segment", f"{PL}/scanners_aws.go ScanARN",
         "fields:\n  - {name: a, type: string, indicators: [aws_arn]}\n  - {name: b, type: string, indicators: [aws_arn]}\n",
         '{"a": "arn:aws:ec2:us-east-1:123456789012:instance/x/i-0abc", "b": "arn:aws:ec2:us-east-1:123456789012:instance/"}',
         {"a": "arn:aws:ec2:us-east-1:123456789012:instance/x/i-0abc", "b": "arn:aws:ec2:us-east-1:123456789012:instance/",
          "p_any_aws_arns": ["arn:aws:ec2:us-east-1:123456789012:instance/",
                             "arn:aws:ec2:us-east-1:123456789012:instance/x/i-0abc"],
          "p_any_aws_account_ids": ["123456789012"], "p_any_aws_instance_ids": ["i-0abc"]}),
    Case("aws-scanners-do-not-trim", f"{PL}/scanners_aws.go (no TrimSpace) vs scanners.go ScanIPAddress (TrimSpace)",
         "fields:\n  - {name: a, type: string, indicators: [aws_arn]}\n"
         "  - {name: c, type: string, indicators: [aws_account_id]}\n"
         "  - {name: i, type: string, indicators: [ip]}\n",
         '{"a": " arn:aws:iam::123456789012:root", "c": "123456789012 ", "i": " 10.0.0.1 "}',
         {"a": " arn:aws:iam::123456789012:root", "c": "123456789012 ", "i": " 10.0.0.1 ",
          "p_any_ip_addresses": ["10.0.0.1"]}),
    Case("url-host-through-url-parse", f"{PL}/scanners.go ScanURL (url.Parse, Hostname)",
         "fields:\n  - {name: a, type: string, indicators: [url]}\n  - {name: b, type: string, indicators: [url]}\n"
         "  - {name: c, type: string, indicators: [url]}\n",
         '{"a": "example.com/path", "b": "https://Example.COM:8443/x?q=1", "c": "http://[2001:db8::1]:80/"}',
         {"a": "example.com/path", "b": "https://Example.COM:8443/x?q=1", "c": "http://[2001:db8::1]:80/",
          "p_any_domain_names": ["Example.COM"], "p_any_ip_addresses": ["2001:db8::1"]}),
    Case("punycode-only-xn-prefix", "issue 15 (punycode decoded only for values starting xn--)",
         "fields:\n  - {name: a, type: string, indicators: [hostname]}\n  - {name: b, type: string, indicators: [domain]}\n",
         '{"a": "xn--bcher-kva.example", "b": "www.xn--bcher-kva.example"}',
         {"a": "xn--bcher-kva.example", "b": "www.xn--bcher-kva.example",
          "p_any_domain_names": ["bücher.example", "www.xn--bcher-kva.example"]}),
    Case("ipv6-zone-is-not-an-ip", f"{PL}/scanners.go checkIPAddress (net.ParseIP takes no zone)",
         "fields:\n  - {name: h, type: string, indicators: [hostname]}\n", '{"h": "fe80::1%eth0"}',
         {"h": "fe80::1%eth0", "p_any_domain_names": ["fe80::1%eth0"]}),
    Case("net-addr-split-host-port", f"{PL}/scanners.go ScanNetworkAddress (net.SplitHostPort)",
         "fields:\n  - {name: a, type: string, indicators: [net_addr]}\n  - {name: b, type: string, indicators: [net_addr]}\n"
         "  - {name: c, type: string, indicators: [net_addr]}\n",
         '{"a": "[::1]:443", "b": "10.0.0.1:80", "c": "db.internal"}',
         {"a": "[::1]:443", "b": "10.0.0.1:80", "c": "db.internal", "p_any_ip_addresses": ["10.0.0.1", "::1"],
          "p_any_domain_names": ["db.internal"]}),
    # --- text parsers --------------------------------------------------------------------------------------
    Case("regex-searches-anywhere", "internal/log_analysis/log_processor/preprocessors/regexmatch.go + pkg/x/gork "
         "(FindStringSubmatchIndex, not anchored)",
         "parser:\n  regex:\n    match: ['user=%{NOTSPACE:user}']\nfields:\n  - {name: user, type: string}\n",
         "2024-05-01 login ok user=bob from=x", {"user": "bob"}),
    Case("grok-ipv4-octets-strict", "pkg/x/gork/builtin.go (IPV4INT)",
         "parser:\n  regex:\n    match: ['^%{IPV4:ip} ']\nfields:\n  - {name: ip, type: string}\n",
         "256.1.1.1 x", Error("", "does not match")),
    Case("grok-builtins", "pkg/x/gork/builtin.go (CISCOMAC, WINPATH, TIMESTAMP_RFC2822, KITCHEN)",
         "parser:\n  regex:\n    match: ['%{CISCOMAC:mac} %{WINPATH:path} at %{TIMESTAMP_RFC2822:ts} %{KITCHEN:k}']\n"
         "fields:\n  - {name: mac, type: string}\n  - {name: path, type: string}\n  - {name: ts, type: string}\n"
         "  - {name: k, type: string}\n",
         "0001.0203.0405 C:\\temp\\a.txt at Mon, 12 Feb 2024 10:00:00 +0100 09:30",
         {"mac": "0001.0203.0405", "path": "C:\\temp\\a.txt", "ts": "Mon, 12 Feb 2024 10:00:00 +0100", "k": "09:30"}),
    Case("regex-group-not-taken-is-empty", "pkg/x/gork/gork.go sliceMatch (unmatched group → \"\")",
         "parser:\n  regex:\n    match: ['a=%{WORD:a}(?: b=%{WORD:b})?']\nfields:\n  - {name: a, type: string}\n"
         "  - {name: b, type: string}\n", "a=x", {"a": "x", "b": ""}),
    Case("csv-extra-fields-ignored-missing-empty", "internal/log_analysis/log_processor/preprocessors/csv.go zipFields",
         "parser:\n  csv: {delimiter: ',', columns: [a, b, c]}\nfields:\n  - {name: a, type: string}\n"
         "  - {name: b, type: int}\n  - {name: c, type: string}\n", "x,7,,extra", {"a": "x", "b": 7, "c": ""}),
    Case("expand-fields-tags-trimmed", "internal/log_analysis/log_processor/preprocessors/text.go normalizeTemplate",
         "parser:\n  fastmatch:\n    match: ['%{a} %{b}']\n    expandFields: {ab: '%{ a }-%{b }'}\nfields:\n"
         "  - {name: a, type: string}\n  - {name: b, type: string}\n  - {name: ab, type: string}\n",
         "x y", {"a": "x", "b": "y", "ab": "x-y"}),
    Case("fastmatch-escapes", "pkg/x/fastmatch/fastmatch.go matchQuoted (strconv.UnquoteChar)",
         "parser:\n  fastmatch:\n    match: ['%{a} \"%{q}\" %{rest}']\nfields:\n  - {name: a, type: string}\n"
         "  - {name: q, type: string}\n  - {name: rest, type: string}\n",
         'x "say \\"hi\\" \\u00e9\\t!" tail', {"a": "x", "q": 'say "hi" é\t!', "rest": "tail"}),
    Case("fastmatch-bare-quote-without-backslash", "pkg/x/fastmatch/fastmatch.go match (fast case: first delimiter)",
         "parser:\n  fastmatch:\n    match: ['%{a} \"%{q}\" %{rest}']\nfields:\n  - {name: a, type: string}\n"
         "  - {name: q, type: string}\n  - {name: rest, type: string}\n",
         'x "a"b" tail', {"a": "x", "q": 'a"b', "rest": "tail"}),
    Case("fastmatch-trailing-text-ignored", "pkg/x/fastmatch/fastmatch.go MatchString (done after the last delimiter)",
         "parser:\n  fastmatch:\n    match: ['[%{a}] %{b};']\nfields:\n  - {name: a, type: string}\n"
         "  - {name: b, type: string}\n",
         "[x] y; and more", {"a": "x", "b": "y"}),
    Case("fastmatch-line-not-trimmed", "internal/log_analysis/log_processor/preprocessors/text.go (no trim before match)",
         "parser:\n  fastmatch:\n    match: ['[%{a}] %{b}']\nfields:\n  - {name: a, type: string}\n  - {name: b, type: string}\n",
         " [x] y", Error("", "does not match")),
    # --- schema features -----------------------------------------------------------------------------------
    Case("type-ref-definitions", "internal/log_analysis/log_processor/logschema/logschema.go (TypeRef, Definitions)",
         "definitions:\n  Actor:\n    type: object\n    fields:\n      - {name: id, type: string}\n"
         "fields:\n  - {name: who, type: ref, target: Actor}\n", '{"who": {"id": "u1"}}', {"who": {"id": "u1"}}),
]


def _run(case: Case):
    parser = compile_parser(_schema(case.schema))
    return parser.parse(Record("b", case.key or "k", 1, case.line))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_panther_stored_event(case: Case):
    got = _run(case)
    if isinstance(case.want, Error):
        assert isinstance(got, ParseError), got
        assert got.field == case.want.field and case.want.words in got.reason, got
        return
    assert isinstance(got, dict), got
    want = {**case.want, "p_log_type": "Custom.Case", "p_source_file": {"aws_s3_bucket": "b", "aws_s3_key": case.key or "k"}}
    ignore = {"p_row_id", "p_parse_time"} | ({"p_event_time"} if "p_event_time" not in want else set())
    assert {k: v for k, v in got.items() if k not in ignore} == want


def test_csv_field_count_fixed_by_the_first_row():
    # preprocessors/csv.go: Go's csv.Reader sets FieldsPerRecord from the first record it reads
    p = compile_parser(_schema("parser:\n  csv: {delimiter: ',', columns: [a, b]}\nfields:\n  - {name: a, type: string}\n"))
    assert p.parse(Record("b", "k", 1, "x,y,z"))["a"] == "x"
    err = p.parse(Record("b", "k", 2, "x,y"))
    assert isinstance(err, ParseError) and "wrong number of fields" in err.reason


def test_parser_native_is_refused_with_a_clear_message():
    with pytest.raises(WorkbenchError, match="built-in Go parsers"):
        compile_parser(_schema("parser:\n  native:\n    name: AWS.CloudTrail\nfields:\n  - {name: a, type: string}\n"))


# --- a stored event parses back to itself ----------------------------------------------------------------

ROUND_TRIP = _schema("""\
fields:
  - {name: ts, type: timestamp, timeFormats: ['layout=2006-01-02 15:04:05.000000000', rfc3339], isEventTime: true}
  - {name: s, type: string, indicators: [ip, email]}
  - {name: n, type: bigint}
  - {name: f, type: float}
  - {name: b, type: boolean}
  - {name: j, type: json}
  - {name: tags, type: array, element: {type: string}}
  - name: o
    type: object
    fields:
      - {name: k, type: string}
      - {name: v, type: int}
""")
_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                     max_leaves=6)
_INPUTS = st.fixed_dictionaries({}, optional={
    "ts": st.sampled_from(["2024-05-01T12:00:00Z", "2024-05-01T12:00:00.5+02:00", "1999-12-31T23:59:59.999999999Z"]),
    "s": st.one_of(st.text(max_size=8), st.sampled_from(["10.0.0.1", "a@b.c", ""]), st.integers(), st.booleans()),
    "n": st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-999, 999).map(str)),
    "f": st.floats(allow_nan=False, allow_infinity=False),
    "b": st.one_of(st.booleans(), st.sampled_from(["true", "F", "1"])),
    "j": _JSON,
    "tags": st.lists(st.one_of(st.none(), st.text(max_size=4)), max_size=4),
    "o": st.fixed_dictionaries({}, optional={"k": st.text(max_size=4), "v": st.integers(-(2**31), 2**31 - 1)}),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj=_INPUTS)
def test_a_stored_event_parses_back_to_itself(obj):
    parser = compile_parser(ROUND_TRIP)
    first = parser.parse(Record("b", "k", 1, json.dumps(obj)))
    assert isinstance(first, dict), first
    stored = {k: v for k, v in first.items() if not k.startswith("p_")}
    second = parser.parse(Record("b", "k", 1, event_to_json(stored).decode()))
    assert isinstance(second, dict), second
    ignore = {"p_row_id", "p_parse_time"} | ({"p_event_time"} if "ts" not in stored else set())
    assert {k: v for k, v in second.items() if k not in ignore} == {k: v for k, v in first.items() if k not in ignore}


# --- the shipped managed types ---------------------------------------------------------------------------

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
CT = ('{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:x","arn":'
      '"arn:aws:sts::111122223333:assumed-role/Admin/x","accountId":"111122223333","sessionContext":{"attributes":'
      '{"creationDate":"2026-05-01T11:00:00Z","mfaAuthenticated":"false"},"webIdFederationData":{"federatedProvider":'
      '"cognito-identity.amazonaws.com","attributes":{"roleArn":"arn:aws:iam::444455556666:role/Web"}}}},'
      '"eventTime":"2026-05-01T12:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances",'
      '"awsRegion":"us-east-1","sourceIPAddress":"ec2.amazonaws.com","requestParameters":{"instanceType":"t3.micro",'
      '"iamInstanceProfile":{"arn":"arn:aws:iam::111122223333:instance-profile/web"}},"responseElements":'
      '{"instancesSet":{"items":[{"instanceId":"i-0abc1234","privateIpAddress":"10.0.0.5","privateDnsName":'
      '"ip-10-0-0-5.ec2.internal","tagSet":{}}]},"ownerId":"111122223333"},"additionalEventData":{"vpcEndpointAccountId":'
      '"777788889999"},"eventID":"e1","eventType":"AwsApiCall","resources":[{"ARN":"arn:aws:ec2:us-east-1:111122223333:'
      'instance/i-0abc1234","accountId":"111122223333","type":"AWS::EC2::Instance"}]}')


def test_cloudtrail_as_panthers_managed_parser():
    # awslogs/cloudtrail.go: resources[].arn (keys read case-insensitively), mfaAuthenticated and creationDate
    # stored as text, indicators from the free-form payloads and the web identity federation attributes
    parser = compile_parser(load_schema(SCHEMAS / "AWS.CloudTrail.yml"))
    ev = parser.parse(Record("b", "k", 1, CT))
    assert isinstance(ev, dict), ev
    assert ev["resources"] == [{"arn": "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc1234",
                                "accountId": "111122223333", "type": "AWS::EC2::Instance"}]
    attrs = ev["userIdentity"]["sessionContext"]["attributes"]
    assert attrs == {"creationDate": "2026-05-01T11:00:00Z", "mfaAuthenticated": "false"}
    assert ev["p_any_aws_arns"] == ["arn:aws:ec2:us-east-1:111122223333:instance/i-0abc1234",
                                    "arn:aws:iam::111122223333:instance-profile/web",
                                    "arn:aws:iam::444455556666:role/Web",
                                    "arn:aws:sts::111122223333:assumed-role/Admin/x"]
    assert ev["p_any_aws_account_ids"] == ["111122223333", "444455556666", "777788889999"]
    assert ev["p_any_aws_instance_ids"] == ["i-0abc1234"]
    assert ev["p_any_ip_addresses"] == ["10.0.0.5"]
    assert ev["p_any_domain_names"] == ["ec2.amazonaws.com", "ip-10-0-0-5.ec2.internal"]
    assert "p_any_usernames" not in ev


S3_LINE = ("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be bucket1 [06/Feb/2019:00:00:38 +0000] "
           "192.0.2.3 arn:aws:iam::111122223333:user/bob 3E57427F3EXAMPLE REST.GET.VERSIONING - "
           '"GET /bucket1?versioning HTTP/1.1" 200 - 113 abc 7 - "https://example.com/" "S3Console/0.4" - '
           "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 "
           "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket1.s3.us-west-1.amazonaws.com TLSV1.2 "
           "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1")


def test_s3_server_access_as_panthers_managed_parser():
    # awslogs/s3_server_access.go: columns past the 25th in additionalFields, a number that does not read left
    # out, the requester indexed only as an ARN, remoteip as an IP; fewer than 25 columns are rejected
    parser = compile_parser(load_schema(SCHEMAS / "AWS.S3ServerAccess.yml"))
    ev = parser.parse(Record("b", "k", 1, S3_LINE))
    assert isinstance(ev, dict), ev
    assert ev["additionalFields"] == ["arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP", "Yes", "us-east-1"]
    assert ev["time"] == ev["p_event_time"] == "2019-02-06 00:00:38.000000000"
    assert ev["httpstatus"] == 200 and ev["bytessent"] == 113 and "objectsize" not in ev and ev["totaltime"] == 7
    assert ev["p_any_aws_arns"] == ["arn:aws:iam::111122223333:user/bob"] and "p_any_aws_account_ids" not in ev
    assert ev["p_any_ip_addresses"] == ["192.0.2.3"] and "p_any_domain_names" not in ev
    short = S3_LINE.split(" SigV4 ")[0]
    err = parser.parse(Record("b", "k", 2, short))
    assert isinstance(err, ParseError)
    bad = parser.parse(Record("b", "k", 3, S3_LINE.replace('HTTP/1.1" 200 ', 'HTTP/1.1" 999 ')))
    assert isinstance(bad, ParseError) and "between 100 and 600" in bad.reason  # validate:"max=600,min=100"


def test_schema_test_files_compare_stored_names(tmp_path):
    # a pantherlog test file's result holds the stored columns; its RFC 3339 timestamps still compare equal
    from workbench.parse.schema_tests import run_schema_tests

    (tmp_path / "S.yml").write_text("schema: Custom.S\nfields:\n  - {name: '@timestamp', type: timestamp, "
                                    "timeFormats: [rfc3339], isEventTime: true}\n", encoding="utf-8")
    (tmp_path / "S_tests.yml").write_text(
        'name: one\nlogType: Custom.S\ninput: \'{"@timestamp": "2024-05-01T12:00:00Z"}\'\nresult: |\n'
        '  {"at_sign_timestamp": "2024-05-01T12:00:00Z", "p_log_type": "Custom.S", '
        '"p_event_time": "2024-05-01T12:00:00Z"}\n', encoding="utf-8")
    report = run_schema_tests([tmp_path])
    assert report.ok, [r.to_json() for r in report.results]


@settings(max_examples=400, deadline=None)
@given(pattern=st.sampled_from(['%{a} %{b}', '[%{a}] "%{q}" %{rest}', '%{a}::%{b};', "%{a} '%{q}' %{}", 'x=%{a}, y=%{b}']),
       text=st.text(alphabet=' ab:;[]"\',=xy', max_size=24))
def test_fastmatch_one_regex_equals_the_stepwise_walk(pattern, text):
    # without a backslash in the line the C regex stands in for pkg/x/fastmatch's field-by-field walk
    from workbench.parse.text import FastPattern

    fp = FastPattern(pattern)
    assert fp.groups(text) == fp.groups_stepwise(text)
