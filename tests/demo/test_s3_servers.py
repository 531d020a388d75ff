"""Sampling, detection and poll-mode live on two S3 implementations (moto and s3rver), seeded with the same
demo history: what the tool assumes of S3 must hold for both — listing order and pagination (with and
without a delimiter), ranged GETs, odd characters in keys, and the error codes it turns into sentences.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from livekit import RULE_PY, RULE_YML, SCHEMA, _check_items, _wait_for_key

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
