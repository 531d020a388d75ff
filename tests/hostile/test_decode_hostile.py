"""Every hostile object body through `decode_object` (the entry point of sampling, live mode and replay):
nothing raises, memory and record counts stay bounded, and nothing is dropped without a flag or a note."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.model import ObjectRef
from workbench.source.decode import Decoded, DecodeLimits, decode_object

from . import corpus

MiB = corpus.MiB
OBJECTS = corpus.object_bodies()
ARCHIVES = {k: v for k, v in corpus.archive_bodies().items() if k != "gzip-line-bomb-2m"}
# bodies that really hold nothing, so an empty result needs no explanation
TRULY_EMPTY = {"gzip-empty-payload", "only-newlines"}


def decode(key: str, body: bytes, **kw) -> Decoded:
    return decode_object(body, ObjectRef("bucket", key, len(body)), **kw)


def check_decoded(name: str, d: Decoded, limits: DecodeLimits | None = None) -> None:
    limits = limits or DecodeLimits()
    assert isinstance(d, Decoded)
    assert d.error is None or (isinstance(d.error, str) and "\n" not in d.error), (name, d.error)
    if not d.records and name not in TRULY_EMPTY and "empty" not in d.flags:
        assert d.error or d.notes, f"{name}: nothing decoded and nothing said why"
    for r in d.records:
        assert isinstance(r.text, str)
        assert len(r.text) <= limits.max_line, f"{name}: a record longer than the line cap"


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_hostile_object_bodies_decode_to_values(name, tally):
    key, body = OBJECTS[name]
    d = decode(key, body)
    tally.inputs("object", entry="decode")
    check_decoded(name, d)


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_hostile_archives_decode_to_values(name, tally):
    key, body = ARCHIVES[name]
    limits = DecodeLimits(max_decompressed=32 * MiB)  # the real cap is 256 MiB; the proportion is what matters
    tracemalloc.start()
    try:
        d = decode(key, body, limits=limits)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tally.inputs("archive", entry="decode")
    check_decoded(name, d, limits)
    assert peak < 3 * limits.max_decompressed + 16 * MiB, f"{name}: peak {peak >> 20} MiB for a 32 MiB cap"


def test_gzip_bomb_of_a_gigabyte_stops_at_the_cap(tally):
    bomb = corpus.gzip_bomb()  # 16 members of 64 MiB of zeros: 1 GiB expanded, ~1 MB compressed
    assert len(bomb) < 2 * MiB
    d = decode("a/bomb.json.gz", bomb, limits=DecodeLimits(max_decompressed=16 * MiB))
    tally.inputs("archive", entry="decode")
    assert "decompressed_cap" in d.flags and d.bytes_out == 16 * MiB
    assert any("bomb" in n for n in d.notes)


def test_plain_text_that_starts_like_json_is_read_as_lines(tally):
    """A log whose lines start with `[` or `{` but are not JSON (`[2024-05-01 10:00:00] INFO …`) keeps every line."""
    for first in ("[2024-05-01 10:00:00] INFO started", "{not json} at all", "[/] markup first"):
        body = (first + "\n" + "\n".join(f"[2024-05-01 10:00:{i:02d}] INFO line {i}" for i in range(20)) + "\n").encode()
        d = decode("logs/app.log", body)
        tally.inputs("object", entry="decode")
        assert len(d.records) == 21, (first, d.flags, d.notes)
    raw = corpus.raw_hostile_lines()
    d = decode("t/raw.log", raw)
    assert len(d.records) == sum(1 for ln in raw.split(b"\n") if ln.strip())


def test_deep_nesting_anywhere_in_a_stream_is_a_value_not_a_crash(tally):
    deep = corpus.deep_nesting(10_000)
    bodies = {
        "pretty-stream-then-deep": b'{\n  "a": 1\n}\n' + deep.encode() + b"\n",
        "array-of-deep": ("[" + deep + "]").encode(),
        "envelope-deep": ('{"Records": [' + deep + "]}").encode(),
        "deep-only": deep.encode(),
        "structures": "\n".join(corpus.structure_documents().values()).encode("utf-8", "surrogatepass"),
    }
    for name, body in bodies.items():
        for partial in (False, True):
            ref = ObjectRef("b", "x.json", len(body) * 2 if partial else len(body))
            d = decode_object(body, ref)
            tally.inputs("structure", entry="decode")
            check_decoded(name, d)


def test_cloudwatch_timestamps_out_of_range_are_values(tally):
    for ts in (1e300, -1e20, 2 ** 70, float("nan"), "x", None, True):
        doc = {"messageType": "DATA_MESSAGE", "logGroup": "g", "logEvents": [{"id": "1", "timestamp": ts, "message": "m"}]}
        body = json.dumps(doc).encode()
        d = decode("cw/x.json", gzip.compress(body))
        tally.inputs("structure", entry="decode")
        assert [r.text for r in d.records] == ["m"]


def test_a_line_bomb_is_bounded_in_records_and_memory(tally):
    """2 M two-byte lines (a few KB gzip'd): the record count stops at the cap, with a note."""
    body = corpus.gzip_line_bomb(2_000_000)
    limits = DecodeLimits(max_records=100_000)
    d = decode("a/lines.log.gz", body, limits=limits)
    tally.inputs("archive", entry="decode")
    assert len(d.records) == 100_000 and "record_cap" in d.flags
    assert any("100000" in n.replace(",", "") for n in d.notes)


def test_truncated_zstd_says_so(tally):
    payload = corpus.ndjson([{"msg": f"event {i}"} for i in range(5000)])
    zs = corpus.zstd_bytes(payload)
    d = decode("a/x.json.zst", zs[: len(zs) // 2])
    tally.inputs("archive", entry="decode")
    assert "incomplete_compressed_stream" in d.flags or d.error


@pytest.mark.slow
def test_gigabyte_single_member_bomb_and_million_lines_at_default_caps(tally):
    limits = DecodeLimits()
    tracemalloc.start()
    try:
        d = decode("a/bomb1.json.gz", corpus.gzip_bomb(members=1))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tally.inputs("archive", entry="decode")
    assert "decompressed_cap" in d.flags and peak < 3 * limits.max_decompressed + 64 * MiB
    d = decode("t/million.log", corpus.short_lines(1_000_000))
    tally.inputs("object", entry="decode")
    assert len(d.records) == 1_000_000
    d = decode("a/lines.log.gz", corpus.gzip_line_bomb(50_000_000))
    tally.inputs("archive", entry="decode")
    assert len(d.records) == limits.max_records and "record_cap" in d.flags


# ---------------------------------------------------------------------------------------------------------
# fuzzing

MAGICS = [b"", b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"BZh9", b"PAR1", b"\xef\xbb\xbf", b"\xff\xfe", b"{", b"[", b'{"Records":[']
KEYS = ["x.json.gz", "x.json", "x.log", "x.parquet", "x.zst", "x.bz2", "AWSLogs/1/CloudTrail/x.json.gz", ""]

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                      st.text(), st.sampled_from(list(corpus.renderable_strings().values())))
json_values = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MAGICS), st.binary(max_size=2048), st.sampled_from(KEYS), st.integers(-1, 5000),
       st.sampled_from(["auto", "lines", "json", "json_array", "cloudwatch_logs"]))
def test_fuzzed_bytes_never_raise(tally, magic, body, key, size, stream):
    tally.inputs("fuzzed", entry="decode")
    data = magic + body
    d = decode_object(data, ObjectRef("b", key, size), stream=stream, limits=DecodeLimits(max_line=4096, max_decompressed=MiB))
    assert isinstance(d, Decoded)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, min_size=1, max_size=8), st.sampled_from(["ndjson", "array", "envelope", "stream", "pretty"]),
       st.booleans(), st.integers(0, 200))
def test_fuzzed_json_layouts_keep_every_value(tally, values, layout, compress, cut):
    tally.inputs("fuzzed", entry="decode")
    if layout == "ndjson":
        text = "".join(json.dumps(v) + "\n" for v in values)
    elif layout == "array":
        text = json.dumps(values)
    elif layout == "envelope":
        text = json.dumps({"Records": [v if isinstance(v, dict) else {"v": v} for v in values]})
    elif layout == "stream":
        text = "".join(json.dumps(v) for v in values)
    else:
        text = "".join(json.dumps(v, indent=2) + "\n" for v in values)
    raw = text.encode("utf-8", "surrogatepass")
    data = gzip.compress(raw) if compress else raw
    d = decode_object(data, ObjectRef("b", "f/x.json", len(data)))
    assert isinstance(d, Decoded) and d.error is None
    if any(v != [] for v in values):  # an empty array is legitimately no records
        assert d.records or d.notes
    # a cut-off object keeps what came before the cut and says it was cut
    if cut and len(data) > cut:
        part = decode_object(data[:-cut], ObjectRef("b", "f/x.json", len(data)))
        assert isinstance(part, Decoded)
        assert "object_truncated" in part.flags
