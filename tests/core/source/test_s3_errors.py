"""AWS failures while sampling become one plain sentence naming the action (list vs read) and the next step."""

from __future__ import annotations

from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from workbench.aws import AwsSession, explain_aws_error
from workbench.errors import WorkbenchError
from workbench.source.sampling import sample


def client_error(code: str, message: str = "", op: str = "GetObject") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 403}}, op)


@pytest.mark.parametrize(("code", "message", "what", "expect"), [
    ("AccessDenied", "Access Denied", "list s3://b/logs/", "Access denied trying to list s3://b/logs/"),
    ("AccessDenied", "Access Denied", "read s3://b/k.gz", "Access denied trying to read s3://b/k.gz"),
    ("AccessDenied", "User is not authorized to perform: kms:Decrypt", "read s3://b/k.gz", "kms:Decrypt"),
    ("NoSuchBucket", "", "list s3://nope/", "the bucket does not exist"),
    ("ExpiredToken", "", "list s3://b/", "session token has expired"),
    ("PermanentRedirect", "", "list s3://b/", "region"),
    ("SlowDown", "", "read s3://b/k", "throttling"),
])
def test_error_sentences(code, message, what, expect):
    err = explain_aws_error(client_error(code, message), what)
    assert isinstance(err, WorkbenchError) and expect in str(err)
    assert "\n" not in str(err)


@pytest.mark.demo
def test_missing_credentials_is_one_sentence(demo, monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    src = replace(demo.source, profile=None, role_arn=None, credentials_file=None)
    with pytest.raises(WorkbenchError, match="no AWS credentials found"):
        sample(AwsSession(src), src, limit=1)
