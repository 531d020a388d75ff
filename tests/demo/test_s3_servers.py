"""Sampling, detection and poll-mode live on two S3 implementations (moto and s3rver), seeded with the same
demo history: what the tool assumes of S3 must hold for both — listing order and pagination (with and
without a delimiter), ranged GETs, odd characters in keys, and the error codes it turns into sentences.
"""

from __future__ import annotations

import gzip
import random
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from livekit import RULE_PY, RULE_YML, SCHEMA, _check_items, _wait_for_key

from workbench.aws import AwsSession
from workbench.demo.generator import live_object
from workbench.demo.seed import put_object
from workbench.errors import WorkbenchError
from workbench.live.tail import LiveTail
from workbench.model import FetchFailure, ObjectRef
from workbench.source.formats import detect_groups
from workbench.source.partitions import in_window
from workbench.source.s3 import ListStats, fetch_objects, list_for_sampling, list_objects, stratified_sample
from workbench.source.sampling import sample

# Keys a user's bucket really has: spaces, '+' (which S3 never decodes to a space), a literal '%20', non-ASCII,
# query-string characters, and the characters S3's docs list as needing special handling.
ODD_KEYS = (
    "odd/a b.log", "odd/plus+sign.log", "odd/percent%20literal.log", "odd/ünïcödé-日本.log",
    "odd/eq=1&x=y;z.log", "odd/tilde~star*.log", "odd/quote'paren(1)!.log", "odd/dt=2026-01-01/hash#1.log",
    "odd/comma,colon:at@dollar$.log", "odd/zero-width\u200bspace.log",
)
PAGED = 1010  # more than one list page (S3 returns at most 1,000 keys per call)


@pytest.fixture(scope="module")
def server_sample(s3_server):
    return sample(s3_server.aws, s3_server.source, limit=200, seed=0)


def _extra_bucket(s3_server, name: str, bodies: dict[str, bytes]) -> None:
    """A bucket of the test's own (the seeded one stays as every other test expects it); idempotent."""
    existing = {b["Name"] for b in s3_server.s3.list_buckets().get("Buckets", [])}
    if name not in existing:
        s3_server.s3.create_bucket(Bucket=name)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda kv: s3_server.s3.put_object(Bucket=name, Key=kv[0], Body=kv[1]), bodies.items()))


def test_flat_listing_is_complete_and_in_utf8_key_order(s3_server):
    stats = ListStats()
    keys = [r.key for r in list_objects(s3_server.aws, s3_server.source, stats=stats)]
    assert keys == sorted(set(s3_server.keys))  # code-point order is UTF-8 byte order, S3's listing order
    assert stats.list_calls == 1  # 565 keys: one page


def test_windowed_walk_finds_what_the_flat_listing_filters(s3_server):
    since = s3_server.spec.end - timedelta(days=3)
    walk, flat = ListStats(), ListStats()
    walked = {r.key for r in list_objects(s3_server.aws, s3_server.source, since=since, stats=walk, probe_pages=0)}
    filtered = {r.key for r in list_objects(s3_server.aws, s3_server.source, stats=flat)
                if in_window(r.key, r.last_modified, since, None)}
    assert walked and walked == filtered and len(walked) < flat.listed
    if s3_server.name == "moto":
        assert walk.pruned_prefixes > 0 and walk.keys_seen < flat.keys_seen
    else:
        # s3rver's delimited listings leave out folders two or more levels deep: the walk notices the empty
        # answer and lists flat instead of reporting nothing
        assert walk.prefixes == ["", "", ""] and walk.keys_seen == flat.keys_seen


def test_sample_picks_the_same_objects_on_every_server_and_decodes_them(s3_server, server_sample):
    expected = stratified_sample([ObjectRef(s3_server.source.bucket, k, 0) for k in s3_server.keys], limit=200, seed=0)
    assert [r.key for r in server_sample.objects] == [r.key for r in expected]
    assert not server_sample.failures and len(server_sample.records) > 1000
    assert server_sample.complete_listing and server_sample.listed == len(s3_server.keys)
    hostile = [s for s in server_sample.flagged() if "invalid-utf8" in s.flags]
    assert all(s.ref.key.startswith("Panoptica/") for s in hostile)


def test_detection_names_every_demo_format(s3_server, server_sample):
    found = detect_groups(server_sample, source=s3_server.source)
    formats = {d.pattern.split("/")[0]: d.format for d in found if not d.pattern.startswith("Panoptica/")}
    assert formats == {"AWSLogs": "CloudTrail", "s3-access": "S3 server access log", "app": "CSV"}
    panoptica = {d.pattern.split("/")[1]: d.format for d in found if d.pattern.startswith("Panoptica/")}
    assert set(panoptica) >= {"auth", "file_access", "policy_change"}
    assert {panoptica[t] for t in ("auth", "file_access", "policy_change")} == {"JSON lines"}


def test_listing_pages_past_1000_keys_with_and_without_a_delimiter(s3_server):
    bucket = "wb-peer-paging"
    bodies = {f"{i:04d}.log": b"x\n" for i in range(PAGED)} | {"aa/1.log": b"a\n", "zz/2.log": b"z\n"}
    _extra_bucket(s3_server, bucket, bodies)
    src = replace(s3_server.source, bucket=bucket)
    flat = ListStats()
    assert [r.key for r in list_objects(s3_server.aws, src, stats=flat)] == sorted(bodies)
    assert flat.list_calls == 2
    # the walk lists "/"-delimited pages: objects and folders are spread over two pages, then each folder
    walk = ListStats()
    since = datetime.now(UTC) - timedelta(days=1)
    walked = sorted(r.key for r in list_objects(s3_server.aws, src, since=since, stats=walk, probe_pages=0))
    assert walked == sorted(bodies)
    assert walk.list_calls == 4 and sorted(walk.prefixes) == ["", "", "aa/", "zz/"]  # folders listed concurrently


def test_odd_keys_list_and_read_back_exactly(s3_server):
    bucket = "wb-peer-keys"
    bodies = {k: f"{k}\n".encode() for k in ODD_KEYS}
    _extra_bucket(s3_server, bucket, bodies)
    src = replace(s3_server.source, bucket=bucket)
    refs = list(list_objects(s3_server.aws, src))
    assert [r.key for r in refs] == sorted(ODD_KEYS)
    got = {ref.key: data for ref, data in fetch_objects(s3_server.aws, refs)}
    assert got == bodies
    assert all(r.size == len(bodies[r.key]) and r.etag for r in refs)


def test_ranged_get_reads_the_head_and_learns_the_real_size(s3_server):
    refs = [r for r in list_objects(s3_server.aws, s3_server.source, prefix="s3-access/") if r.size > 4096][:2]
    unknown = replace(refs[1], size=-1)  # a size we were never told: the ranged GET's Content-Range says it
    got = dict(fetch_objects(s3_server.aws, [refs[0], unknown], max_bytes=4096))
    by_key = {ref.key: (ref, data) for ref, data in got.items()}
    for orig in refs:
        ref, data = by_key[orig.key]
        assert isinstance(data, bytes) and len(data) == 4096 and ref.size == orig.size
        whole = s3_server.s3.get_object(Bucket=orig.bucket, Key=orig.key)["Body"].read()
        assert data == whole[:4096]


def test_missing_key_and_missing_bucket_are_plain_sentences(s3_server):
    missing = ObjectRef(s3_server.source.bucket, "app/payments/dt=2020-01-01/gone+a b.csv.gz", size=10)
    [(_, failure)] = list(fetch_objects(s3_server.aws, [missing]))
    assert isinstance(failure, FetchFailure) and "no longer exists" in failure.message
    with pytest.raises(WorkbenchError, match="the bucket does not exist"):
        list(list_objects(s3_server.aws, replace(s3_server.source, bucket="no-such-bucket-wb")))
    [(_, failure)] = list(fetch_objects(s3_server.aws, [replace(missing, bucket="no-such-bucket-wb")]))
    assert isinstance(failure, FetchFailure) and "the bucket does not exist" in failure.message


def test_poll_mode_streams_a_new_object_without_any_queue(s3_server, tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "auth.yml").write_text(SCHEMA)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "any_auth.yml").write_text(RULE_YML)
    (tmp_path / "rules" / "any_auth.py").write_text(RULE_PY)
    config = replace(s3_server.config, schema_dirs=(tmp_path / "schemas",), rules_dir=tmp_path / "rules",
                     extra={"live": {"poll_interval": 0.5}})
    spec = live_object(random.Random(31), "auth", datetime.now(UTC))
    try:
        with LiveTail(config, s3_server.source) as tail:
            assert tail.mode == "poll"
            put_object(s3_server.s3, s3_server.source.bucket, spec, None)
            n = len(gzip.decompress(spec.body).splitlines())
            items = _wait_for_key(tail, spec.key, n)
            _check_items(items, n)
            assert {i.key for i in tail.buffer.snapshot()} == {spec.key}
    finally:
        s3_server.s3.delete_object(Bucket=s3_server.source.bucket, Key=spec.key)


def test_bounded_walk_for_huge_buckets_still_finds_objects(s3_server):
    refs, complete = list_for_sampling(s3_server.aws, s3_server.source, budget=60, probe_pages=0)
    assert not complete and refs and {r.key for r in refs} <= set(s3_server.keys)
    assert {r.key.split("/")[0] for r in refs} == {k.split("/")[0] for k in s3_server.keys}


@pytest.mark.parametrize("value", ["2026-12-04T20:01:02.000Z", "2026-12-04T20:01:02Z", "Fri, 04 Dec 2026 20:01:02 GMT",
                                   "1700000000", "2026-12-04T20:01:02+01:00", "Fri, 04 Dec 2026 20:01:02 +0100", "not a time"])
def test_fast_timestamp_parser_agrees_with_botocore(value):
    from botocore.utils import parse_timestamp

    from workbench.aws import fast_timestamp

    try:
        expected = parse_timestamp(value)
    except ValueError:
        with pytest.raises(ValueError):
            fast_timestamp(value)
        return
    got = fast_timestamp(value)
    assert got == expected and got.utcoffset() == expected.utcoffset()


# ---------------------------------------------------------------------------------------------------------
# The presigned fetch path (`workbench.source.s3get`): a GET is first a presigned URL sent on botocore's own
# HTTP session, and `get_object` only when that does not answer cleanly. A fault-injecting front between
# the tool and the server shows which path served each object and what happens when the first one fails.


class _Front:
    """A loopback HTTP front for an S3 server. Requests without a signature in the URL (header-signed:
    listings, `get_object`, STS) are forwarded unchanged, Host header included, so signatures still verify.
    Presigned GETs (``X-Amz-Signature=`` in the query) get what `mode` says: "pass" forwards them too, "503"
    answers S3's SlowDown, "drop" closes the connection without an answer, "corrupt" forwards and flips the
    first byte of the body (headers untouched), "short" forwards and closes the connection 5 bytes before
    the end of the body its Content-Length announced."""

    def __init__(self, upstream: str, mode: str = "pass"):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlparse

        self.mode = mode
        self.presigned: list[str] = []  # request targets of the presigned GETs seen
        self.agents: set[str] = set()  # their User-Agent headers
        up = urlparse(upstream)
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # STS (moto's demo source assumes a role) and anything else: forwarded
                self.do_GET()

            def do_GET(self):
                import http.client

                presigned = "X-Amz-Signature=" in self.path and self.command == "GET"
                if presigned:
                    front.presigned.append(self.path)
                    front.agents.add(self.headers.get("User-Agent", ""))
                if presigned and front.mode == "drop":
                    self.close_connection = True
                    return
                if presigned and front.mode == "503":
                    body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                    status, headers = 503, [("Content-Type", "application/xml")]
                else:
                    conn = http.client.HTTPConnection(up.hostname, up.port, timeout=10)
                    sent = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    conn.request(self.command, self.path, body=sent, headers=dict(self.headers))
                    r = conn.getresponse()
                    body, status = r.read(), r.status
                    headers = [(k, v) for k, v in r.getheaders()
                               if k.lower() not in ("content-length", "transfer-encoding", "connection", "keep-alive")]
                    conn.close()
                    if presigned and front.mode == "corrupt" and body:
                        body = bytes([body[0] ^ 0x20]) + body[1:]
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if presigned and front.mode == "short":
                    body, self.close_connection = body[:-5], True
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def front(s3_server):
    """(front, AwsSession through it, a list that grows by one key per `get_object` call)."""
    f = _Front(s3_server.endpoint)
    aws = AwsSession(replace(s3_server.source, endpoint=f.url))
    fallbacks: list[str] = []
    aws.client("s3").meta.events.register(  # emitted by get_object calls only, never by presigning
        "before-call.s3.GetObject", lambda context, **_: fallbacks.append(context["input_params"]["Key"]))
    try:
        yield f, aws, fallbacks
    finally:
        f.close()


def test_presigned_gets_serve_odd_keys_signed_with_sigv4(s3_server, front):
    f, aws, fallbacks = front
    bucket = "wb-peer-keys"
    bodies = {k: f"{k}\n".encode() for k in ODD_KEYS}
    _extra_bucket(s3_server, bucket, bodies)
    refs = list(list_objects(aws, replace(s3_server.source, bucket=bucket)))
    got = {ref.key: data for ref, data in fetch_objects(aws, refs)}
    assert got == bodies
    assert fallbacks == [] and len(f.presigned) == len(ODD_KEYS)  # every key served by the presigned path
    # SigV4 (SSE-KMS objects and newer regions refuse SigV2), with the checksum mode botocore's GetObject sends
    assert all("X-Amz-Algorithm=AWS4-HMAC-SHA256" in p and "x-amz-checksum-mode" in p for p in f.presigned)
    assert [a.split("/")[0] for a in f.agents] == ["Botocore"]  # logged as botocore, like every other call


def test_presigned_ranged_get_reads_the_head_and_learns_the_real_size(s3_server, front):
    f, aws, fallbacks = front
    refs = [r for r in list_objects(aws, s3_server.source, prefix="s3-access/") if r.size > 4096][:2]
    got = {ref.key: (ref, data) for ref, data in fetch_objects(aws, [refs[0], replace(refs[1], size=-1)], max_bytes=4096)}
    for orig in refs:
        ref, data = got[orig.key]
        whole = s3_server.s3.get_object(Bucket=orig.bucket, Key=orig.key)["Body"].read()
        assert data == whole[:4096] and ref.size == orig.size
    assert fallbacks == [] and len(f.presigned) == 2


def test_presigned_miss_falls_back_to_the_same_error_sentence(s3_server, front):
    f, aws, fallbacks = front
    missing = ObjectRef(s3_server.source.bucket, "app/payments/dt=2020-01-01/gone+a b#1.csv.gz", size=10)
    [(_, failure)] = list(fetch_objects(aws, [missing]))
    assert isinstance(failure, FetchFailure)
    assert failure.message == f"Cannot read {missing.uri}: the object no longer exists (deleted after it was listed)."
    assert fallbacks == [missing.key] and len(f.presigned) == 1  # the 404 itself is left to get_object


@pytest.mark.parametrize("mode", ["503", "drop", "short"])
def test_a_failed_presigned_get_is_fetched_again_by_get_object(s3_server, front, mode):
    f, aws, fallbacks = front
    f.mode = mode
    refs = list(list_objects(aws, s3_server.source, prefix="app/"))[:5]
    got = dict(fetch_objects(aws, refs))
    assert all(isinstance(data, bytes) and len(data) == ref.size for ref, data in got.items())
    assert sorted(fallbacks) == sorted(r.key for r in refs) and len(f.presigned) == len(refs)


def test_a_corrupted_presigned_body_fails_its_checksum_and_is_fetched_again(s3_server, front):
    f, aws, fallbacks = front
    key = "odd/checksummed.log"
    body = b"checksummed line one\nline two\n"
    s3_server.s3.put_object(Bucket=s3_server.source.bucket, Key=key, Body=body, ChecksumAlgorithm="CRC32")
    try:
        head = s3_server.s3.head_object(Bucket=s3_server.source.bucket, Key=key, ChecksumMode="ENABLED")
        if not head.get("ChecksumCRC32"):
            pytest.skip(f"{s3_server.name} does not return object checksums (x-amz-checksum-*)")
        f.mode = "corrupt"
        [(_, data)] = list(fetch_objects(aws, [ObjectRef(s3_server.source.bucket, key, len(body))]))
        assert data == body and fallbacks == [key]
    finally:
        s3_server.s3.delete_object(Bucket=s3_server.source.bucket, Key=key)


def test_a_sample_through_presigned_gets_equals_the_direct_one(s3_server, server_sample, front):
    f, aws, fallbacks = front  # on moto the demo's objects are SSE-KMS encrypted: they need SigV4 URLs
    got = sample(aws, replace(s3_server.source, endpoint=f.url), limit=200, seed=0)
    assert not got.failures and fallbacks == [] and len(f.presigned) == 200
    assert [(r.key, r.line, r.text) for r in got.records] == [(r.key, r.line, r.text) for r in server_sample.records]
