"""Syslog (RFC 3164 and RFC 5424) as go-syslog, behind Panther's managed parsers, stores it."""

from __future__ import annotations

import re
import time

from workbench.parse.managed.scanners import Hits, hostname_or_ip, ips_in_text


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


def syslog_3164(raw: dict) -> dict:
    """RFC 3164: the priority split; a yearless timestamp gets the current UTC year (go-syslog's CurrentYear),
    which the schema's `%Y %b %e %H:%M:%S` format then reads."""
    _syslog_priority(raw)
    ts = raw.get("timestamp")
    if isinstance(ts, str) and ts[:1].isalpha():
        raw["timestamp"] = f"{time.gmtime().tm_year} {ts}"
    return raw


def syslog_5424(raw: dict) -> dict:
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


def syslog_scan(event: dict, hits: Hits) -> None:
    hostname_or_ip(event.get("hostname"), hits)
    ips_in_text(event.get("message"), hits)
