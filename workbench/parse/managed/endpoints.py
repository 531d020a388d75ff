"""Endpoint agents: osquery's differential results, CrowdStrike's FDR events and event streams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.parse.managed.scanners import (
    DOMAIN,
    HOSTNAME,
    IP,
    MD5,
    SHA1,
    SHA256,
    TRACE,
    USERNAME,
    Hits,
    hostname_or_ip,
)

_OSQUERY_IP_COLUMNS = ("local_address", "remote_address", "address", "host_ip", "ipv4_address")


def osquery_scan(event: dict, hits: Hits) -> None:
    cols = event.get("columns")
    if not isinstance(cols, dict):
        return
    for k in _OSQUERY_IP_COLUMNS:
        v = cols.get(k)
        if isinstance(v, str) and v:
            IP(v, hits)
    hostname_or_ip(cols.get("host"), hits)


def crowdstrike_fdr(raw: dict) -> dict:
    """FDR: the whole record is kept under `event`, and `fdr_event_type` names the event (event_simpleName)."""
    raw = dict(raw)
    raw["event"] = dict(raw)
    name = raw.get("event_simpleName")
    if name is not None:
        raw["fdr_event_type"] = name
    return raw


_CS_KEYS: dict[str, Callable] = {
    "LocalAddressIP4": IP, "RemoteAddressIP4": IP, "LocalAddressIP6": IP, "RemoteAddressIP6": IP,
    "LocalIP": IP, "aip": IP, "ExternalIP": IP, "IPAddress": IP, "RemoteAddress": IP, "LocalAddress": IP,
    "UserIp": IP,
    "DomainName": DOMAIN, "ComputerName": HOSTNAME, "HostName": HOSTNAME,
    "MD5HashData": MD5, "MD5String": MD5, "SHA1HashData": SHA1, "SHA1String": SHA1,
    "SHA256HashData": SHA256, "SHA256String": SHA256,
    "UserName": USERNAME, "aid": TRACE, "cid": TRACE, "TreeId": TRACE,
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


def crowdstrike_scan(event: dict, hits: Hits) -> None:
    """FDR events and event streams alike: the record is kept under `event`."""
    _crowdstrike_walk(event.get("event"), hits)
