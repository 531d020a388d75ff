"""AWS log types: ALB request lines, VPC flow accounts, S3 access columns and checks, CloudTrail resources, and
Panther's AWS extractor over the free-form payloads of CloudTrail, GuardDuty and Security Hub findings."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workbench.parse.managed.scanners import (
    ACCOUNT,
    ARN,
    DOMAIN,
    INSTANCE,
    IP,
    MD5,
    SHA1,
    SHA256,
    TAG,
    Hits,
    nonempty_text,
    split_list,
)

_ALB_REQUEST = re.compile(r"(\S+) (.*) (\S+)\Z", re.DOTALL)


def alb(raw: dict) -> dict:
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
    return split_list(raw, "actionsExecuted", "targetPortList", "targetStatusCodeList")


def vpc_flow(raw: dict) -> dict:
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
            kind = ACCOUNT
        elif key in ("publicIp", "privateIpAddress", "ipAddressV4"):
            kind = IP
        elif key in ("publicDnsName", "privateDnsName", "domain"):
            kind = DOMAIN
        else:
            kind = None
        if len(_KEY_KINDS) < 65536:
            _KEY_KINDS[key] = kind
    return kind  # type: ignore[return-value]  # the sentinel (the dict itself) was replaced just above


def _instance_id(value: str, hits: Hits) -> None:
    if value.startswith("i-"):
        INSTANCE(value, hits)


def _aws_walk(value: Any, hits: Hits, key: str = "") -> None:
    """Panther's AWS extractor over a free-form payload: ARNs anywhere, and values under well-known keys."""
    t = type(value)
    if t is dict:
        for k, v in value.items():
            tv = type(v)
            if tv is str:
                if v:
                    if v[:4] == "arn:":
                        ARN(v, hits)
                    else:
                        kind = _key_kind(k)
                        if kind is not None:
                            kind(v, hits)
            elif tv is dict:
                _aws_walk(v, hits, k)
            elif tv is list:
                if k == "tags":
                    for tag in v:
                        if type(tag) is dict and nonempty_text(tag.get("key")) and nonempty_text(tag.get("value")):
                            TAG(f"{tag['key']}:{tag['value']}", hits)
                elif k == "ipv6Addresses":
                    for a in v:
                        if type(a) is str:
                            IP(a, hits)
                else:
                    _aws_walk(v, hits, k)
    elif t is list:
        for v in value:
            _aws_walk(v, hits, key)
    elif t is str and value:
        if value[:4] == "arn:":
            ARN(value, hits)
        else:
            kind = _key_kind(key)
            if kind is not None:
                kind(value, hits)


_S3_INTS = ("httpstatus", "bytessent", "objectsize", "totaltime", "turnaroundtime")
_ATOI = re.compile(r"[+-]?\d+\Z", re.ASCII)
_OWNER = re.compile(r"[A-Za-z0-9]{64}\Z")


def s3_access(raw: dict) -> dict:
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


def s3_access_groups(g: list, names: tuple[str, ...]) -> list:
    """`s3_access` on the fastmatch groups: a number that does not read becomes "-" (no value)."""
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


def s3_access_check(event: dict, hits: Hits) -> None:
    """The managed struct's validate tags: HTTP status within 100–600, a 64-character canonical owner id."""
    status = event.get("httpstatus")
    if status is not None and not 100 <= status <= 600:
        raise ValueError(f"httpstatus {status} is not between 100 and 600")
    owner = event.get("bucketowner")
    if owner is not None and not _OWNER.match(owner):
        raise ValueError("bucketowner is not a 64-character canonical user id")


def cloudtrail(raw: dict) -> dict:
    """CloudTrail resources: Panther's managed parser reads JSON keys case-insensitively, so AWS's `ARN`
    is stored as the struct's `arn` (awslogs/cloudtrail.go CloudTrailResources)."""
    resources = raw.get("resources")
    if type(resources) is list:
        for r in resources:
            if type(r) is dict and "ARN" in r and "arn" not in r:
                r["arn"] = r.pop("ARN")
    return raw


_CLOUDTRAIL_PAYLOADS = ("additionalEventData", "requestParameters", "responseElements", "serviceEventDetails")


def cloudtrail_scan(event: dict, hits: Hits) -> None:
    """Indicators inside CloudTrail's free-form payloads (awslogs/cloudtrail.go WriteValuesTo: the AWS
    extractor over the four payloads and the web identity federation attributes)."""
    for k in _CLOUDTRAIL_PAYLOADS:
        v = event.get(k)
        if v:
            _aws_walk(v, hits)
    fed = ((event.get("userIdentity") or {}).get("sessionContext") or {}).get("webIdFederationData")
    if type(fed) is dict and fed.get("attributes"):
        _aws_walk(fed["attributes"], hits)


def guardduty_scan(event: dict, hits: Hits) -> None:
    _aws_walk(event.get("resource"), hits)
    service = event.get("service")
    if isinstance(service, dict):
        _aws_walk(service.get("additionalInfo"), hits)
        _aws_walk(service.get("action"), hits)


def asff_scan(event: dict, hits: Hits) -> None:
    """Security Hub findings: resources' ARNs and details, network endpoints, process and threat-intel values."""
    for r in event.get("Resources") or ():
        if isinstance(r, dict):
            rid = nonempty_text(r.get("Id"))
            if rid and rid.startswith("arn:"):
                ARN(rid, hits)
            _aws_walk(r.get("Details"), hits)
    net = event.get("Network")
    if isinstance(net, dict):
        for k in ("SourceIpV4", "SourceIpV6", "DestinationIpV4", "DestinationIpV6"):
            if nonempty_text(net.get(k)):
                IP(net[k], hits)
        for k in ("SourceDomain", "DestinationDomain"):
            if nonempty_text(net.get(k)):
                DOMAIN(net[k], hits)
    for ind in event.get("ThreatIntelIndicators") or ():
        if not isinstance(ind, dict) or not nonempty_text(ind.get("Value")):
            continue
        kind, value = ind.get("Type"), ind["Value"]
        if kind in ("IPV4_ADDRESS", "IPV6_ADDRESS"):
            IP(value, hits)
        elif kind == "DOMAIN":
            DOMAIN(value, hits)
        elif kind == "HASH_MD5":
            MD5(value, hits)
        elif kind == "HASH_SHA1":
            SHA1(value, hits)
        elif kind == "HASH_SHA256":
            SHA256(value, hits)
