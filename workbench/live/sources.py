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
import os
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from workbench.aws import AwsSession, explain_aws_error
from workbench.config import Source
from workbench.errors import WorkbenchError
from workbench.live.envelopes import OBJECTS, SUBSCRIPTION, Notification, Unwrapped, unwrap

if TYPE_CHECKING:
    from workbench.model import ObjectRef

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


# ---------------------------------------------------------------------------------------------------------
# own-queue


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _host() -> str:
    return socket.gethostname()[:200] or "unknown"


def is_stale(tags: dict[str, str], created: datetime | None, *, now: datetime | None = None, host: str | None = None) -> bool:
    """Whether a queue made by another tail run is a leftover: its process is gone (same host) or it is old."""
    now = now or datetime.now(UTC)
    host = host or _host()
    if tags.get(TAG_HOST) == host and tags.get(TAG_PID, "").isdigit():
        pid = int(tags[TAG_PID])
        return pid != os.getpid() and not _pid_alive(pid)
    when = created
    if tags.get(TAG_CREATED):
        try:
            when = datetime.fromisoformat(tags[TAG_CREATED])
        except ValueError:
            pass
    return when is not None and now - when > STALE_AGE


def queue_arn(url: str, region: str) -> str:
    """arn:aws:sqs:<region>:<account>:<name> from a queue URL (…/<account>/<name>)."""
    parts = url.rstrip("/").split("/")
    return f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"


class OwnQueueSource(LiveSource):
    mode = OWN_QUEUE

    def __init__(self, aws: AwsSession, source: Source, status: Status | None = None) -> None:
        super().__init__(aws, source, status)
        self.queue_url: str | None = None
        self.queue_arn: str | None = None
        self.subscription_arn: str | None = None
        self.cleaned: list[str] = []  # leftovers of crashed runs removed at start
        self._closed = False

    @property
    def sqs(self):
        return self.aws.client("sqs")

    @property
    def sns(self):
        return self.aws.client("sns")

    def cleanup_leftovers(self) -> list[str]:
        """Unsubscribe and delete queues of earlier runs whose process is gone. Returns their names."""
        removed: list[str] = []
        stale_arns: set[str] = set()
        try:
            urls = self._our_queues()
        except Exception as e:
            self.status("warning", f"Could not look for leftover live queues: {explain_aws_error(e, 'list SQS queues')}")
            return removed
        for url in urls:
            try:
                tags = self.sqs.list_queue_tags(QueueUrl=url).get("Tags") or {}
                attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["CreatedTimestamp", "QueueArn"])
                attrs = attrs.get("Attributes", {})
                created = None
                if str(attrs.get("CreatedTimestamp", "")).isdigit():
                    created = datetime.fromtimestamp(int(attrs["CreatedTimestamp"]), UTC)
                if not is_stale(tags, created):
                    continue
                stale_arns.add(attrs.get("QueueArn") or queue_arn(url, self.aws.region))
            except Exception:
                continue  # deleted meanwhile, or no permission on that one: leave it
        for sub_arn, endpoint in self._our_subscriptions():
            if endpoint in stale_arns or not self._queue_exists(endpoint):
                try:
                    self.sns.unsubscribe(SubscriptionArn=sub_arn)
                except Exception:
                    pass
        for url in urls:
            if queue_arn(url, self.aws.region) in stale_arns or any(url.endswith("/" + a.rsplit(":", 1)[-1]) for a in stale_arns):
                try:
                    self.sqs.delete_queue(QueueUrl=url)
                    removed.append(url.rsplit("/", 1)[-1])
                except Exception:
                    pass
        return removed

    def _our_queues(self) -> list[str]:
        urls: list[str] = []
        kwargs = {"QueueNamePrefix": QUEUE_PREFIX, "MaxResults": 1000}
        while True:
            page = self.sqs.list_queues(**kwargs)
            urls += page.get("QueueUrls") or []
            token = page.get("NextToken")
            if not token:
                return urls
            kwargs["NextToken"] = token

    def _our_subscriptions(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        kwargs = {"TopicArn": self.source.topic_arn}
        try:
            while True:
                page = self.sns.list_subscriptions_by_topic(**kwargs)
                for sub in page.get("Subscriptions") or []:
                    endpoint = sub.get("Endpoint") or ""
                    if sub.get("Protocol") == "sqs" and endpoint.rsplit(":", 1)[-1].startswith(QUEUE_PREFIX):
                        out.append((sub.get("SubscriptionArn", ""), endpoint))
                token = page.get("NextToken")
                if not token:
                    return out
                kwargs["NextToken"] = token
        except Exception:
            return out

    def _queue_exists(self, arn: str) -> bool:
        name = arn.rsplit(":", 1)[-1]
        try:
            self.sqs.get_queue_url(QueueName=name)
            return True
        except Exception as e:
            code = str(getattr(e, "response", {}).get("Error", {}).get("Code", ""))
            return "NonExistent" not in code and "DoesNotExist" not in code

    def open(self) -> None:
        topic = self.source.topic_arn
        if not topic:  # choose_mode never picks this mode without one; a direct caller might
            raise WorkbenchError(f"Source {self.source.name} has no `topic_arn` to subscribe a temporary queue to.")
        self.cleaned = self.cleanup_leftovers()
        if self.cleaned:
            self.status("info", f"Removed {len(self.cleaned)} leftover live queue(s) of earlier runs: {', '.join(self.cleaned)}.")
        name = f"{QUEUE_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        tags = {TAG_LIVE: "1", TAG_HOST: _host(), TAG_PID: str(os.getpid()),
                TAG_CREATED: datetime.now(UTC).isoformat(timespec="seconds")}
        try:
            self.queue_url = self.sqs.create_queue(QueueName=name, tags=tags, Attributes={
                "MessageRetentionPeriod": "3600",  # if we are killed, whatever piles up expires within the hour
                "VisibilityTimeout": "30",
            })["QueueUrl"]
        except Exception as e:
            raise explain_aws_error(e, f"create the temporary queue {name}") from None
        try:
            attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
            self.queue_arn = attrs["Attributes"]["QueueArn"]
            policy = {"Version": "2012-10-17", "Statement": [{
                "Sid": "workbench-live", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": self.queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": self.source.topic_arn}}}]}
            self.sqs.set_queue_attributes(QueueUrl=self.queue_url, Attributes={"Policy": json.dumps(policy)})
            sub = self.sns.subscribe(TopicArn=self.source.topic_arn, Protocol="sqs", Endpoint=self.queue_arn,
                                     Attributes={"RawMessageDelivery": "false"}, ReturnSubscriptionArn=True)
            self.subscription_arn = sub.get("SubscriptionArn")
        except Exception as e:
            err = explain_aws_error(e, f"subscribe a temporary queue to {self.source.topic_arn}")
            self.close()
            raise err from None
        self.status("info", f"Temporary queue {name} subscribed to {topic.rsplit(':', 1)[-1]}; "
                            "it is removed on exit.")

    def receive(self, cancel: threading.Event) -> list[Received]:
        if self.queue_url is None:
            return []
        try:
            resp = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=WAIT_SECONDS, AttributeNames=["SentTimestamp"])
        except Exception as e:
            return self._failed(e, "The temporary queue", f"receive from {self.queue_url}", cancel)
        self._recovered("The temporary queue")
        msgs = resp.get("Messages") or []
        if msgs:
            # our own queue: delete at once, the view is best-effort and nobody else reads it
            try:
                self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
            except Exception:
                pass  # redelivered after the visibility timeout; duplicates are dropped downstream
        out = [_received(m) for m in msgs]
        for r in out:
            self._confirm(r.unwrapped)
        return out

    def _confirm(self, u: Unwrapped) -> None:
        """Confirm our own subscription when SNS asks (a topic in another account does); never any other."""
        if u.kind != SUBSCRIPTION or not u.token or u.topic_arn != self.source.topic_arn:
            return
        try:
            arn = self.sns.confirm_subscription(TopicArn=u.topic_arn, Token=u.token).get("SubscriptionArn")
            if arn:
                self.subscription_arn = arn
            self.status("info", "Confirmed the temporary queue's subscription to the topic.")
        except Exception as e:
            self.status("error", f"Could not confirm the subscription: {explain_aws_error(e, 'confirm the subscription')}")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.subscription_arn and self.subscription_arn.startswith("arn:"):
            try:
                self.sns.unsubscribe(SubscriptionArn=self.subscription_arn)
            except Exception as e:
                self.status("warning", f"Could not unsubscribe the temporary queue: {explain_aws_error(e, 'unsubscribe')}")
        if self.queue_url:
            try:
                self.sqs.delete_queue(QueueUrl=self.queue_url)
            except Exception as e:
                code = str(getattr(e, "response", {}).get("Error", {}).get("Code", ""))
                if "NonExistent" in code or "DoesNotExist" in code:
                    return  # already gone: nothing left behind
                self.status("warning", "Could not delete the temporary queue (the next start retries): "
                                       f"{explain_aws_error(e, 'delete ' + self.queue_url)}")


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
