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
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.schema.indicators import CompiledScanner, compile_scanner

Hits = list  # the parser's per-event list of encoded indicator hits


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


def _scanner(name: str) -> CompiledScanner:
    scanner = compile_scanner([name])
    assert scanner is not None, f"no indicator scanner named {name}"
    return scanner


_IP = _scanner("ip")
_HOSTNAME = _scanner("hostname")
_DOMAIN = _scanner("domain")
_ARN = _scanner("aws_arn")
_ACCOUNT = _scanner("aws_account_id")
_INSTANCE = _scanner("aws_instance_id")
_TAG = _scanner("aws_tag")
_MD5 = _scanner("md5")
_SHA1 = _scanner("sha1")
_SHA256 = _scanner("sha256")
_USERNAME = _scanner("username")
_TRACE = _scanner("trace_id")


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


# --- shared pieces --------------------------------------------------------------------------------------------

def _split_list(raw: dict, *names: str, sep: str = ",") -> dict:
    """Comma-separated text columns → arrays, as the managed text parsers store them ("" → absent)."""
    for n in names:
        v = raw.get(n)
        if isinstance(v, str):
            if v and v != "-":
                raw[n] = v.split(sep)
            else:
                del raw[n]
    return raw


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# IPv4 only, anywhere in the text (also "src=10.0.0.1" or "10.0.0.1:22"), as Panther's AppendAnyIPAddressInField
# finds them; not inside a longer run of digits and dots such as a version number
_IPV4_IN_TEXT = re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\d|\.\d)")


def _ips_in_text(text: str | None, hits: Hits) -> None:
    """IPv4 addresses found anywhere in free text."""
    if text and "." in text:
        for ip in _IPV4_IN_TEXT.findall(text):
            _IP(ip, hits)


def _hostname_or_ip(v: Any, hits: Hits) -> None:
    if isinstance(v, str) and v:
        _HOSTNAME(v, hits)


# --- syslog ---------------------------------------------------------------------------------------------------

def _syslog_priority(raw: dict) -> dict:
    """priority → facility and severity (priority = facility * 8 + severity), as go-syslog computes them."""
    pri = raw.get("priority")
    if pri is None or pri == "":
        raise ValueError("no <priority> at the start of the line")
    n = int(pri)
    if not 0 <= n <= 191:
        raise ValueError(f"priority {n} is out of range (0-191)")
    raw["facility"] = n // 8
    raw["severity"] = n % 8
    return raw


_SD_ELEMENT = re.compile(r'\[([^\s\]=]+)((?:\s+[^\s=\]]+="(?:[^"\\]|\\.)*")*)\s*\]')
_SD_PARAM = re.compile(r'([^\s=\]]+)="((?:[^"\\]|\\.)*)"')
_SD_UNESCAPE = re.compile(r'\\(["\\\]])')


def _syslog_3164(raw: dict) -> dict:
    """RFC 3164: the priority split; a yearless timestamp gets the current UTC year (go-syslog's CurrentYear),
    which the schema's `%Y %b %e %H:%M:%S` format then reads."""
    _syslog_priority(raw)
    ts = raw.get("timestamp")
    if isinstance(ts, str) and ts[:1].isalpha():
        raw["timestamp"] = f"{time.gmtime().tm_year} {ts}"
    return raw


def _syslog_5424(raw: dict) -> dict:
    """RFC 5424: priority split, NILVALUE `-` fields dropped, STRUCTURED-DATA text → {sd-id: {param: value}}."""
    _syslog_priority(raw)
    for k in ("timestamp", "hostname", "appname", "procid", "msgid"):
        if raw.get(k) == "-":
            del raw[k]
    sd = raw.pop("structured_data", None)
    if sd and sd != "-":
        out: dict[str, dict[str, str]] = {}
        pos = 0
        while pos < len(sd):
            m = _SD_ELEMENT.match(sd, pos)
            if m is None:
                raise ValueError(f"structured data is not [id param=\"value\"…] at {sd[pos:pos + 40]!r}")
            params = out.setdefault(m.group(1), {})
            for pm in _SD_PARAM.finditer(m.group(2)):
                params[pm.group(1)] = _SD_UNESCAPE.sub(r"\1", pm.group(2))
            pos = m.end()
        raw["structured_data"] = out
    msg = raw.get("message")
    if isinstance(msg, str) and msg.startswith("\ufeff"):  # the BOM RFC 5424 puts before a UTF-8 MSG
        raw["message"] = msg[1:]
    return raw


def _syslog_scan(event: dict, hits: Hits) -> None:
    _hostname_or_ip(event.get("hostname"), hits)
    _ips_in_text(event.get("message"), hits)


# --- AWS ------------------------------------------------------------------------------------------------------

_ALB_REQUEST = re.compile(r"(\S+) (.*) (\S+)\Z", re.DOTALL)


def _alb(raw: dict) -> dict:
    """ALB: `ip:port` pairs split at the last colon; the request line split in three; lists split at commas."""
    for side in ("client", "target"):
        pair = raw.pop(f"{side}IpPort", None)
        if pair and pair != "-":
            host, sep, port = pair.rpartition(":")
            if sep and port.isdigit():
                raw[f"{side}Ip"], raw[f"{side}Port"] = host.strip("[]"), port
            else:
                raw[f"{side}Ip"] = pair
    request = raw.pop("request", None)
    if request:
        m = _ALB_REQUEST.match(request)
        if m is None:
            raise ValueError(f"request {request!r} is not 'METHOD URL VERSION'")
        method, url, version = m.groups()
        for k, v in (("requestHttpMethod", method), ("requestUrl", url), ("requestHttpVersion", version)):
            if v != "-":
                raw[k] = v
    return _split_list(raw, "actionsExecuted", "targetPortList", "targetStatusCodeList")


def _vpc_flow(raw: dict) -> dict:
    # "unknown" is what AWS writes for an account it cannot attribute; Panther stores no account then
    if raw.get("account-id") == "unknown":
        del raw["account-id"]
    return raw


_KEY_KINDS: dict[str, Callable | None] = {}  # payload key → the scanner its string values go to (cached per key)


def _key_kind(key: str) -> Callable | None:
    kind = _KEY_KINDS.get(key, _KEY_KINDS)
    if kind is _KEY_KINDS:
        if key == "instanceId" or key.endswith("InstanceId"):
            kind = _instance_id
        elif key == "accountId" or key.endswith("AccountId"):
            kind = _ACCOUNT
        elif key in ("publicIp", "privateIpAddress", "ipAddressV4"):
            kind = _IP
        elif key in ("publicDnsName", "privateDnsName", "domain"):
            kind = _DOMAIN
        else:
            kind = None
        if len(_KEY_KINDS) < 65536:
            _KEY_KINDS[key] = kind
    return kind  # type: ignore[return-value]  # the sentinel (the dict itself) was replaced just above


def _instance_id(value: str, hits: Hits) -> None:
    if value.startswith("i-"):
        _INSTANCE(value, hits)


def _aws_walk(value: Any, hits: Hits, key: str = "") -> None:
    """Panther's AWS extractor over a free-form payload: ARNs anywhere, and values under well-known keys."""
    t = type(value)
    if t is dict:
        for k, v in value.items():
            tv = type(v)
            if tv is str:
                if v:
                    if v[:4] == "arn:":
                        _ARN(v, hits)
                    else:
                        kind = _key_kind(k)
                        if kind is not None:
                            kind(v, hits)
            elif tv is dict:
                _aws_walk(v, hits, k)
            elif tv is list:
                if k == "tags":
                    for tag in v:
                        if type(tag) is dict and _text(tag.get("key")) and _text(tag.get("value")):
                            _TAG(f"{tag['key']}:{tag['value']}", hits)
                elif k == "ipv6Addresses":
                    for a in v:
                        if type(a) is str:
                            _IP(a, hits)
                else:
                    _aws_walk(v, hits, k)
    elif t is list:
        for v in value:
            _aws_walk(v, hits, key)
    elif t is str and value:
        if value[:4] == "arn:":
            _ARN(value, hits)
        else:
            kind = _key_kind(key)
            if kind is not None:
                kind(value, hits)


_S3_INTS = ("httpstatus", "bytessent", "objectsize", "totaltime", "turnaroundtime")
_ATOI = re.compile(r"[+-]?\d+\Z", re.ASCII)
_OWNER = re.compile(r"[A-Za-z0-9]{64}\Z")


def _s3_access(raw: dict) -> dict:
    """S3 server access logs as Panther's managed parser stores them (awslogs/s3_server_access.go): the columns
    after the 25th as an array of text, a number that does not read left out (CsvStringToIntPointer)."""
    rest = raw.pop("additionalFields", None)
    if rest:
        raw["additionalFields"] = rest.split(" ")
    for k in _S3_INTS:
        v = raw.get(k)
        if v is not None and not _ATOI.match(v):
            del raw[k]
    return raw


_S3_POSITIONS: dict[tuple[str, ...], tuple[tuple[int, ...], int]] = {}  # pattern's names → int / extra positions


def _s3_access_groups(g: list, names: tuple[str, ...]) -> list:
    """`_s3_access` on the fastmatch groups: a number that does not read becomes "-" (no value)."""
    where = _S3_POSITIONS.get(names)
    if where is None:
        where = _S3_POSITIONS[names] = (tuple(i for i, n in enumerate(names) if n in _S3_INTS),
                                        names.index("additionalFields") if "additionalFields" in names else -1)
    ints, extra = where
    for i in ints:
        v = g[i]
        if not (v.isdigit() and v.isascii()) and v != "-" and not _ATOI.match(v):
            g[i] = "-"
    if extra >= 0:
        g[extra] = g[extra].split(" ")
    return g


def _s3_access_check(event: dict, hits: Hits) -> None:
    """The managed struct's validate tags: HTTP status within 100–600, a 64-character canonical owner id."""
    status = event.get("httpstatus")
    if status is not None and not 100 <= status <= 600:
        raise ValueError(f"httpstatus {status} is not between 100 and 600")
    owner = event.get("bucketowner")
    if owner is not None and not _OWNER.match(owner):
        raise ValueError("bucketowner is not a 64-character canonical user id")


def _cloudtrail(raw: dict) -> dict:
    """CloudTrail resources: Panther's managed parser reads JSON keys case-insensitively, so AWS's `ARN`
    is stored as the struct's `arn` (awslogs/cloudtrail.go CloudTrailResources)."""
    resources = raw.get("resources")
    if type(resources) is list:
        for r in resources:
            if type(r) is dict and "ARN" in r and "arn" not in r:
                r["arn"] = r.pop("ARN")
    return raw


_CLOUDTRAIL_PAYLOADS = ("additionalEventData", "requestParameters", "responseElements", "serviceEventDetails")


def _cloudtrail_scan(event: dict, hits: Hits) -> None:
    """Indicators inside CloudTrail's free-form payloads (awslogs/cloudtrail.go WriteValuesTo: the AWS
    extractor over the four payloads and the web identity federation attributes)."""
    for k in _CLOUDTRAIL_PAYLOADS:
        v = event.get(k)
        if v:
            _aws_walk(v, hits)
    fed = ((event.get("userIdentity") or {}).get("sessionContext") or {}).get("webIdFederationData")
    if type(fed) is dict and fed.get("attributes"):
        _aws_walk(fed["attributes"], hits)


def _guardduty_scan(event: dict, hits: Hits) -> None:
    _aws_walk(event.get("resource"), hits)
    service = event.get("service")
    if isinstance(service, dict):
        _aws_walk(service.get("additionalInfo"), hits)
        _aws_walk(service.get("action"), hits)


def _asff_scan(event: dict, hits: Hits) -> None:
    """Security Hub findings: resources' ARNs and details, network endpoints, process and threat-intel values."""
    for r in event.get("Resources") or ():
        if isinstance(r, dict):
            rid = _text(r.get("Id"))
            if rid and rid.startswith("arn:"):
                _ARN(rid, hits)
            _aws_walk(r.get("Details"), hits)
    net = event.get("Network")
    if isinstance(net, dict):
        for k in ("SourceIpV4", "SourceIpV6", "DestinationIpV4", "DestinationIpV6"):
            if _text(net.get(k)):
                _IP(net[k], hits)
        for k in ("SourceDomain", "DestinationDomain"):
            if _text(net.get(k)):
                _DOMAIN(net[k], hits)
    for ind in event.get("ThreatIntelIndicators") or ():
        if not isinstance(ind, dict) or not _text(ind.get("Value")):
            continue
        kind, value = ind.get("Type"), ind["Value"]
        if kind in ("IPV4_ADDRESS", "IPV6_ADDRESS"):
            _IP(value, hits)
        elif kind == "DOMAIN":
            _DOMAIN(value, hits)
        elif kind == "HASH_MD5":
            _MD5(value, hits)
        elif kind == "HASH_SHA1":
            _SHA1(value, hits)
        elif kind == "HASH_SHA256":
            _SHA256(value, hits)


# --- web servers ----------------------------------------------------------------------------------------------

def _apache(raw: dict) -> dict:
    # Panther's Apache parser stores response_size 0 for "-" (no body), not null
    if raw.get("response_size") in (None, "-"):
        raw["response_size"] = "0"
    return raw


# --- endpoints and DNS ----------------------------------------------------------------------------------------

_OSQUERY_IP_COLUMNS = ("local_address", "remote_address", "address", "host_ip", "ipv4_address")


def _osquery_scan(event: dict, hits: Hits) -> None:
    cols = event.get("columns")
    if not isinstance(cols, dict):
        return
    for k in _OSQUERY_IP_COLUMNS:
        v = cols.get(k)
        if isinstance(v, str) and v:
            _IP(v, hits)
    _hostname_or_ip(cols.get("host"), hits)


_ZEEK_DNS_COLUMNS = ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id", "rtt",
                     "query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode", "rcode_name", "AA", "TC", "RD",
                     "RA", "Z", "answers", "TTLs", "rejected")
_ZEEK_VECTORS = frozenset(("answers", "TTLs"))
_HEADERS_KEPT = 256  # objects whose #fields header is remembered (a parser reads a few objects at a time)


def _zeek_tsv_splitter() -> Callable[[str, str], dict | None]:
    """Zeek's default TSV layout: `#fields` names the columns of the object it heads (Zeek's dns.log order
    when a sample starts past the header), `-` is unset, `(empty)` an empty vector, vectors comma-separated."""
    columns_by_key: dict[str, tuple[str, ...]] = {}

    def split(text: str, key: str) -> dict | None:
        if text.startswith("#"):
            if text.startswith("#fields\t"):
                if len(columns_by_key) >= _HEADERS_KEPT:
                    columns_by_key.clear()
                columns_by_key[key] = tuple(text.split("\t")[1:])
            return None
        values = text.split("\t")
        columns = columns_by_key.get(key, _ZEEK_DNS_COLUMNS)
        if len(values) != len(columns):
            raise ValueError(f"{len(values)} tab-separated values, the #fields header names {len(columns)}")
        raw: dict[str, Any] = {}
        for name, v in zip(columns, values, strict=True):
            if v == "-":
                continue
            if name in _ZEEK_VECTORS:
                raw[name] = [] if v == "(empty)" else v.split(",")
            else:
                raw[name] = v
        return raw

    return split


def _zeek_dns_scan(event: dict, hits: Hits) -> None:
    # the query is a domain only for A and AAAA lookups (PTR queries are reversed IPs, SRV names are services)
    if event.get("qtype") in (1, 28) and _text(event.get("query")):
        _DOMAIN(event["query"], hits)
    for a in event.get("answers") or ():
        if isinstance(a, str) and a:
            _HOSTNAME(a, hits)


def _umbrella_dns(raw: dict) -> dict:
    return _split_list(raw, "identities", "categories", "identityTypes", "blockedCategories")


def _umbrella_dns_scan(event: dict, hits: Hits) -> None:
    domain = _text(event.get("domain"))
    if domain and domain.rstrip("."):
        _DOMAIN(domain.rstrip("."), hits)


# --- CrowdStrike ------------------------------------------------------------------------------------------------

def _crowdstrike_fdr(raw: dict) -> dict:
    """FDR: the whole record is kept under `event`, and `fdr_event_type` names the event (event_simpleName)."""
    raw = dict(raw)
    raw["event"] = dict(raw)
    name = raw.get("event_simpleName")
    if name is not None:
        raw["fdr_event_type"] = name
    return raw


_CS_KEYS: dict[str, Callable] = {
    "LocalAddressIP4": _IP, "RemoteAddressIP4": _IP, "LocalAddressIP6": _IP, "RemoteAddressIP6": _IP,
    "LocalIP": _IP, "aip": _IP, "ExternalIP": _IP, "IPAddress": _IP, "RemoteAddress": _IP, "LocalAddress": _IP,
    "UserIp": _IP,
    "DomainName": _DOMAIN, "ComputerName": _HOSTNAME, "HostName": _HOSTNAME,
    "MD5HashData": _MD5, "MD5String": _MD5, "SHA1HashData": _SHA1, "SHA1String": _SHA1,
    "SHA256HashData": _SHA256, "SHA256String": _SHA256,
    "UserName": _USERNAME, "aid": _TRACE, "cid": _TRACE, "TreeId": _TRACE,
}


def _crowdstrike_walk(value: Any, hits: Hits) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            scan = _CS_KEYS.get(k)
            if scan is not None and isinstance(v, str) and v:
                scan(v, hits)
            elif isinstance(v, dict | list):
                _crowdstrike_walk(v, hits)
    elif isinstance(value, list):
        for v in value:
            _crowdstrike_walk(v, hits)


def _crowdstrike_fdr_scan(event: dict, hits: Hits) -> None:
    _crowdstrike_walk(event.get("event"), hits)


def _crowdstrike_streams_scan(event: dict, hits: Hits) -> None:
    _crowdstrike_walk(event.get("event"), hits)


MANAGED: dict[str, ManagedSteps] = {
    "Syslog.RFC3164": ManagedSteps(_syslog_3164, _syslog_scan),
    "Syslog.RFC5424": ManagedSteps(_syslog_5424, _syslog_scan),
    "AWS.ALB": ManagedSteps(_alb),
    "AWS.CloudTrail": ManagedSteps(_cloudtrail, _cloudtrail_scan),
    "AWS.S3ServerAccess": ManagedSteps(_s3_access, _s3_access_check, groups=_s3_access_groups),
    "AWS.VPCFlow": ManagedSteps(_vpc_flow),
    "AWS.GuardDuty": ManagedSteps(None, _guardduty_scan),
    "AWS.SecurityFindingFormat": ManagedSteps(None, _asff_scan),
    "Apache.AccessCombined": ManagedSteps(_apache),
    "Apache.AccessCommon": ManagedSteps(_apache),
    "Osquery.Differential": ManagedSteps(None, _osquery_scan),
    "Zeek.DNS": ManagedSteps(None, _zeek_dns_scan, _zeek_tsv_splitter),
    "CiscoUmbrella.DNS": ManagedSteps(_umbrella_dns, _umbrella_dns_scan),
    "Crowdstrike.FDREvent": ManagedSteps(_crowdstrike_fdr, _crowdstrike_fdr_scan),
    "Crowdstrike.EventStreams": ManagedSteps(None, _crowdstrike_streams_scan),
}


def managed_steps(log_type: str | None) -> ManagedSteps | None:
    """The managed steps for a shipped log type; None for custom schemas and types with none."""
    if not log_type or log_type.startswith("Custom."):
        return None
    return MANAGED.get(log_type)
