"""`OwnQueueSource`: our own temporary queue on the SNS topic, tagged so a killed run's queue is found and removed
at the next start; the only queue this tool ever receives from and deletes from.
"""


from __future__ import annotations

import json
import os
import secrets
import socket
import threading
from datetime import UTC, datetime

from workbench.aws import AwsSession, explain_aws_error
from workbench.config import Source
from workbench.errors import WorkbenchError
from workbench.live.envelopes import SUBSCRIPTION, Unwrapped
from workbench.live.source_base import (
    OWN_QUEUE,
    QUEUE_PREFIX,
    STALE_AGE,
    TAG_CREATED,
    TAG_HOST,
    TAG_LIVE,
    TAG_PID,
    WAIT_SECONDS,
    LiveSource,
    Received,
    Status,
    _received,
)
from workbench.wording import plural

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
            self.status("info", f"Removed {plural(len(self.cleaned), 'leftover live queue')} of earlier runs: "
                                f"{', '.join(self.cleaned)}.")
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
