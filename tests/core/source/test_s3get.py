"""The presigned fetch path's own checks: response checksums validated the way botocore's GetObject does, and
the signer choice that keeps presigned URLs on SigV4 (the server-facing cases are in tests/demo/test_s3_servers.py)."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from workbench.source.s3get import _checksum_table, _presign_with_sigv4, checksum_ok

BODY = b'{"eventName":"GetObject"}\n{"eventName":"PutObject"}\n'


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


CRC32 = b64(zlib.crc32(BODY).to_bytes(4, "big"))
SHA256 = b64(hashlib.sha256(BODY).digest())


def test_botocore_checksum_table_is_there_with_the_stdlib_algorithms():
    names = [name for name, _ in _checksum_table()]
    assert {"crc32", "sha1", "sha256"} <= set(names)
    assert names.index("crc32") < names.index("sha256")  # botocore's preference order, not ours


@pytest.mark.parametrize(("headers", "ok"), [
    ({}, True),  # nothing sent (s3rver, or a server without flexible checksums): only Content-Length is checked
    ({"x-amz-checksum-crc32": CRC32}, True),
    ({"x-amz-checksum-crc32": b64(b"\0\0\0\0")}, False),
    ({"x-amz-checksum-sha256": SHA256, "x-amz-checksum-type": "FULL_OBJECT"}, True),
    ({"x-amz-checksum-sha256": b64(hashlib.sha256(b"other").digest())}, False),
    ({"x-amz-checksum-crc32": CRC32 + "-3", "x-amz-checksum-type": "COMPOSITE"}, True),  # of the parts: skipped
    ({"x-amz-checksum-crc32": "not base64!"}, False),
    ({"x-amz-checksum-crc32": CRC32, "x-amz-checksum-sha256": b64(b"wrong")}, True),  # the preferred one decides
    ({"x-amz-checksum-xxhash999": "AAAA"}, True),  # an algorithm nobody here computes: not validated, as botocore
])
def test_checksum_ok(headers, ok):
    assert checksum_ok(headers, BODY) is ok


@pytest.mark.parametrize(("chosen", "expected"), [
    ("v4-query", "s3v4-query"),  # botocore's default would turn this into SigV2 ("s3-query")
    ("s3v4-query", "s3v4-query"),
    ("v4", None),  # a normal (header-signed) call: botocore's own choice
    ("v4a-query", None),  # multi-region access points need SigV4a: botocore's
    ("v4-s3express-query", None),  # S3 Express sessions: botocore's
])
def test_presigned_urls_stay_on_sigv4(chosen, expected):
    assert _presign_with_sigv4(signature_version=chosen) == expected
