"""Unwrap one notification-queue message body into the objects it announces. Pure: no I/O, never raises.

Shapes understood (see the Panther ingest reference, section 6), outermost first:

* SNS envelope (raw message delivery off): ``{"Type": "Notification", "Message": "<json string>", ...}``;
  ``Type: SubscriptionConfirmation`` / ``UnsubscribeConfirmation`` are reported, not unwrapped;
* S3 event notification ``{"Records": [{"eventSource": "aws:s3", "s3": {...}}]}`` — keys are form-URL-encoded
  (``+`` is a space, ``%2B`` a plus; moto even encodes ``/``), so they are decoded with ``unquote_plus``;
* CloudTrail's own SNS notice ``{"s3Bucket": "...", "s3ObjectKey": ["..."]}`` — keys are NOT encoded;
* EventBridge "Object Created" ``{"detail-type": "Object Created", "source": "aws.s3", "detail": {...}}``
  (its key is sent unencoded by AWS; a key that looks form-encoded is left alone on purpose);
* ``s3:TestEvent`` and the string ``CloudTrail validation message.`` — shown as ignored.

Anything else is `malformed` with a plain reason: counted and shown by the caller, never fatal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus

from workbench.wording import plural

# What a message turned out to be: object notifications, or something to show and skip.
OBJECTS = "objects"
TEST_EVENT = "test_event"
SUBSCRIPTION = "subscription"  # SNS SubscriptionConfirmation / UnsubscribeConfirmation
VALIDATION = "validation"  # "CloudTrail validation message."
MALFORMED = "malformed"

MAX_BODY = 256 * 1024  # SQS's own message limit; anything larger is not a notification
MAX_DEPTH = 3  # envelopes nest at most SNS → (S3 | CloudTrail | EventBridge); deeper is hostile


@dataclass(frozen=True, slots=True)
class Notification:
    """One announced object: enough to fetch it (bucket, key) plus what the announcement told us."""

    bucket: str
    key: str
    size: int = -1  # -1 when the envelope does not say (CloudTrail notices)
    etag: str | None = None
    event_time: datetime | None = None
    event_name: str | None = None  # e.g. ObjectCreated:Put, Object Created, CloudTrail
    envelope: str = ""  # how it arrived, e.g. "sns/s3", "s3", "sns/cloudtrail", "eventbridge"

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """The outcome for one message body. `notifications` is empty unless kind is OBJECTS."""

    kind: str
    notifications: tuple[Notification, ...] = ()
    reason: str = ""  # for the non-object kinds: what it was or why it could not be read
    envelope: str = ""
    topic_arn: str = ""  # SubscriptionConfirmation: the topic and token to confirm with
    token: str = ""


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _size(value: object) -> int:
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return -1


def _skip(key: str, size: int) -> bool:
    # Panther skips folder placeholders and empty objects: there is nothing to parse in them
    return not key or key.endswith("/") or size == 0


def _s3_records(doc: dict, envelope: str) -> Unwrapped:
    records = doc.get("Records")
    if not isinstance(records, list):
        return Unwrapped(MALFORMED, reason="`Records` is not a list", envelope=envelope)
    out = []
    bad = 0
    for rec in records:
        s3 = rec.get("s3") if isinstance(rec, dict) else None
        bucket = s3.get("bucket") if isinstance(s3, dict) else None
        obj = s3.get("object") if isinstance(s3, dict) else None
        name = bucket.get("name") if isinstance(bucket, dict) else None
        raw_key = obj.get("key") if isinstance(obj, dict) else None
        if not isinstance(name, str) or not name or not isinstance(raw_key, str) or not isinstance(obj, dict):
            bad += 1
            continue
        event_name = rec.get("eventName")
        if isinstance(event_name, str) and not event_name.startswith("ObjectCreated"):
            continue  # a removal or restore event: nothing new to read
        key = unquote_plus(raw_key)
        size = _size(obj.get("size"))
        if _skip(key, size):
            continue
        etag = obj.get("eTag") or obj.get("etag")
        out.append(Notification(name, key, size, etag if isinstance(etag, str) else None, _time(rec.get("eventTime")),
                                event_name if isinstance(event_name, str) else None, envelope))
    if bad and not out:
        return Unwrapped(MALFORMED, reason=f"{plural(bad, 'S3 record')} without s3.bucket.name / s3.object.key",
                         envelope=envelope)
    return Unwrapped(OBJECTS, tuple(out), envelope=envelope)


def _cloudtrail(doc: dict, envelope: str, when: datetime | None) -> Unwrapped:
    bucket, keys = doc.get("s3Bucket"), doc.get("s3ObjectKey")
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(bucket, str) or not bucket or not isinstance(keys, list):
        return Unwrapped(MALFORMED, reason="CloudTrail notice without s3Bucket / s3ObjectKey list", envelope=envelope)
    out = tuple(Notification(bucket, k, -1, None, when, "CloudTrail", envelope)
                for k in keys if isinstance(k, str) and not _skip(k, -1))
    return Unwrapped(OBJECTS, out, envelope=envelope)


def _eventbridge(doc: dict, envelope: str) -> Unwrapped:
    detail = doc.get("detail")
    bucket = detail.get("bucket") if isinstance(detail, dict) else None
    obj = detail.get("object") if isinstance(detail, dict) else None
    name = bucket.get("name") if isinstance(bucket, dict) else None
    key = obj.get("key") if isinstance(obj, dict) else None
    if not isinstance(name, str) or not name or not isinstance(key, str) or not isinstance(obj, dict):
        return Unwrapped(MALFORMED, reason="EventBridge event without detail.bucket.name / detail.object.key",
                         envelope=envelope)
    size = _size(obj.get("size"))
    if _skip(key, size):
        return Unwrapped(OBJECTS, (), envelope=envelope)
    etag = obj.get("etag")
    n = Notification(name, key, size, etag if isinstance(etag, str) else None, _time(doc.get("time")),
                     str(doc.get("detail-type")), envelope)
    return Unwrapped(OBJECTS, (n,), envelope=envelope)


def _classify(doc: object, envelope: str, depth: int, when: datetime | None) -> Unwrapped:
    if depth > MAX_DEPTH:
        return Unwrapped(MALFORMED, reason="envelopes nested too deeply", envelope=envelope)
    if isinstance(doc, str):
        if doc.strip() == "CloudTrail validation message.":
            return Unwrapped(VALIDATION, reason="CloudTrail validation message (ignored)", envelope=envelope)
        try:
            inner = json.loads(doc)
        except ValueError:
            return Unwrapped(MALFORMED, reason="not JSON", envelope=envelope)
        if isinstance(inner, str):
            return _classify(inner, envelope, depth + 1, when) if inner != doc else Unwrapped(
                MALFORMED, reason="not JSON", envelope=envelope)
        return _classify(inner, envelope, depth + 1, when)
    if not isinstance(doc, dict):
        return Unwrapped(MALFORMED, reason=f"a JSON {type(doc).__name__}, not an object", envelope=envelope)
    sns_type = doc.get("Type")
    if isinstance(sns_type, str) and "Message" in doc:
        here = f"{envelope}/sns" if envelope else "sns"
        if sns_type == "Notification":
            message = doc.get("Message")
            if not isinstance(message, str):
                return Unwrapped(MALFORMED, reason="SNS Message is not a string", envelope=here)
            return _classify(message, here, depth + 1, _time(doc.get("Timestamp")))
        if sns_type in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
            topic, token = doc.get("TopicArn"), doc.get("Token")
            confirm = sns_type == "SubscriptionConfirmation" and isinstance(topic, str) and isinstance(token, str)
            return Unwrapped(SUBSCRIPTION, reason=f"SNS {sns_type} for {topic or 'a topic'}", envelope=here,
                             topic_arn=str(topic) if confirm else "", token=str(token) if confirm else "")
        return Unwrapped(MALFORMED, reason=f"SNS message of unknown Type {sns_type!r}", envelope=here)
    if doc.get("Event") == "s3:TestEvent":
        return Unwrapped(TEST_EVENT, reason=f"s3:TestEvent for bucket {doc.get('Bucket', '?')} (ignored)",
                         envelope=envelope or "s3")
    if "s3Bucket" in doc or "s3ObjectKey" in doc:
        return _cloudtrail(doc, f"{envelope}/cloudtrail" if envelope else "cloudtrail", when)
    if "Records" in doc:
        return _s3_records(doc, f"{envelope}/s3" if envelope else "s3")
    if doc.get("detail-type") == "Object Created" or (doc.get("source") == "aws.s3" and "detail" in doc):
        return _eventbridge(doc, f"{envelope}/eventbridge" if envelope else "eventbridge")
    return Unwrapped(MALFORMED, reason="notification is not of a known type", envelope=envelope)


def unwrap(body: str | bytes) -> Unwrapped:
    """What one SQS message body announces. Never raises; odd input becomes `MALFORMED` with a reason."""
    try:
        if isinstance(body, bytes | bytearray):
            if len(body) > MAX_BODY:
                return Unwrapped(MALFORMED, reason=f"body of {len(body)} bytes is larger than any notification")
            body = bytes(body).decode("utf-8")
        elif not isinstance(body, str):
            return Unwrapped(MALFORMED, reason=f"body is a {type(body).__name__}, not text")
        if len(body) > MAX_BODY:
            return Unwrapped(MALFORMED, reason=f"body of {len(body)} characters is larger than any notification")
        if body.strip() == "CloudTrail validation message.":
            return Unwrapped(VALIDATION, reason="CloudTrail validation message (ignored)")
        try:
            doc = json.loads(body)
        except ValueError:
            return Unwrapped(MALFORMED, reason="not JSON")
        return _classify(doc, "", 0, None)
    except UnicodeDecodeError:
        return Unwrapped(MALFORMED, reason="body is not UTF-8")
    except RecursionError:
        return Unwrapped(MALFORMED, reason="JSON nested too deeply")
