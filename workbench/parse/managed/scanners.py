"""The indicator scanners the managed steps call, and the small pieces several log types share."""

from __future__ import annotations

import re
from typing import Any

from workbench.schema.indicators import CompiledScanner, compile_scanner

Hits = list  # the parser's per-event list of encoded indicator hits


def _scanner(name: str) -> CompiledScanner:
    scanner = compile_scanner([name])
    assert scanner is not None, f"no indicator scanner named {name}"
    return scanner


IP = _scanner("ip")
HOSTNAME = _scanner("hostname")
DOMAIN = _scanner("domain")
ARN = _scanner("aws_arn")
ACCOUNT = _scanner("aws_account_id")
INSTANCE = _scanner("aws_instance_id")
TAG = _scanner("aws_tag")
MD5 = _scanner("md5")
SHA1 = _scanner("sha1")
SHA256 = _scanner("sha256")
USERNAME = _scanner("username")
TRACE = _scanner("trace_id")


def nonempty_text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def split_list(raw: dict, *names: str, sep: str = ",") -> dict:
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


def ips_in_text(text: str | None, hits: Hits) -> None:
    """IPv4 addresses found anywhere in free text."""
    if text and "." in text:
        for ip in _IPV4_IN_TEXT.findall(text):
            IP(ip, hits)


def hostname_or_ip(v: Any, hits: Hits) -> None:
    if isinstance(v, str) and v:
        HOSTNAME(v, hits)
