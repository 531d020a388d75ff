"""The connection / onboarding checklist for a source, checked against the account.

Each check answers one question a Panther-style onboarding needs answered, with ✓/✗ and, when it fails,
the fix in one sentence: who am I (STS), can I assume the role, can I list and read the bucket (including an
SSE-KMS object), can I read the queue, is the SNS → SQS subscription there with raw message delivery off,
and does the bucket notify for the prefixes in use. Nothing here writes to the account or consumes messages.

`bucket_overview` lists the bucket's top-level prefixes with (capped) object counts, for the Sources view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from workbench.aws import AwsSession, explain_aws_error
from workbench.config import Source

READ_BYTES = 1024  # ranged read: proves s3:GetObject (and kms:Decrypt) without downloading the object
OBJECTS_PER_PREFIX = 3  # objects examined per configured prefix when looking for a KMS-encrypted one


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the checklist. `ok` is None when the check does not apply (e.g. no queue configured)."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    @property
    def mark(self) -> str:
        return {True: "✓", False: "✗", None: "–"}[self.ok]

    def to_json(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


@dataclass
class _Context:
    aws: AwsSession
    source: Source
    queue_arn: str | None = None
    objects: list[dict] = field(default_factory=list)  # a few listed objects under the configured prefixes


def _prefixes(source: Source) -> list[str]:
    return [m.prefix for m in source.prefixes] or [""]


def _check_identity(ctx: _Context) -> CheckResult:
    sts = ctx.aws.base_client("sts")
    arn = sts.get_caller_identity()["Arn"]
    return CheckResult("Caller identity (STS)", True, f"Calling AWS as {arn}.")


def _check_role(ctx: _Context) -> CheckResult:
    if not ctx.source.role_arn:
        return CheckResult("Role assumable", None, "No role_arn configured: the caller's own credentials are used.")
    creds = ctx.aws.assume_role()
    expires = creds.get("Expiration")
    return CheckResult("Role assumable", True, f"Assumed {ctx.source.role_arn}"
                       + (f" (credentials valid until {expires:%Y-%m-%d %H:%M} UTC)." if expires else "."))


def _check_list(ctx: _Context) -> CheckResult:
    s3 = ctx.aws.client("s3")
    seen = []
    for prefix in _prefixes(ctx.source):
        resp = s3.list_objects_v2(Bucket=ctx.source.bucket, Prefix=prefix, MaxKeys=OBJECTS_PER_PREFIX)
        contents = resp.get("Contents", [])
        ctx.objects += contents
        seen.append(f"{prefix or '(root)'} {len(contents)}{'+' if resp.get('IsTruncated') else ''}")
    empty = [p for p, s in zip(_prefixes(ctx.source), seen, strict=True) if s.endswith(" 0")]
    if empty:
        return CheckResult("Bucket listable", False, f"Listed s3://{ctx.source.bucket}, but these prefixes are empty: "
                           + ", ".join(p or "(root)" for p in empty) + ".",
                           "Check the `prefixes` in the config against the keys the log source actually writes.")
    return CheckResult("Bucket listable", True, f"Listed s3://{ctx.source.bucket}: " + ", ".join(seen) + " objects.")


def _read(ctx: _Context, key: str) -> None:
    body = ctx.aws.client("s3").get_object(Bucket=ctx.source.bucket, Key=key, Range=f"bytes=0-{READ_BYTES - 1}")["Body"]
    body.read()
    body.close()


def _check_read(ctx: _Context) -> CheckResult:
    if not ctx.objects:
        return CheckResult("Bucket readable", None, "No objects listed, so nothing to read.")
    key = ctx.objects[0]["Key"]
    _read(ctx, key)
    return CheckResult("Bucket readable", True, f"Read the first {READ_BYTES} bytes of s3://{ctx.source.bucket}/{key}.")


def _check_kms(ctx: _Context) -> CheckResult:
    s3 = ctx.aws.client("s3")
    for obj in ctx.objects:
        head = s3.head_object(Bucket=ctx.source.bucket, Key=obj["Key"])
        if head.get("ServerSideEncryption") == "aws:kms":
            key_id = head.get("SSEKMSKeyId", "its KMS key")
            _read(ctx, obj["Key"])
            return CheckResult("KMS-encrypted object readable", True,
                               f"Read s3://{ctx.source.bucket}/{obj['Key']} (SSE-KMS, key {key_id}).")
    return CheckResult("KMS-encrypted object readable", None,
                       "No SSE-KMS object among the first objects of each prefix; nothing to decrypt.")


def _check_queue(ctx: _Context) -> CheckResult:
    if not ctx.source.queue_url:
        return CheckResult("Queue readable", None, "No queue_url configured (live mode can poll the bucket instead).")
    attrs = ctx.aws.client("sqs").get_queue_attributes(
        QueueUrl=ctx.source.queue_url, AttributeNames=["QueueArn", "ApproximateNumberOfMessages"])["Attributes"]
    ctx.queue_arn = attrs.get("QueueArn")
    waiting = attrs.get("ApproximateNumberOfMessages", "?")
    noun = "message" if waiting == "1" else "messages"
    return CheckResult("Queue readable", True, f"Queue {ctx.queue_arn} has about {waiting} {noun} waiting "
                       "(read without receiving, so nothing was consumed).")


def _check_subscription(ctx: _Context) -> CheckResult:
    name = "SNS → SQS subscription"
    if not ctx.source.topic_arn or not ctx.source.queue_url:
        return CheckResult(name, None, "topic_arn or queue_url not configured.")
    queue_arn = ctx.queue_arn or ctx.aws.client("sqs").get_queue_attributes(
        QueueUrl=ctx.source.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns = ctx.aws.client("sns")
    subs = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=ctx.source.topic_arn):
        subs += [s for s in page.get("Subscriptions", []) if s.get("Protocol") == "sqs" and s.get("Endpoint") == queue_arn]
    if not subs:
        return CheckResult(name, False, f"The topic has no SQS subscription for {queue_arn}.",
                           f"Subscribe the queue: aws sns subscribe --topic-arn {ctx.source.topic_arn} "
                           f"--protocol sqs --notification-endpoint {queue_arn}.")
    arn = subs[0]["SubscriptionArn"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn).get("Attributes", {})
    if str(attrs.get("RawMessageDelivery", "false")).lower() == "true":
        return CheckResult(name, False, f"Subscription {arn} has raw message delivery on.",
                           f"Turn raw message delivery off: aws sns set-subscription-attributes --subscription-arn {arn} "
                           "--attribute-name RawMessageDelivery --attribute-value false.")
    return CheckResult(name, True, f"Subscription {arn} delivers SNS envelopes (raw message delivery off).")


def _notification_targets(config: dict) -> list[tuple[str, str, list[str]]]:
    """(target ARN, prefix filter, events) for each SNS/SQS notification of a bucket."""
    out = []
    for kind, arn_key in (("TopicConfigurations", "TopicArn"), ("QueueConfigurations", "QueueArn")):
        for c in config.get(kind, []) or []:
            prefix = ""
            for rule in c.get("Filter", {}).get("Key", {}).get("FilterRules", []):
                if str(rule.get("Name", "")).lower() == "prefix":
                    prefix = rule.get("Value", "")
            out.append((c.get(arn_key, ""), prefix, list(c.get("Events", []))))
    return out


def _check_notification(ctx: _Context) -> CheckResult:
    name = "Bucket notification"
    target = ctx.source.topic_arn or ctx.queue_arn
    config = ctx.aws.client("s3").get_bucket_notification_configuration(Bucket=ctx.source.bucket)
    created = [(arn, prefix) for arn, prefix, events in _notification_targets(config)
               if any(e.startswith("s3:ObjectCreated:") for e in events) and (target is None or arn == target)]
    if not created:
        what = target or "a topic or queue"
        return CheckResult(name, False, f"s3://{ctx.source.bucket} sends no ObjectCreated notification to {what}.",
                           f"Add an event notification on the bucket for s3:ObjectCreated:* to {what}.")
    missing = [p for p in _prefixes(ctx.source) if not any(p.startswith(f) for _, f in created)]
    if missing:
        return CheckResult(name, False, "No ObjectCreated notification covers prefix(es) " + ", ".join(missing) + ".",
                           f"Add s3:ObjectCreated:* notifications to {target or 'the topic'} for " + ", ".join(missing) + ".")
    filters = sorted({f or "(all keys)" for _, f in created})
    return CheckResult(name, True, f"ObjectCreated notifications reach {target or created[0][0]} for " + ", ".join(filters) + ".")


# (name, function, the fix when AWS refuses the call)
CHECKS: list[tuple[str, Callable[[_Context], CheckResult], str]] = [
    ("Caller identity (STS)", _check_identity,
     "Configure AWS credentials: set `profile` in the config, AWS_PROFILE, or run `aws configure` / `aws sso login`."),
    ("Role assumable", _check_role,
     "Let the caller assume the role: its trust policy must allow sts:AssumeRole (check `external_id` too)."),
    ("Bucket listable", _check_list, "Grant s3:ListBucket on the bucket to the role (and check `bucket` and `region`)."),
    ("Bucket readable", _check_read, "Grant s3:GetObject on the bucket's objects (arn:aws:s3:::BUCKET/*) to the role."),
    ("KMS-encrypted object readable", _check_kms, "Allow kms:Decrypt on the bucket's KMS key for the role (key policy and IAM)."),
    ("Queue readable", _check_queue, "Grant sqs:GetQueueAttributes and sqs:ReceiveMessage on the queue, and check `queue_url`."),
    ("SNS → SQS subscription", _check_subscription,
     "Grant sns:ListSubscriptionsByTopic and sns:GetSubscriptionAttributes on the topic, and check `topic_arn`."),
    ("Bucket notification", _check_notification, "Grant s3:GetBucketNotification on the bucket to the role."),
]


def iter_checks(aws: AwsSession, source: Source, *, cancel: Callable[[], bool] | None = None) -> Iterator[CheckResult]:
    """Run the checklist in order, yielding each result as it completes. Never raises for AWS failures."""
    ctx = _Context(aws, source)
    for name, check, fix in CHECKS:
        if cancel is not None and cancel():
            return
        try:
            result = check(ctx)
        except Exception as e:
            err = explain_aws_error(e, f"check “{name}”")
            result = CheckResult(name, False, str(err), fix.replace("BUCKET", source.bucket))
        yield result


def run_checks(aws: AwsSession, source: Source) -> list[CheckResult]:
    return list(iter_checks(aws, source))


@dataclass(frozen=True, slots=True)
class PrefixCount:
    prefix: str  # a top-level "folder" ending in "/" (or a root-level key)
    objects: int
    bytes: int
    capped: bool  # True when counting stopped at the cap: `objects` is a lower bound


def bucket_overview(aws: AwsSession, source: Source, *, cap: int = 10_000,
                    cancel: Callable[[], bool] | None = None,
                    progress: Callable[[PrefixCount], Any] | None = None) -> list[PrefixCount]:
    """Top-level prefixes of the bucket with object counts (each capped at `cap` objects)."""
    s3 = aws.client("s3")
    try:
        top = s3.list_objects_v2(Bucket=source.bucket, Delimiter="/")
    except Exception as e:
        raise explain_aws_error(e, f"list s3://{source.bucket}") from None
    prefixes = [p["Prefix"] for p in top.get("CommonPrefixes", [])]
    out = []
    root = top.get("Contents", [])
    if root:
        out.append(PrefixCount("(root)", len(root), sum(o.get("Size", 0) for o in root), bool(top.get("IsTruncated"))))
    for prefix in prefixes:
        n = size = 0
        capped = False
        try:
            pages = s3.get_paginator("list_objects_v2").paginate(
                Bucket=source.bucket, Prefix=prefix, PaginationConfig={"PageSize": min(1000, max(1, cap))})
            for page in pages:
                contents = page.get("Contents", [])
                n += len(contents)
                size += sum(o.get("Size", 0) for o in contents)
                if n >= cap:
                    capped = bool(page.get("IsTruncated"))
                    break
                if cancel is not None and cancel():
                    return out
        except Exception as e:
            raise explain_aws_error(e, f"list s3://{source.bucket}/{prefix}") from None
        pc = PrefixCount(prefix, n, size, capped)
        out.append(pc)
        if progress is not None:
            progress(pc)
    return out
