"""Decoding by content: codecs, stream types, caps, repairs. Pure functions, no AWS."""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import json

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.model import ObjectRef
from workbench.source.decode import DecodeLimits, decode_object, sniff_compression, split_lines
from workbench.source.lines import LineSplitter

REF = ObjectRef("bucket", "logs/2024/05/01/x.json.gz")


def ndjson(n: int) -> bytes:
    return b"".join(json.dumps({"i": i, "msg": f"event {i}"}).encode() + b"\n" for i in range(n))


def texts(data: bytes, key: str = REF.key, **kw) -> list[str]:
    return [r.text for r in decode_object(data, ObjectRef("bucket", key), **kw).records]


def test_compression_is_sniffed_from_content_not_the_name():
    plain = ndjson(3)
    for blob, kind in ((gzip.compress(plain), "gzip"), (zstandard.ZstdCompressor().compress(plain), "zstd"),
                       (bz2.compress(plain), "bzip2"), (plain, "none")):
        assert sniff_compression(blob) == kind
        d = decode_object(blob, ObjectRef("b", "any/name.txt"))
        assert d.compression == kind
        assert [json.loads(r.text)["i"] for r in d.records] == [0, 1, 2]


def test_zstd_behind_gz_is_decoded_and_flagged():
    d = decode_object(zstandard.ZstdCompressor().compress(ndjson(2)), REF)
    assert d.compression == "zstd" and len(d.records) == 2
    assert "compression_mismatch" in d.flags
    assert any("zstd" in n for n in d.notes)


def test_multi_member_gzip_reads_every_member():
    assert len(texts(gzip.compress(ndjson(2)) + gzip.compress(ndjson(3)))) == 5


def test_records_keep_provenance_and_key_time():
    d = decode_object(b'{"a":1}\n\n{"a":2}\n', ObjectRef("bkt", "logs/2024/05/01/x.json"))
    assert [(r.bucket, r.key, r.line, r.offset) for r in d.records] == [
        ("bkt", "logs/2024/05/01/x.json", 1, 0), ("bkt", "logs/2024/05/01/x.json", 3, 9)]
    assert d.records[0].time.isoformat() == "2024-05-01T00:00:00+00:00"
    assert d.records[0].to_json() == {"bucket": "bkt", "key": "logs/2024/05/01/x.json", "line": 1,
                                      "time": "2024-05-01T00:00:00+00:00", "text": '{"a":1}'}


def test_cloudtrail_envelope_is_unwrapped():
    doc = {"Records": [{"eventVersion": "1.08", "eventName": "GetObject"}, {"eventVersion": "1.08", "eventName": "PutObject"}]}
    d = decode_object(gzip.compress(json.dumps(doc).encode()), REF)
    assert (d.stream, d.envelope) == ("json_array", "Records")
    assert [json.loads(r.text)["eventName"] for r in d.records] == ["GetObject", "PutObject"]


def test_top_level_array_and_pretty_printed_stream():
    assert len(texts(json.dumps([{"a": 1}, {"a": 2}], indent=2).encode(), key="x.json")) == 2
    d = decode_object(b'{\n  "a": 1\n}\n{\n  "a": 2\n}\n', ObjectRef("b", "x.json"))
    assert d.stream == "json" and [json.loads(r.text) for r in d.records] == [{"a": 1}, {"a": 2}]
    assert [r.line for r in d.records] == [1, 4]


def test_cloudwatch_logs_subscription_payloads():
    payload = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "g", "logStream": "s",
               "subscriptionFilters": ["f"], "logEvents": [
                   {"id": "1", "timestamp": 1714521600000,
                    "message": "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK"},
                   {"id": "2", "timestamp": 1714521601000, "message": "second"}]}
    control = {"messageType": "CONTROL_MESSAGE", "logEvents": [{"id": "", "timestamp": 0, "message": "CWL CONTROL"}]}
    blob = gzip.compress((json.dumps(payload) + json.dumps(control) + json.dumps(payload)).encode())
    d = decode_object(blob, REF)
    assert d.stream == "cloudwatch_logs"
    assert [r.text for r in d.records][1:3] == ["second", payload["logEvents"][0]["message"]]
    assert d.records[0].time.isoformat() == "2024-05-01T00:00:00+00:00"


def test_invalid_utf8_is_repaired_and_flagged_never_fatal():
    d = decode_object(b'{"a":"ok"}\n{"a":"s\xff\xfeo"}\n', REF)
    assert d.error is None and len(d.records) == 2
    assert d.records[1].flags == ("invalid_utf8",) and "\ufffd" in d.records[1].text
    assert d.records[0].flags == ()
    assert "invalid_utf8" in d.flags


def test_line_cap_cuts_and_flags():
    d = decode_object(b"x" * 50 + b"\nshort\n", ObjectRef("b", "t.log"), limits=DecodeLimits(max_line=10))
    assert [(r.text, r.flags) for r in d.records] == [("x" * 10, ("line_truncated",)), ("short", ())]
    assert "line_truncated" in d.flags


def test_gzip_bomb_stops_at_the_cap_with_a_clear_note():
    bomb = gzip.compress(b"A" * 99 + b"\n" * 1, compresslevel=9) + gzip.compress(b"B" * (20 * 1024 * 1024))
    d = decode_object(bomb, REF, limits=DecodeLimits(max_decompressed=1024 * 1024))
    assert d.error is None
    assert "decompressed_cap" in d.flags
    assert d.bytes_out == 1024 * 1024
    assert any("cap" in n and "1 MiB" in n for n in d.notes)
    assert d.records[0].text == "A" * 99


def test_partial_read_drops_the_cut_record():
    full = gzip.compress(ndjson(5000))
    d = decode_object(full[: len(full) // 2], ObjectRef("b", "k.json.gz", size=len(full)))
    assert "object_truncated" in d.flags and d.error is None
    assert 0 < len(d.records) < 5000
    assert [json.loads(r.text)["i"] for r in d.records] == list(range(len(d.records)))


def test_partial_cloudtrail_keeps_complete_events():
    doc = {"Records": [{"eventVersion": "1.08", "eventName": "E" * 40, "i": i} for i in range(2000)]}
    full = gzip.compress(json.dumps(doc).encode())
    d = decode_object(full[: len(full) // 2], ObjectRef("b", "k.json.gz", size=len(full)))
    assert d.envelope == "Records" and 0 < len(d.records) < 2000
    assert [json.loads(r.text)["i"] for r in d.records] == list(range(len(d.records)))


def test_empty_and_garbage_objects_are_values_not_exceptions():
    assert decode_object(b"", REF).flags == ("empty",)
    bad = decode_object(b"\x1f\x8bnot really gzip", REF)
    assert bad.error and "gzip" in bad.error and bad.records == []


def test_parquet():
    buf = io.BytesIO()
    pq.write_table(pa.table({"user": ["alice", "bob"], "n": [1, 2]}), buf)
    d = decode_object(buf.getvalue(), ObjectRef("b", "t/x.parquet"))
    assert d.compression == "parquet" and d.stream == "parquet"
    assert [json.loads(r.text) for r in d.records] == [{"user": "alice", "n": 1}, {"user": "bob", "n": 2}]


# --- properties -------------------------------------------------------------------------------------------

lines_bytes = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30).map(
    lambda ls: b"\n".join(ls)).filter(lambda b: sniff_compression(b) == "none")  # magic-led bytes are ambiguous


def _cuts(data: bytes, points: list[int]) -> list[bytes]:
    idx = sorted({p % (len(data) + 1) for p in points})
    bounds = [0, *idx, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@given(data=st.binary(max_size=400), points=st.lists(st.integers(min_value=0), max_size=12),
       max_line=st.integers(min_value=1, max_value=64))
def test_line_splitting_is_independent_of_chunking(data, points, max_line):
    splitter = LineSplitter(max_line)
    got = []
    for chunk in _cuts(data, points):
        got += splitter.feed(chunk)
    got += splitter.finish()
    assert got == split_lines(data, max_line)


@given(data=lines_bytes, points=st.lists(st.integers(min_value=0), max_size=8))
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_any_split_into_compressed_members_yields_the_same_records(data, points):
    """Compressing arbitrary chunks as separate members/frames/streams decodes to the unsplit records."""
    want = texts(data, key="x.log")
    parts = _cuts(data, points)
    for codec in (gzip.compress, zstandard.ZstdCompressor().compress, bz2.compress):
        assert texts(b"".join(codec(p) for p in parts if p) or b"", key="x.log") == want


@given(data=st.binary(max_size=2000))
@settings(deadline=None)
def test_decode_of_compress_roundtrips(data):
    from workbench.source.decode import decompress

    for codec in (gzip.compress, zstandard.ZstdCompressor().compress, bz2.compress):
        out = decompress(codec(data))
        assert out.data == data and not out.capped and out.error is None


def test_utf16_with_bom_is_transcoded():
    d = decode_object('{"a":"é"}\n{"a":2}\n'.encode("utf-16"), ObjectRef("b", "x.json"))
    assert [json.loads(r.text)["a"] for r in d.records] == ["é", 2] and "utf16" in d.flags
