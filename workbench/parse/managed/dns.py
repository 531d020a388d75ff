"""DNS logs: Zeek's dns.log in its TSV layout, Cisco Umbrella's DNS log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.parse.managed.scanners import DOMAIN, HOSTNAME, Hits, nonempty_text, split_list

_ZEEK_DNS_COLUMNS = ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "trans_id", "rtt",
                     "query", "qclass", "qclass_name", "qtype", "qtype_name", "rcode", "rcode_name", "AA", "TC", "RD",
                     "RA", "Z", "answers", "TTLs", "rejected")
_ZEEK_VECTORS = frozenset(("answers", "TTLs"))
_HEADERS_KEPT = 256  # objects whose #fields header is remembered (a parser reads a few objects at a time)


def zeek_tsv_splitter() -> Callable[[str, str], dict | None]:
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


def zeek_dns_scan(event: dict, hits: Hits) -> None:
    # the query is a domain only for A and AAAA lookups (PTR queries are reversed IPs, SRV names are services)
    if event.get("qtype") in (1, 28) and nonempty_text(event.get("query")):
        DOMAIN(event["query"], hits)
    for a in event.get("answers") or ():
        if isinstance(a, str) and a:
            HOSTNAME(a, hits)


def umbrella_dns(raw: dict) -> dict:
    return split_list(raw, "identities", "categories", "identityTypes", "blockedCategories")


def umbrella_dns_scan(event: dict, hits: Hits) -> None:
    domain = nonempty_text(event.get("domain"))
    if domain and domain.rstrip("."):
        DOMAIN(domain.rstrip("."), hits)
