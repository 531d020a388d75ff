"""Where live notifications come from: our own temporary queue on the SNS topic, a peek at an existing queue,
or polling the bucket. Each source hands back unwrapped notifications; none ever consumes a message from a
queue this tool did not create.

* `OwnQueueSource` (default when the source has a topic): creates ``workbench-live-<pid>-<hex>`` with a policy
  letting only the topic send to it, subscribes it (raw delivery off, so bodies look like production's),
  receives and deletes from it alone, and on close unsubscribes then deletes it (in that order: moto and
  SNS error on publishing to a subscription whose queue is gone). Queues of crashed runs are found by name
  prefix and tags (host, pid, created) and removed at the next start.
* `PeekSource` (explicit ``--mode peek`` only): sweeps the visible messages of an existing queue with a short
  visibility timeout, never deletes, and sets every received message back to visibility 0 as soon as the
  sweep ends (milliseconds later; SQS itself restores them after `PEEK_VISIBILITY` seconds if we die).
  Peeking still raises each message's receive count, which matters if the queue has a redrive policy.
* `PollSource` (no queue permissions needed): lists the bucket's current date partitions every few seconds
  and reports keys that were not in the previous listing.

Every blocking call is short (long polls of `WAIT_SECONDS`) so quitting is prompt; AWS failures become a
status line and a backoff, not an exception, so a flaky network does not end a tail.
"""


from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from workbench.aws import AwsSession, explain_aws_error
from workbench.config import Source
from workbench.errors import WorkbenchError
from workbench.live.envelopes import OBJECTS, Notification, Unwrapped
from workbench.live.own_queue import OwnQueueSource
from workbench.live.source_base import (
    MODES,
    OWN_QUEUE,
    PEEK,
    PEEK_MAX_BATCHES,
    PEEK_PAUSE,
    PEEK_SWEEP_SECONDS,
    PEEK_VISIBILITY,
    POLL,
    POLL_INTERVAL,
    POLL_LOOKBACK,
    WAIT_SECONDS,
    LiveSource,
    Received,
    Status,
    _received,
)
from workbench.model import ObjectRef


def choose_mode(source: Source, requested: str | None = None) -> tuple[str, str]:
    """The mode to use and the reason, for the status line. `requested` (from --mode) always wins."""
    if requested:
        if requested not in MODES:
            raise WorkbenchError(f"Unknown live mode {requested!r}; choose one of: {', '.join(MODES)}.")
        if requested == OWN_QUEUE and not source.topic_arn:
            raise WorkbenchError(f"Source {source.name} has no `topic_arn`, so there is no topic to subscribe a "
                                 "temporary queue to; use --mode poll, or add topic_arn to the config.")
        if requested == PEEK and not source.queue_url:
            raise WorkbenchError(f"Source {source.name} has no `queue_url` to peek at; add it or use --mode poll.")
        reasons = {
            OWN_QUEUE: "chosen with --mode: a temporary queue subscribed to the topic",
            PEEK: "chosen with --mode: peeking at the production queue (messages are never deleted)",
            POLL: "chosen with --mode: listing new keys in the bucket's date partitions",
        }
        return requested, reasons[requested]
    if source.topic_arn:
        return OWN_QUEUE, "the source has an SNS topic: a temporary queue of our own is subscribed to it"
    extra = " (--mode peek can read its queue, with care)" if source.queue_url else ""
    return POLL, f"the source has no SNS topic: polling the bucket for new keys{extra}"

# ---------------------------------------------------------------------------------------------------------
# peek


class PeekSource(LiveSource):
    mode = PEEK

    def __init__(self, aws: AwsSession, source: Source, status: Status | None = None) -> None:
        super().__init__(aws, source, status)
        self.queue_url = source.queue_url
        self._seen: OrderedDict[str, None] = OrderedDict()  # message ids already shown (bounded)
        self.redrive_max: int | None = None
        self._backlog_warned = 0.0

    @property
    def sqs(self):
        return self.aws.client("sqs")

    def open(self) -> None:
        try:
            attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"]).get("Attributes", {})
        except Exception as e:
            raise explain_aws_error(e, f"read the attributes of {self.queue_url}") from None
        try:
            self.redrive_max = int(json.loads(attrs["RedrivePolicy"])["maxReceiveCount"])
        except (KeyError, ValueError, TypeError):
            self.redrive_max = None
        warn = ("Peeking at the production queue: messages are received with a "
                f"{PEEK_VISIBILITY}-s visibility timeout, never deleted, and handed back at once; each peek still "
                "counts as a receive")
        if self.redrive_max is not None:
            warn += f" and the queue moves a message to its dead-letter queue after {self.redrive_max} receives"
        self.status("warning", warn + ".")

    def _remember(self, message_id: str) -> bool:
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        if len(self._seen) > 50_000:
            self._seen.popitem(last=False)
        return True

    def receive(self, cancel: threading.Event) -> list[Received]:
        handles: list[str] = []
        out: list[Received] = []
        started = time.monotonic()
        try:
            for i in range(PEEK_MAX_BATCHES):
                if cancel.is_set() or (i and time.monotonic() - started > PEEK_SWEEP_SECONDS):
                    break
                resp = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                VisibilityTimeout=PEEK_VISIBILITY,
                                                WaitTimeSeconds=WAIT_SECONDS if i == 0 else 0)
                msgs = resp.get("Messages") or []
                if not msgs:
                    break
                handles += [m["ReceiptHandle"] for m in msgs]
                out += [_received(m) for m in msgs if self._remember(str(m.get("MessageId", "")))]
        except Exception as e:
            self._hand_back(handles)
            return self._failed(e, "The queue", f"peek at {self.queue_url}", cancel)
        self._hand_back(handles)
        self._recovered("The queue")
        if not out:
            if handles and time.monotonic() - self._backlog_warned > 60:
                self._backlog_warned = time.monotonic()
                self.status("warning", "The queue holds a backlog of messages already shown (is its consumer "
                                       "running?); peeking sees only part of a backlog, so new objects may show late "
                                       "or not at all. Own-queue mode sees every new object.")
            cancel.wait(PEEK_PAUSE)  # everything visible was already shown: do not spin on production
        return out

    def _hand_back(self, handles: list[str]) -> None:
        """Visibility 0 for every message we received, so the production consumer sees them at once."""
        for start in range(0, len(handles), 10):
            chunk = handles[start:start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0} for i, h in enumerate(chunk)]
            for _attempt in range(3):
                try:
                    resp = self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
                except Exception:
                    time.sleep(0.2)
                    continue
                failed = {f["Id"] for f in resp.get("Failed") or []}
                entries = [e for e in entries if e["Id"] in failed]
                if not entries:
                    break


# ---------------------------------------------------------------------------------------------------------
# poll


class PollSource(LiveSource):
    mode = POLL

    def __init__(self, aws: AwsSession, source: Source, status: Status | None = None, *, interval: float = POLL_INTERVAL) -> None:
        super().__init__(aws, source, status)
        self.interval = interval
        self._known: set[str] | None = None  # keys of the previous listing
        self._started = datetime.now(UTC)
        self._next = 0.0

    def _prefixes(self) -> list[str]:
        prefixes = sorted({m.prefix for m in self.source.prefixes})
        # a prefix inside another one would be listed twice
        return [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)] or [""]

    def _listing(self) -> dict[str, ObjectRef]:
        from workbench.source.s3 import list_objects

        since = datetime.now(UTC) - POLL_LOOKBACK
        found = {}
        for prefix in self._prefixes():
            for ref in list_objects(self.aws, self.source, prefix=prefix, since=since):
                found[ref.key] = ref
        return found

    def open(self) -> None:
        try:
            self._known = set(self._listing())
        except WorkbenchError:
            raise
        except Exception as e:
            raise explain_aws_error(e, f"list s3://{self.source.bucket}") from None
        self._next = time.monotonic() + self.interval
        self.status("info", f"Polling s3://{self.source.bucket} every {self.interval:g} s for new keys "
                            f"({len(self._known)} already in the current partitions).")

    def receive(self, cancel: threading.Event) -> list[Received]:
        delay = self._next - time.monotonic()
        if delay > 0 and cancel.wait(delay):
            return []
        self._next = time.monotonic() + self.interval
        try:
            listing = self._listing()
        except Exception as e:
            return self._failed(e, "The bucket", f"list s3://{self.source.bucket}", cancel)
        self._recovered("The bucket")
        known = self._known or set()
        slack = self._started - timedelta(seconds=2)
        out = []
        for key, ref in sorted(listing.items(), key=lambda kv: (kv[1].last_modified or slack, kv[0])):
            if key in known or (ref.last_modified is not None and ref.last_modified < slack):
                continue
            n = Notification(ref.bucket, key, ref.size, ref.etag, ref.last_modified, "Poll", "poll")
            out.append(Received(Unwrapped(OBJECTS, (n,), envelope="poll"), f"poll:{key}", time.time()))
        self._known = set(listing)
        return out


def make_source(aws: AwsSession, source: Source, mode: str, status: Status | None = None, **options) -> LiveSource:
    if mode == OWN_QUEUE:
        return OwnQueueSource(aws, source, status)
    if mode == PEEK:
        return PeekSource(aws, source, status)
    return PollSource(aws, source, status, interval=float(options.get("poll_interval") or POLL_INTERVAL))
