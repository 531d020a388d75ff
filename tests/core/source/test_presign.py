"""`workbench.source.presign` against botocore itself: for every key, endpoint style, region and credential kind
the URL must be byte for byte the one `generate_presigned_url` gives at the same second; and anything it does
not model must be refused (None), so botocore keeps presigning. No server needed: presigning is offline."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from workbench.source.presign import PROBE_KEY, presigner_from_probe

KEYS = [
    "plain.log", "dir/sub/file.json.gz", "a b/c+d=e&f?g#h", "unicode/é/日本/😀.txt", "~tilde/~", "percent/%20%2F",
    "//double//slash/", "dots/../../x", "./x", "quote'\"<>|\\^`{}", "  leading space", "AWSLogs/123/CloudTrail/x.gz",
    "semi;colon,comma:colon@at$dollar!bang*star(paren)", "tab\tnewline\n", "k" * 900,
]
HEADERS = {"User-Agent": "Botocore/test", "x-amz-checksum-mode": "ENABLED"}


def make_client(*, region="us-east-1", endpoint=None, token=None, **config):
    session = botocore.session.Session()
    return session.create_client("s3", region_name=region, endpoint_url=endpoint, aws_access_key_id="AKIDEXAMPLE",
                                 aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                 aws_session_token=token, config=Config(signature_version="s3v4", **config))


def botocore_url(client, bucket: str, key: str, checksums: bool = True) -> str:
    params = {"Bucket": bucket, "Key": key}
    if checksums:
        params["ChecksumMode"] = "ENABLED"
    return client.generate_presigned_url("get_object", Params=params, ExpiresIn=900)


def presigner_for(client, bucket: str, checksums: bool = True, headers=None):
    probe = botocore_url(client, bucket, PROBE_KEY, checksums)
    return presigner_from_probe(probe, client._request_signer._credentials, HEADERS if headers is None else headers)


def date_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["X-Amz-Date"][0]


CLIENTS = {
    "custom endpoint, path style": dict(endpoint="http://127.0.0.1:9000"),
    "custom endpoint, default https port": dict(endpoint="https://s3.internal.example:443"),
    "custom endpoint, IPv6": dict(endpoint="http://[::1]:9000"),
    "AWS, virtual host": dict(region="eu-west-1"),
    "AWS, us-east-1": dict(),
    "AWS, path style": dict(region="ap-southeast-2", s3={"addressing_style": "path"}),
    "AWS, session token": dict(region="us-west-2", token="FwoGZXIvYXdzEJr//////////wEaDN+token/with+plus=="),
    "AWS, dualstack": dict(region="eu-central-1", s3={"use_dualstack_endpoint": True}),
    "AWS, FIPS": dict(region="us-gov-west-1", use_fips_endpoint=True),
}


@pytest.mark.parametrize("name", CLIENTS)
@pytest.mark.parametrize("bucket", ["wb-demo-logs", "dotted.bucket.name"])
def test_every_key_signs_exactly_as_botocore(name, bucket):
    client = make_client(**CLIENTS[name])
    presigner = presigner_for(client, bucket)
    assert presigner is not None, f"{name}: the probe URL was not reproduced"
    for key in KEYS:
        expected = botocore_url(client, bucket, key)
        assert presigner.url(key, date_of(expected)) == expected, key


def test_without_checksum_mode_only_host_is_signed():
    client = make_client(endpoint="http://127.0.0.1:9000")
    presigner = presigner_for(client, "b", checksums=False, headers={})
    expected = botocore_url(client, "b", "k/ey", checksums=False)
    assert presigner is not None and presigner.url("k/ey", date_of(expected)) == expected
    assert "X-Amz-SignedHeaders=host&" in expected


def test_rotated_credentials_are_used_at_each_signature():
    client = make_client(region="us-west-2", token="first-token")
    presigner = presigner_for(client, "b")
    creds = client._request_signer._credentials
    creds.access_key, creds.secret_key, creds.token = "AKIDROTATED", "new/secret+key", "second-token"
    expected = botocore_url(client, "b", "k")
    got = presigner.url("k", date_of(expected))
    assert got == expected and "AKIDROTATED" in got and "second-token" in got


def test_a_url_without_a_current_date_uses_now():
    presigner = presigner_for(make_client(endpoint="http://127.0.0.1:9000"), "b")
    url = presigner.url("k")
    assert botocore_url(make_client(endpoint="http://127.0.0.1:9000"), "b", "k")[:60] == url[:60]
    assert len(date_of(url)) == 16 and date_of(url).endswith("Z")


@pytest.mark.parametrize("config", [
    dict(signature_version="s3"),  # SigV2 query auth: botocore's own
    dict(signature_version=UNSIGNED),  # anonymous clients send plain URLs
])
def test_what_it_does_not_model_is_left_to_botocore(config):
    session = botocore.session.Session()
    client = session.create_client("s3", region_name="us-east-1", aws_access_key_id="AKID",
                                   aws_secret_access_key="SECRET", config=Config(**config))
    probe = client.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": PROBE_KEY}, ExpiresIn=900)
    assert presigner_from_probe(probe, client._request_signer._credentials, {}) is None


def test_refusals():
    client = make_client(endpoint="http://127.0.0.1:9000")
    probe = botocore_url(client, "b", PROBE_KEY)
    creds = client._request_signer._credentials
    assert presigner_from_probe(probe, creds, HEADERS) is not None
    assert presigner_from_probe(probe, creds, {}) is None  # a signed header whose value is unknown
    assert presigner_from_probe(probe.replace("probe", "other"), creds, HEADERS) is None  # not the probe key
    assert presigner_from_probe(probe, None, HEADERS) is None  # no credentials object
    other = make_client(endpoint="http://127.0.0.1:9000")
    other._request_signer._credentials.secret_key = "a different secret"
    assert presigner_from_probe(probe, other._request_signer._credentials, HEADERS) is None  # signature differs
    assert presigner_from_probe(probe + "&extra=1", creds, HEADERS) is None  # a parameter after the signature
    assert presigner_from_probe("not a url", creds, HEADERS) is None
