"""Faults between the tool and AWS, injected by a loopback proxy in front of the demo's real moto server:
AccessDenied on list/get, KMS denial, NoSuchKey between list and get, throttling and 5xx bursts, slow answers,
connection resets, credentials expiring mid-session. The sample either succeeds (retried transparently) or
reports each failure as one plain sentence; no session token ever appears in what the user sees."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from workbench.aws import AwsSession
from workbench.errors import WorkbenchError
from workbench.source.s3 import list_objects
from workbench.source.sampling import sample

from .checks import assert_cli_survived, assert_plain_sentence, run_cli
from .faultproxy import Fault, FaultProxy

pytestmark = pytest.mark.demo

PREFIX = "Panoptica/auth/"
LIMIT = 6
_TOKEN = re.compile(rb"<SessionToken>([^<]+)</SessionToken>")
_EXPIRY = re.compile(rb"<Expiration>[^<]+</Expiration>")


class TokenWatch:
    """Rewrites AssumeRole answers to expire a minute from now (so the tool must refresh mid-session) and
    remembers every session token and secret handed out, to prove none of them reaches the user."""

    def __init__(self) -> None:
        self.secrets: list[str] = []

    def __call__(self, body: bytes) -> bytes:
        self.secrets += [m.decode() for m in _TOKEN.findall(body)]
        self.secrets += [m.decode() for m in re.findall(rb"<SecretAccessKey>([^<]+)</SecretAccessKey>", body)]
        soon = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        return _EXPIRY.sub(b"<Expiration>" + soon + b"</Expiration>", body)


@pytest.fixture
def proxied(demo, tally):
    """(proxy, source, aws, watch): the demo source pointed at a fresh fault proxy; faults counted at the end."""
    watch = TokenWatch()
    proxy = FaultProxy(demo.endpoint).start()
    proxy.add(Fault("rewrite", op="AssumeRole", times=10_000, rewrite=watch))
    source = replace(demo.source, endpoint=proxy.endpoint)
    try:
        yield proxy, source, AwsSession(source), watch
    finally:
        proxy.stop()
        for kind, n in proxy.injected.items():
            if kind != "rewrite":
                tally.faults(kind, n)
        tally.faults("expiring-credentials", len(proxy.ops("AssumeRole")))


@pytest.fixture(scope="module")
def keys(demo):
    refs = list(list_objects(demo.aws, demo.source, prefix=PREFIX))
    return [r.key for r in refs if "/hostile-" not in r.key]


def _no_secret(texts, watch: TokenWatch) -> None:
    blob = "\n".join(str(t) for t in texts)
    for s in watch.secrets:
        assert s not in blob, "a session credential reached the user"


def test_access_denied_on_list_is_one_sentence(proxied):
    proxy, source, aws, watch = proxied
    proxy.add(Fault("error", op="ListObjectsV2", code="AccessDenied", message="Access Denied", times=10))
    with pytest.raises(WorkbenchError) as info:
        sample(aws, source, prefix=PREFIX, limit=LIMIT)
    assert_plain_sentence(info.value)
    assert "Access denied trying to list" in str(info.value)
    _no_secret([info.value, info.value.detail], watch)


def test_denied_kms_and_vanished_objects_are_per_object_sentences(proxied, keys):
    proxy, source, aws, watch = proxied
    denied, kms, gone = keys[0], keys[1], keys[2]
    proxy.add(Fault("error", op="GetObject", key=denied, times=10),
              Fault("error", op="GetObject", key=kms, times=10, message="User: arn:aws:sts::123456789012:assumed-role/"
                    "log-reader/x is not authorized to perform: kms:Decrypt on the resource associated with this "
                    "ciphertext because the resource does not exist in this Region"),
              Fault("error", op="GetObject", key=gone, status=404, code="NoSuchKey", message="The specified key does "
                    "not exist.", times=10))
    result = sample(aws, source, prefix=PREFIX, limit=len(keys))
    by_key = {f.ref.key: f.message for f in result.failures}
    assert set(by_key) == {denied, kms, gone}
    assert "Access denied trying to read" in by_key[denied]
    assert "kms:Decrypt" in by_key[kms]
    assert "no longer exists" in by_key[gone]
    for m in by_key.values():
        assert_plain_sentence(m, "fetch failure")
    assert result.records  # every other object was read
    _no_secret(by_key.values(), watch)


def test_throttling_and_5xx_bursts_are_retried_transparently(proxied, demo):
    proxy, source, aws, _watch = proxied
    direct = sample(demo.aws, demo.source, prefix=PREFIX, limit=LIMIT)
    proxy.add(Fault("error", op="ListObjectsV2", status=500, code="InternalError", message="We encountered an "
                    "internal error. Please try again.", times=2),
              Fault("error", op="GetObject", status=503, code="SlowDown", message="Please reduce your request rate.",
                    times=3),
              Fault("error", op="GetObject", status=500, code="InternalError", message="internal", times=2, after=2))
    result = sample(aws, source, prefix=PREFIX, limit=LIMIT)
    assert not result.failures
    assert [r.text for r in result.records] == [r.text for r in direct.records]
    assert proxy.injected.get("error") == 7


@pytest.mark.slow  # five attempts with the standard retry mode's backoff: ~20 s
def test_persistent_throttling_of_one_object_is_one_sentence(proxied, keys):
    proxy, source, aws, _watch = proxied
    proxy.add(Fault("error", op="GetObject", key=keys[0], status=503, code="SlowDown", message="Please reduce "
                    "your request rate.", times=50))
    result = sample(aws, source, prefix=PREFIX, limit=len(keys))
    (failure,) = result.failures
    assert failure.ref.key == keys[0] and "throttling" in failure.message
    assert_plain_sentence(failure.message)


def test_connection_resets_and_slow_answers(proxied, demo, keys):
    proxy, source, aws, _watch = proxied
    direct = sample(demo.aws, demo.source, prefix=PREFIX, limit=LIMIT)
    proxy.add(Fault("reset", op="GetObject", times=3), Fault("delay", op="GetObject", seconds=0.5, times=4),
              Fault("reset", op="ListObjectsV2", times=1))
    result = sample(aws, source, prefix=PREFIX, limit=LIMIT)
    assert not result.failures and len(result.records) == len(direct.records)
    # a key whose every attempt is reset: one sentence, the rest of the sample unharmed
    proxy.add(Fault("reset", op="GetObject", key=keys[0], times=20))
    result = sample(aws, source, prefix=PREFIX, limit=len(keys))
    (failure,) = result.failures
    assert failure.ref.key == keys[0]
    assert_plain_sentence(failure.message)


def test_credentials_expiring_mid_session_are_refreshed_and_never_shown(proxied, caplog, demo):
    proxy, source, aws, watch = proxied
    caplog.set_level(logging.DEBUG)
    first = sample(aws, source, prefix=PREFIX, limit=LIMIT)
    second = sample(aws, source, prefix=PREFIX, limit=LIMIT, seed=1)
    assert first.records and second.records and not first.failures and not second.failures
    # every AssumeRole answer said "expires in a minute": the session re-assumed the role instead of failing
    assert len(proxy.ops("AssumeRole")) >= 2 and watch.secrets
    _no_secret([r.message for r in first.failures + second.failures], watch)
    # the tool's own log records (botocore's DEBUG wire log is off unless a user turns it on) and the one log file
    # the tool writes, the demo server's
    _no_secret([rec.getMessage() for rec in caplog.records if not rec.name.startswith(("botocore", "urllib3"))], watch)
    log = demo.demo.server.log_path
    _no_secret([log.read_text(errors="replace") if log and log.exists() else ""], watch)


def test_expired_token_mid_session_is_one_sentence(proxied, keys):
    proxy, source, aws, watch = proxied
    proxy.add(Fault("error", op="GetObject", status=400, code="ExpiredToken", message="The provided token has "
                    "expired.", after=2, times=100))
    result = sample(aws, source, prefix=PREFIX, limit=len(keys))
    assert result.failures and result.records
    for f in result.failures:
        assert "session token has expired" in f.message
        assert_plain_sentence(f.message)
    _no_secret([f.message for f in result.failures], watch)


def test_cli_sample_and_detect_through_faults(proxied, demo, keys, tmp_path):
    proxy, _source, _aws, watch = proxied
    proxy.add(Fault("error", op="GetObject", key=keys[0], times=50),
              Fault("error", op="GetObject", status=503, code="SlowDown", times=2),
              Fault("reset", op="GetObject", times=2))
    args = ("--config", str(demo.config_path), "--endpoint", proxy.endpoint, "--prefix", PREFIX)
    proc = run_cli("sample", *args, "--limit", str(len(keys)), "--strict", env={"WORKBENCH_CONFIG": ""})
    assert_cli_survived(proc, codes=(1,), secrets=tuple(watch.secrets), machine=True)
    assert "Access denied trying to read" in proc.stderr
    proc = run_cli("detect", *args, "--limit", "4")
    assert_cli_survived(proc, codes=(0,), secrets=tuple(watch.secrets))
    proxy.add(Fault("error", op="ListObjectsV2", times=50))
    proc = run_cli("detect", *args, "--limit", "4")
    assert_cli_survived(proc, codes=(2,), secrets=tuple(watch.secrets))
    assert proc.stderr.startswith("error: Access denied trying to list")


def test_sources_check_under_denials_is_a_checklist_of_sentences(proxied, demo):
    """The onboarding checklist with the role, the bucket, KMS and the queue each denied: every failed check is
    one sentence (with the hostile text of the AWS message cleaned), exit 1, no credential shown."""
    proxy, _source, _aws, watch = proxied
    hostile = "Access Denied [/] \x1b]0;owned\x07 \u202egnp.exe"
    proxy.add(Fault("error", op="ListObjectsV2", times=50, message=hostile),
              Fault("error", op="GetBucketEncryption", times=50, message="not authorized to perform: kms:Decrypt"),
              Fault("error", op="GetQueueAttributes", status=400, code="AccessDenied", message=hostile, times=50),
              Fault("error", op="GetBucketNotificationConfiguration", times=50, message=hostile))
    for fmt in ((), ("--json",)):
        proc = run_cli("sources", "check", "--config", str(demo.config_path), "--endpoint", proxy.endpoint, *fmt)
        assert_cli_survived(proc, codes=(1,), secrets=tuple(watch.secrets), machine=bool(fmt))
        assert "Access denied" in proc.stdout + proc.stderr
