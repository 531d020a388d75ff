"""Web server access logs (Apache)."""

from __future__ import annotations


def apache(raw: dict) -> dict:
    # Panther's Apache parser stores response_size 0 for "-" (no body), not null
    if raw.get("response_size") in (None, "-"):
        raw["response_size"] = "0"
    return raw
