"""Every notification envelope a live tail meets, and hostile ones: unwrapped exactly, never raising."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.live.envelopes import (
    MALFORMED,
    OBJECTS,
    SUBSCRIPTION,
    TEST_EVENT,
    VALIDATION,
    unwrap,
)

TOPIC = "arn:aws:sns:us-west-2:123456789012:panther-notifications-topic"


def sns(message: str, type_: str = "Notification", **extra) -> str:
    """An SNS envelope as SQS delivers it with raw delivery off (moto pretty-prints it; so do we)."""
    return json.dumps({"Type": type_, "MessageId": "22b80b92", "TopicArn": TOPIC, "Subject": "Amazon S3 Notification",
                       "Message": message, "Timestamp": "2024-01-01T00:00:00.000Z", "SignatureVersion": "1",
                       "Signature": "x", "SigningCertURL": "https://example/cert.pem",
                       "UnsubscribeURL": "https://example/?Action=Unsubscribe", **extra}, indent=2)


def s3_event(key: str, size: int = 1024, name: str = "ObjectCreated:Put", bucket: str = "my-bucket") -> str:
    return json.dumps({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-west-2",
        "eventTime": "2024-01-01T00:00:00.000Z", "eventName": name,
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "panther",
               "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": key, "size": size, "eTag": "abc", "sequencer": "0055AED6DCD90281E5"}}}]})


def test_sns_wrapped_s3_event_decodes_form_encoded_keys():
    u = unwrap(sns(s3_event("logs/app+one/2024/a%2Bb.json.gz")))
    assert u.kind == OBJECTS and u.envelope == "sns/s3"
    (n,) = u.notifications
    assert (n.bucket, n.key, n.size, n.etag) == ("my-bucket", "logs/app one/2024/a+b.json.gz", 1024, "abc")
    assert n.event_time.isoformat() == "2024-01-01T00:00:00+00:00" and n.event_name == "ObjectCreated:Put"


def test_moto_style_keys_with_encoded_slashes_decode_too():
    u = unwrap(s3_event("app%2F2024-01-01%2Fx+y%2Bz%3D1.ndjson.gz"))
    assert u.envelope == "s3" and u.notifications[0].key == "app/2024-01-01/x y+z=1.ndjson.gz"


def test_several_records_and_skips_of_folders_empty_objects_and_removals():
    doc = json.loads(s3_event("a/1.gz"))
    rec = doc["Records"][0]
    doc["Records"] += [
        {**rec, "s3": {**rec["s3"], "object": {"key": "a/folder/", "size": 0}}},
        {**rec, "s3": {**rec["s3"], "object": {"key": "a/empty.gz", "size": 0}}},
        {**rec, "eventName": "ObjectRemoved:Delete"},
        {**rec, "s3": {**rec["s3"], "object": {"key": "a/2.gz", "size": 9}}},
    ]
    assert [n.key for n in unwrap(json.dumps(doc)).notifications] == ["a/1.gz", "a/2.gz"]


def test_s3_test_event_is_shown_and_ignored_raw_or_in_sns():
    body = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2024-01-01T00:00:00.000Z",
                       "Bucket": "my-bucket", "RequestId": "r", "HostId": "h"})
    for b in (body, sns(body)):
        u = unwrap(b)
        assert u.kind == TEST_EVENT and not u.notifications and "my-bucket" in u.reason


def test_cloudtrail_notice_keys_are_not_url_decoded_and_size_is_unknown():
    msg = json.dumps({"s3Bucket": "trail-bucket", "s3ObjectKey": [
        "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/a+b%2B.json.gz", "AWSLogs/x.json.gz"]})
    u = unwrap(sns(msg))
    assert u.kind == OBJECTS and u.envelope == "sns/cloudtrail"
    assert [n.key for n in u.notifications] == [
        "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/a+b%2B.json.gz", "AWSLogs/x.json.gz"]
    assert all(n.size == -1 and n.bucket == "trail-bucket" for n in u.notifications)
    assert u.notifications[0].event_time is not None  # from the SNS Timestamp


def test_cloudtrail_validation_message_is_ignored():
    assert unwrap(sns("CloudTrail validation message.")).kind == VALIDATION
    assert unwrap("CloudTrail validation message.").kind == VALIDATION


def test_eventbridge_object_created():
    body = json.dumps({"version": "0", "id": "0", "detail-type": "Object Created", "source": "aws.s3",
                       "account": "111122223333", "time": "2024-01-01T00:00:00Z", "region": "us-east-1",
                       "resources": ["arn:aws:s3:::my-bucket"],
                       "detail": {"version": "0", "bucket": {"name": "my-bucket"},
                                  "object": {"key": "logs/2024/01/01/app.json.gz", "size": 2048, "etag": "0123"},
                                  "request-id": "R", "requester": "1", "reason": "PutObject"}})
    (n,) = unwrap(body).notifications
    assert (n.bucket, n.key, n.size, n.etag, n.envelope) == ("my-bucket", "logs/2024/01/01/app.json.gz", 2048,
                                                               "0123", "eventbridge")


def test_subscription_confirmation_is_reported_not_followed():
    u = unwrap(sns("You have chosen to subscribe", "SubscriptionConfirmation", Token="t",
                   SubscribeURL="https://example/confirm"))
    assert u.kind == SUBSCRIPTION and TOPIC in u.reason
    assert (u.topic_arn, u.token) == (TOPIC, "t")  # what own-queue mode confirms its own subscription with
    assert unwrap(sns("bye", "UnsubscribeConfirmation", Token="t")).token == ""


def test_lambda_spelling_of_sns_fields_is_accepted():
    body = json.loads(sns(s3_event("k.gz")))
    body["SigningCertUrl"] = body.pop("SigningCertURL")
    body["UnsubscribeUrl"] = body.pop("UnsubscribeURL")
    assert unwrap(json.dumps(body)).kind == OBJECTS


def test_malformed_messages_have_a_reason():
    cases = {
        "not json": "not JSON",
        "[1, 2]": "not an object",
        '{"Type": "Weird", "Message": "x"}': "unknown Type",
        '{"Type": "Notification", "Message": 5}': "not a string",
        json.dumps({"Records": [{"s3": {}}]}): "without s3.bucket.name",
        json.dumps({"Records": "x"}): "not a list",
        json.dumps({"s3Bucket": 1, "s3ObjectKey": "k"}): "CloudTrail notice",
        json.dumps({"hello": "world"}): "not of a known type",
        b"\xff\xfe": "not UTF-8",
        "[" * 100_000: "",
        "x" * 300_000: "larger than any notification",
    }
    for body, reason in cases.items():
        u = unwrap(body)
        assert u.kind == MALFORMED and reason in u.reason, (body[:40], u)


def test_sns_in_sns_in_sns_is_refused_as_too_deep():
    body = s3_event("k.gz")
    for _ in range(6):
        body = sns(body)
    assert unwrap(body).kind == MALFORMED


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)

envelope_keys = st.sampled_from(["Type", "Message", "Records", "s3", "bucket", "object", "name", "key", "size",
                                 "s3Bucket", "s3ObjectKey", "detail", "detail-type", "Event", "eventName"])
shaped = st.recursive(
    json_values,
    lambda children: st.dictionaries(envelope_keys, children, max_size=5) | st.lists(children, max_size=3),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_fuzzed_bodies_never_raise(body):
    u = unwrap(body)
    assert u.kind in (OBJECTS, MALFORMED, TEST_EVENT, SUBSCRIPTION, VALIDATION)


@settings(max_examples=300, deadline=None)
@given(shaped, st.booleans())
def test_fuzzed_envelope_shaped_json_never_raises(doc, wrap):
    body = json.dumps(doc)
    u = unwrap(sns(body) if wrap else body)
    assert u.kind in (OBJECTS, MALFORMED, TEST_EVENT, SUBSCRIPTION, VALIDATION)
    for n in u.notifications:
        assert isinstance(n.bucket, str) and n.bucket and isinstance(n.key, str) and n.key
