"""What every live notification source shares: the modes and their tuning, the `Received` item, throttling
backoff, and the `LiveSource` base class. The sources themselves are in `own_queue.py` and `sources.py`.
"""


from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from workbench.aws import AwsSession, explain_aws_error
from workbench.config import Source
from workbench.live.envelopes import OBJECTS, Unwrapped, unwrap

OWN_QUEUE, PEEK, POLL = "own-queue", "peek", "poll"
MODES = (OWN_QUEUE, PEEK, POLL)

QUEUE_PREFIX = "workbench-live-"
TAG_LIVE, TAG_HOST, TAG_PID, TAG_CREATED = "workbench:live", "workbench:host", "workbench:pid", "workbench:created"
STALE_AGE = timedelta(hours=24)  # a queue from another host is only presumed dead after this long
WAIT_SECONDS = 2  # long-poll length: short enough that quitting is prompt
PEEK_VISIBILITY = 5  # seconds a peeked message could stay hidden if we died mid-sweep
PEEK_MAX_BATCHES = 30  # receives per sweep (300 messages) before handing everything back
PEEK_SWEEP_SECONDS = 1.5  # …or this long, well inside the visibility timeout (moto's receive slows with a backlog)
PEEK_PAUSE = 0.5  # seconds between sweeps that found nothing new, so we do not hammer production
POLL_INTERVAL = 2.0
POLL_LOOKBACK = timedelta(hours=1)  # partitions overlapping this window are listed on each poll
BACKOFF_MAX = 30.0
_THROTTLE = ("Throttl", "RequestLimitExceeded", "SlowDown", "TooManyRequests")

Status = Callable[[str, str], None]  # (level: info|warning|error, one plain line)


@dataclass(frozen=True, slots=True)
class Received:
    """One message (or one polled object), unwrapped, with when we got it (epoch seconds)."""

    unwrapped: Unwrapped
    message_id: str
    received_at: float
    body_preview: str = ""  # the first bytes of a malformed body, for the side panel



def _is_throttle(exc: BaseException) -> bool:
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    return any(t in code for t in _THROTTLE)


class _Backoff:
    """Exponential backoff for a loop that must survive outages: 1, 2, 4 … 30 s, reset on success."""

    def __init__(self) -> None:
        self.delay = 0.0

    def failed(self) -> float:
        self.delay = min(BACKOFF_MAX, max(1.0, self.delay * 2))
        return self.delay

    def ok(self) -> None:
        self.delay = 0.0


class LiveSource:
    """Base: `open()`, then `receive(cancel)` in a loop (returns within a few seconds), then `close()`."""

    mode = ""

    def __init__(self, aws: AwsSession, source: Source, status: Status | None = None) -> None:
        self.aws = aws
        self.source = source
        self._status = status or (lambda level, line: None)
        self._backoff = _Backoff()
        self.unreachable = False

    def status(self, level: str, line: str) -> None:
        self._status(level, line)

    def open(self) -> None:
        """Create or check what the source needs; raises a one-sentence WorkbenchError when it cannot."""

    def receive(self, cancel: threading.Event) -> list[Received]:
        raise NotImplementedError

    def close(self) -> None:
        """Remove whatever `open` created. Safe to call twice."""

    # -- shared error handling -------------------------------------------------------------------------------
    def _failed(self, exc: BaseException, what: str, action: str, cancel: threading.Event) -> list[Received]:
        """Status line + backoff for a failed receive; `what` names the thing, `action` the call."""
        delay = self._backoff.failed()
        kind = "throttled" if _is_throttle(exc) else "unreachable"
        self.unreachable = True
        self.status("error", f"{what} is {kind}. {explain_aws_error(exc, action)} Retrying in {delay:.0f} s.")
        cancel.wait(delay)
        return []

    def _recovered(self, what: str) -> None:
        if self.unreachable:
            self.unreachable = False
            self.status("info", f"{what} reachable again.")
        self._backoff.ok()


def _received(msg: dict) -> Received:
    body = msg.get("Body", "")
    u = unwrap(body)
    preview = body[:300] if u.kind != OBJECTS and isinstance(body, str) else ""
    return Received(u, str(msg.get("MessageId", "")), time.time(), preview)
