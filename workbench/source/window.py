"""Time windows as users type them: `7d`, `36h`, `now`, a date, or an ISO time → an aware UTC datetime."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from workbench.errors import WorkbenchError

_REL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """'7d', '36h', '2024-05-01', '2024-05-01T12:00:00Z' → an aware UTC datetime (relative = before now)."""
    if text is None or text == "":
        return None
    now = now or datetime.now(UTC)
    m = _REL.match(text)
    if m:
        return now - timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
    if text == "now":
        return now
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise WorkbenchError(
            f"Cannot read time {text!r}: use a relative age like 7d / 12h / 30m, "
            "or a date like 2024-05-01 or 2024-05-01T12:00:00Z."
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)
