"""Indicator scanners (value → `p_any_*` columns) and the recognisers inference uses to suggest them.

Scanners follow Panther's (pantherlog/scanners.go, scanners_aws.go): ip, hostname, url, hashes and e-mail
values are trimmed, the AWS scanners (ARN, account id, instance id, tag) take the value as it is; empty values
are skipped; the caller keeps one set per column per event and writes it sorted. Recognisers are strict
("clearly is an IP"), because a wrong indicator pollutes every event's `p_any_*` fields.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

Scanner = Callable[[str, dict], None]

COLUMNS = {
    "ip": "p_any_ip_addresses", "domain": "p_any_domain_names", "md5": "p_any_md5_hashes",
    "sha1": "p_any_sha1_hashes", "sha256": "p_any_sha256_hashes", "aws_account_id": "p_any_aws_account_ids",
    "aws_instance_id": "p_any_aws_instance_ids", "aws_arn": "p_any_aws_arns", "aws_tag": "p_any_aws_tags",
    "email": "p_any_emails", "username": "p_any_usernames", "trace_id": "p_any_trace_ids",
    "actor_id": "p_any_actor_ids", "mac": "p_any_mac_addresses",
}

_inet_pton, _AF_INET = socket.inet_pton, socket.AF_INET
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\Z", re.ASCII)
_HEX = re.compile(r"[0-9a-fA-F]+\Z")
_DIGITS12 = re.compile(r"\d{12}\Z", re.ASCII)
_INSTANCE = re.compile(r"i-[0-9a-f]{8}(?:[0-9a-f]{9})?\Z")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\Z")
_DOMAIN = re.compile(r"(?=.{4,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z")
_MAC = re.compile(r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}\Z")
_ARN = re.compile(r"arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:.+\Z", re.ASCII)


def _add(ind: dict, column: str, value: str) -> None:
    ind[column].add(value)  # the parser passes a defaultdict(set)


def is_ip(v: str) -> bool:
    """A dotted quad (no leading zeros, ASCII digits: what Go's net.ParseIP accepts) or an IPv6 address."""
    if ":" not in v:
        try:  # the C parser: a sixth of the cost of a regex plus four int() calls, on every new address
            _inet_pton(_AF_INET, v)
            return True
        except (OSError, ValueError):  # ValueError: an embedded NUL
            return False
    if "%" in v:
        return False  # Go's net.ParseIP takes no zone (fe80::1%eth0 is scanned as a domain name)
    try:
        ipaddress.IPv6Address(v)
        return True
    except ValueError:
        return False


def is_md5(v: str) -> bool:
    return len(v) == 32 and bool(_HEX.match(v))


def is_sha1(v: str) -> bool:
    return len(v) == 40 and bool(_HEX.match(v))


def is_sha256(v: str) -> bool:
    return len(v) == 64 and bool(_HEX.match(v))


def is_account_id(v: str) -> bool:
    return bool(_DIGITS12.match(v))


def is_instance_id(v: str) -> bool:
    return bool(_INSTANCE.match(v))


def is_email(v: str) -> bool:
    return bool(_EMAIL.match(v))


def is_domain(v: str) -> bool:
    return bool(_DOMAIN.match(v)) and not _IPV4.match(v)


def is_arn(v: str) -> bool:
    return bool(_ARN.match(v))


def is_url(v: str) -> bool:
    if not v.startswith(("http://", "https://")):
        return False
    try:
        return bool(urlsplit(v).hostname)
    except ValueError:
        return False


def is_mac(v: str) -> bool:
    return bool(_MAC.match(v))


# --- scanners ------------------------------------------------------------------------------------------------

def _scan_ip(v: str, ind: dict) -> None:
    v = v.strip()
    if v and is_ip(v):
        ind["p_any_ip_addresses"].add(v)


def _scan_hostname(v: str, ind: dict) -> None:
    v = v.strip()
    if not v:
        return
    if is_ip(v):
        ind["p_any_ip_addresses"].add(v)
    else:
        _add(ind, "p_any_domain_names", _unpunycode(v))


def _unpunycode(v: str) -> str:
    """Punycode decoded only for a value that starts with `xn--`; anything that does not decode stays as is."""
    if not v.startswith("xn--"):
        return v
    try:
        return v.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return v


def _scan_domain(v: str, ind: dict) -> None:
    v = v.strip()
    if v:
        _add(ind, "p_any_domain_names", _unpunycode(v))


def url_hostname(v: str) -> str:
    """The host of a URL as Go's url.Parse(v).Hostname() gives it: case kept, no brackets, no port; "" when
    the URL has no host (`example.com/path` is a path) or does not parse."""
    try:
        netloc = urlsplit(v).netloc
    except ValueError:
        return ""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        end = host.find("]")
        return unquote(host[1:end]) if end > 0 else ""
    return host.rpartition(":")[0] if ":" in host else host


def _scan_url(v: str, ind: dict) -> None:
    v = v.strip()
    if v and any(c < " " or c == "\x7f" for c in v):
        return  # Go's url.Parse refuses control characters
    host = url_hostname(v) if v else ""
    if host:
        _scan_hostname(host, ind)


def split_host_port(v: str) -> str | None:
    """The host of `host:port` / `[v6]:port` as Go's net.SplitHostPort splits it; None when it does not."""
    if v.startswith("["):
        end = v.find("]")
        if end < 0 or not v[end + 1:].startswith(":") or "[" in v[1:end] or "]" in v[end + 1:]:
            return None
        return v[1:end]
    host, sep, _port = v.rpartition(":")
    if not sep or ":" in host or "[" in host or "]" in host:
        return None
    return host


def _scan_net_addr(v: str, ind: dict) -> None:
    host = split_host_port(v)
    _scan_hostname(v if host is None else host, ind)


def _hash_scanner(column: str, length: int) -> Scanner:
    def scan(v: str, ind: dict) -> None:
        v = v.strip()
        if len(v) == length and _HEX.match(v):
            _add(ind, column, v)  # case kept, as Panther writes the value
    return scan


def _scan_account(v: str, ind: dict) -> None:
    if _DIGITS12.match(v):  # the AWS scanners do not trim
        ind["p_any_aws_account_ids"].add(v)


def _scan_instance(v: str, ind: dict) -> None:
    if v.startswith("i-"):
        _add(ind, "p_any_aws_instance_ids", v)


def _arn_scanner(*, only: bool) -> Scanner:
    def scan(v: str, ind: dict) -> None:
        if not v.startswith("arn:"):  # not trimmed (scanners_aws.go ScanARN)
            return
        parts = v.split(":", 5)
        if len(parts) != 6:
            return
        _add(ind, "p_any_aws_arns", v)
        if only:
            return
        if _DIGITS12.match(parts[4]):
            _add(ind, "p_any_aws_account_ids", parts[4])
        resource = parts[5]
        if resource.startswith("instance/"):
            # the last path segment, and only an `i-…` id (never an empty value)
            instance = resource.rsplit("/", 1)[1]
            if instance.startswith("i-"):
                _add(ind, "p_any_aws_instance_ids", instance)
        if resource.startswith("assumed-role/") and "@" in resource:
            session = resource.rsplit("/", 1)[-1]
            if is_email(session):
                _add(ind, "p_any_emails", session)
    return scan


def _plain_scanner(column: str, need: str | None = None, *, trim: bool = True) -> Scanner:
    def scan(v: str, ind: dict) -> None:
        if need is not None and need not in v:
            return
        if trim:
            v = v.strip()
        if v:
            _add(ind, column, v)
    return scan


def _scan_mac(v: str, ind: dict) -> None:
    v = v.strip()
    if _MAC.match(v):
        _add(ind, "p_any_mac_addresses", v.lower())


SCANNERS: dict[str, Scanner] = {
    "ip": _scan_ip, "domain": _scan_domain, "hostname": _scan_hostname, "url": _scan_url,
    "net_addr": _scan_net_addr, "md5": _hash_scanner("p_any_md5_hashes", 32),
    "sha1": _hash_scanner("p_any_sha1_hashes", 40), "sha256": _hash_scanner("p_any_sha256_hashes", 64),
    "aws_account_id": _scan_account, "aws_instance_id": _scan_instance, "aws_arn": _arn_scanner(only=False),
    "aws_arn_only": _arn_scanner(only=True), "aws_tag": _plain_scanner("p_any_aws_tags", trim=False),
    "email": _plain_scanner("p_any_emails", "@"), "username": _plain_scanner("p_any_usernames"),
    "trace_id": _plain_scanner("p_any_trace_ids"), "actor_id": _plain_scanner("p_any_actor_ids"), "mac": _scan_mac,
}


# A hit is one string: a column's one-character code followed by the value. Codes are assigned in column-name
# order, so sorting the strings orders hits by column and then by value, exactly as sorting (column, value)
# pairs would; string sorts and set hashing stay in C, where tuples of pairs cost a comparison call each.
_CODE = {col: chr(1 + i) for i, col in enumerate(sorted(set(COLUMNS.values())))}
_COLUMN_OF = {code: col for col, code in _CODE.items()}
_IP, _DOMAIN_NAME, _ACCOUNT = _CODE["p_any_ip_addresses"], _CODE["p_any_domain_names"], _CODE["p_any_aws_account_ids"]


def _encode(pairs) -> tuple[str, ...]:
    return tuple(_CODE[col] + x for col, x in pairs)


def _hits_ip(v: str) -> tuple[str, ...]:
    v = v.strip()
    return (_IP + v,) if v and is_ip(v) else ()


def _hits_hostname(v: str) -> tuple[str, ...]:
    v = v.strip()
    if not v:
        return ()
    if is_ip(v):
        return (_IP + v,)
    return (_DOMAIN_NAME + _unpunycode(v),)


def _hits_account(v: str) -> tuple[str, ...]:
    return (_ACCOUNT + v,) if _DIGITS12.match(v) else ()


def _hits_plain(column: str, need: str | None = None):
    code = _CODE[column]

    def hits(v: str) -> tuple[str, ...]:
        if need is not None and need not in v:
            return ()
        v = v.strip()
        return (code + v,) if v else ()
    return hits


def _slow(names, v: str) -> list:
    found: dict = defaultdict(set)
    for n in names:
        SCANNERS[n](v, found)
    return [(col, x) for col, xs in found.items() for x in xs]


# Direct (value → encoded hits) forms of the most common single indicators: a cache miss (e.g. a new IP on
# every event) then costs one call instead of building and flattening a dict of sets.
_DIRECT = {
    "ip": _hits_ip, "hostname": _hits_hostname, "aws_account_id": _hits_account,
    "email": _hits_plain("p_any_emails", "@"), "username": _hits_plain("p_any_usernames"),
    "trace_id": _hits_plain("p_any_trace_ids"), "actor_id": _hits_plain("p_any_actor_ids"),
}


class CompiledScanner:
    """Every named indicator for one field, with results cached per value.

    Indicator values repeat heavily (account ids, role ARNs, office IPs), and a dict lookup is far cheaper
    than re-running regexes and ARN splitting. `lookup(v)` gives a tuple of encoded hits (see `_CODE`);
    calling the scanner adds them to a per-event list, which the parser folds into `p_any_*` once.
    """

    __slots__ = ("cache", "direct", "fns", "get", "size")

    def __init__(self, fns: list[Scanner], size: int, direct=None):
        self.fns = fns
        self.direct = direct
        self.cache: dict[str, tuple[str, ...]] = {}
        self.get = self.cache.get
        self.size = size

    def lookup(self, v: str) -> tuple[str, ...]:
        hit = self.get(v)
        return self.miss(v) if hit is None else hit

    def miss(self, v: str) -> tuple[str, ...]:
        """Scan a value not in the cache (the parser's generated code has just looked) and cache it."""
        if self.direct is not None:
            hit = self.direct(v)
        else:
            found: dict = defaultdict(set)
            for f in self.fns:
                f(v, found)
            hit = _encode((col, x) for col, xs in found.items() for x in xs)
        if len(self.cache) >= self.size:
            self.cache.clear()
        self.cache[v] = hit
        return hit

    def __call__(self, v: str, hits: list) -> None:
        hit = self.get(v)
        if hit is None:
            hit = self.lookup(v)
        hits += hit


def compile_scanner(names: tuple[str, ...] | list[str], *, cache_size: int = 65536) -> CompiledScanner | None:
    """One cached scanner running every named indicator; None when there are none."""
    known = [n for n in names if n in SCANNERS]
    if not known:
        return None
    direct = _DIRECT.get(known[0]) if len(known) == 1 else None
    return CompiledScanner([SCANNERS[n] for n in known], cache_size, direct)


def fold_into(event: dict, hits: list[str]) -> None:
    """Per-event encoded hits → `p_any_*` columns on `event`: sorted unique values, columns in name order.

    Sorts `hits` in place (the parser's own per-event list) and skips repeats while walking it: cheaper
    than building a set and a second sorted list for the ten or so hits of an event.
    """
    column_of = _COLUMN_OF
    hits.sort()
    prev = last = None
    for s in hits:
        if s == last:
            continue
        last = s
        c = s[0]
        if c != prev:
            prev = c
            values = event[column_of[c]] = [s[1:]]
        else:
            values.append(s[1:])


# Recognisers for inference, strongest first: (indicator, predicate, what the explanation calls it).
RECOGNISERS: tuple[tuple[str, Callable[[str], bool], str], ...] = (
    ("ip", is_ip, "IP addresses"),
    ("aws_arn", is_arn, "AWS ARNs"),
    ("url", is_url, "http(s) URLs"),
    ("email", is_email, "e-mail addresses"),
    ("sha256", is_sha256, "SHA-256 hex digests"),
    ("sha1", is_sha1, "SHA-1 hex digests"),
    ("md5", is_md5, "MD5 hex digests"),
    ("aws_account_id", is_account_id, "12-digit AWS account ids"),
    ("aws_instance_id", is_instance_id, "EC2 instance ids"),
    ("mac", is_mac, "MAC addresses"),
)
DOMAIN_HINTS = ("domain", "host", "fqdn", "hostname", "server_name", "sni")
