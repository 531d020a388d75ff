"""GET one object (ranged when it is larger than the read cap) for sampling, replay and live mode.

The first try is a presigned GET, SigV4-signed by botocore for the bucket's endpoint and region, with the
checksum mode botocore's own GetObject asks for, sent on connections the client's own HTTP session opens
(the same TLS settings, CA bundle, socket options and timeouts as every other call): by `http_get.LeanGets`
where no HTTP proxy is configured, else through the session itself. It skips what a `get_object` call spends
its CPU on besides the request itself (event hooks, response parsing, retry bookkeeping, and urllib3's own
request handling on the lean path): about a third of the CPU per object of a plain presigned GET, a sixth
of `get_object`'s. Anything but a clean 200/206 — an error status, a connection error, a short body, a checksum that
does not match — is not interpreted here: the object is fetched again with `client.get_object`, so retries,
region redirects, clock-skew correction and the error sentence stay botocore's and `explain_aws_error`'s.
"""

from __future__ import annotations

import base64
import threading
import weakref
from dataclasses import replace
from typing import Any

from workbench.aws import explain_aws_error
from workbench.model import FetchFailure, ObjectRef
from workbench.source.http_get import LeanGets
from workbench.source.presign import PROBE_KEY, BucketPresigner, presigner_from_probe

MiB = 1024 * 1024
DEFAULT_READ = 8 * MiB  # per-object read cap: larger objects get a ranged GET of their first 8 MiB
PARQUET_READ = 128 * MiB  # Parquet needs its footer, so it is read whole up to this size
PRESIGN_EXPIRES = 900  # seconds; the URL is used at once, the margin covers a slow clock or a long queue


def _read_cap(ref: ObjectRef, max_bytes: int | None) -> int:
    if ref.key.lower().endswith(".parquet"):
        return max(max_bytes or 0, PARQUET_READ)
    return max_bytes or DEFAULT_READ


def _content_range_total(value: str | None) -> int | None:
    # "bytes 0-8388607/123456789"
    if not value or "/" not in value:
        return None
    tail = value.rsplit("/", 1)[1]
    return int(tail) if tail.isdigit() else None


def fetch_one(client, ref: ObjectRef, max_bytes: int | None = None) -> tuple[ObjectRef, bytes | FetchFailure]:
    """GET one object (ranged when it is larger than the read cap). The returned ref carries the real size
    when S3 told us, so the decoder knows a read was partial."""
    cap = _read_cap(ref, max_bytes)
    ranged = ref.size < 0 or ref.size > cap
    got = _presigned_get(client, ref, cap if ranged else None)
    if got is None:
        kwargs: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
        if ranged:
            kwargs["Range"] = f"bytes=0-{cap - 1}"
        try:
            resp = client.get_object(**kwargs)
            body = resp["Body"]
            try:
                data = body.read()
            finally:
                body.close()
        except Exception as e:  # one object's failure is a value, counted and listed by the caller
            return ref, FetchFailure(ref, str(explain_aws_error(e, f"read {ref.uri}")))
        content_range = resp.get("ContentRange")
    else:
        data, content_range = got
    total = _content_range_total(content_range)
    if total is not None and total != ref.size:
        ref = replace(ref, size=total)
    elif ref.size < 0 and not ranged:
        ref = replace(ref, size=len(data))
    return ref, data


# ---------------------------------------------------------------------------------------------------------
# The presigned path


class _Direct:
    """What one client's presigned GETs need: its HTTP session (and the lean sender over its connections,
    when this botocore exposes what it needs), whether it asks for checksums, and its User-Agent (so S3 access
    logs and CloudTrail data events name botocore, as for any other call)."""

    def __init__(self, http, checksums: bool, user_agent: str | None, lean: LeanGets | None):
        self.http = http
        self.checksums = checksums
        self.user_agent = user_agent
        self.lean = lean
        self.presigners: dict[str, BucketPresigner | None] = {}  # bucket -> its presigner (None: botocore's)
        self.lock = threading.Lock()

    def presigner(self, client, bucket: str, headers: dict[str, str]) -> BucketPresigner | None:
        """The bucket's fast presigner, made on first use from botocore's URL for a probe key."""
        try:
            return self.presigners[bucket]
        except KeyError:
            pass
        with self.lock:
            if bucket not in self.presigners:
                params: dict[str, Any] = {"Bucket": bucket, "Key": PROBE_KEY}
                if self.checksums:
                    params["ChecksumMode"] = "ENABLED"
                credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
                try:
                    probe = client.generate_presigned_url("get_object", Params=params, ExpiresIn=PRESIGN_EXPIRES)
                    self.presigners[bucket] = presigner_from_probe(probe, credentials, headers)
                except Exception:  # no credentials yet, say: every GET presigns with botocore and explains
                    self.presigners[bucket] = None
            return self.presigners[bucket]


_DIRECT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_DIRECT_LOCK = threading.Lock()


def _presign_with_sigv4(signature_version: Any = None, **_) -> str | None:
    """botocore presigns S3 URLs with SigV2 unless the client's config names a signature version (its
    backwards-compatible default); SSE-KMS objects and every region opened since 2014 refuse SigV2. When
    botocore has chosen plain SigV4 for the operation, sign the URL with SigV4 too; anything else (SigV4a
    for multi-region access points, S3 Express sessions) keeps botocore's choice."""
    if signature_version in ("v4-query", "s3v4-query"):
        return "s3v4-query"
    return None


def _direct_for(client) -> _Direct | None:
    """The client's presigned-GET set-up, made once per client; None when this botocore does not expose the
    client's HTTP session (then every GET goes through `get_object`)."""
    try:
        return _DIRECT[client]
    except (KeyError, TypeError):
        pass
    with _DIRECT_LOCK:
        if client in _DIRECT:
            return _DIRECT[client]
        http = getattr(getattr(client, "_endpoint", None), "http_session", None)
        meta = getattr(client, "meta", None)
        if http is None or not hasattr(http, "send") or meta is None:
            direct = None
        else:
            meta.events.register_first("choose-signer.s3.GetObject", _presign_with_sigv4,
                                       unique_id="workbench-presign-sigv4")
            # botocore's GetObject asks for checksums unless told to only when required; so does this
            mode = getattr(meta.config, "response_checksum_validation", None)
            lean = None
            if LeanGets.usable(http):
                lean = LeanGets(http, getattr(meta.config, "read_timeout", None))
                weakref.finalize(client, lean.close)  # its idle connections go when the client does
            direct = _Direct(http, mode != "when_required", getattr(meta.config, "user_agent", None), lean)
        _DIRECT[client] = direct
        return direct


def _presigned_get(client, ref: ObjectRef, cap: int | None) -> tuple[bytes, str | None] | None:
    """(body, Content-Range) of a presigned GET (the first `cap` bytes when `cap` is given), or None when it
    did not answer cleanly and `get_object` should try instead."""
    direct = _direct_for(client)
    if direct is None:
        return None
    from botocore.awsrequest import AWSRequest

    params: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
    headers: dict[str, str] = {"User-Agent": direct.user_agent} if direct.user_agent else {}
    if direct.checksums:
        params["ChecksumMode"] = headers["x-amz-checksum-mode"] = "ENABLED"  # a signed header: sent as signed
    if cap is not None:
        headers["Range"] = f"bytes=0-{cap - 1}"
    try:
        presigner = direct.presigner(client, ref.bucket, headers)
        if presigner is not None:
            url = presigner.url(ref.key)
        else:
            url = client.generate_presigned_url("get_object", Params=params, ExpiresIn=PRESIGN_EXPIRES)
        if direct.lean is not None and direct.lean.handles(url):
            status, resp_headers, data = direct.lean.get(url, headers)  # the body is read whole, or it raises
        else:
            resp = direct.http.send(AWSRequest("GET", url, headers=headers).prepare())
            data = resp.content  # read whole (and the connection returned to the pool) whatever the status
            status, resp_headers = resp.status_code, resp.headers
    except Exception:  # credentials, endpoint, connection, short read (LeanGetError): get_object retries and explains
        return None
    if status not in (200, 206):
        return None
    length = resp_headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) != len(data)):
        return None
    if status == 200 and not checksum_ok(resp_headers, data):
        return None
    return data, resp_headers.get("content-range")


def _checksum_table() -> list[tuple[str, Any]]:
    """botocore's response checksum algorithms in its order of preference, with its implementations (the
    CRT ones when awscrt is installed): the fast path validates exactly what `get_object` would."""
    from botocore.httpchecksum import _ALGORITHMS_PRIORITY_LIST, _CHECKSUM_CLS

    return [(name, _CHECKSUM_CLS[name]) for name in _ALGORITHMS_PRIORITY_LIST if name in _CHECKSUM_CLS]


_TABLE: list[tuple[str, Any]] | None = None


def checksum_ok(headers, data: bytes) -> bool:
    """False when the response carries an `x-amz-checksum-*` of the whole object that `data` does not match.
    Like botocore: the first algorithm (in its order) that is present and computable decides; a composite
    checksum of a multipart upload (``…-3``) is not a checksum of the bytes and is skipped."""
    global _TABLE
    if not any(k.lower().startswith("x-amz-checksum-") for k in headers):
        return True
    if _TABLE is None:
        _TABLE = _checksum_table()
    for name, cls in _TABLE:
        expected = headers.get(f"x-amz-checksum-{name}")
        if expected is None or "-" in expected:
            continue
        checksum = cls()
        checksum.update(data)
        try:
            return checksum.digest() == base64.b64decode(expected, validate=True)
        except ValueError:
            return False
    return True
