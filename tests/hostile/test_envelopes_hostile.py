"""Hostile SQS message bodies through `unwrap` (the live tail's entry point for notifications): every body is
objects, an ignorable notice, or malformed with a reason — never an exception — and URL-encoded keys come back
exactly as the object is named, whatever characters the key holds."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.live.envelopes import MALFORMED, OBJECTS, SUBSCRIPTION, TEST_EVENT, VALIDATION, unwrap

from . import corpus

BODIES = corpus.notification_bodies()
KINDS = {OBJECTS, TEST_EVENT, SUBSCRIPTION, VALIDATION, MALFORMED}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_hostile_bodies_unwrap_to_a_kind_and_a_reason(name, tally):
    u = unwrap(BODIES[name])
    tally.inputs("notification", entry="live.unwrap")
    assert u.kind in KINDS
    if u.kind == MALFORMED:
        assert u.reason and "\n" not in u.reason
    for n in u.notifications:
        assert isinstance(n.bucket, str) and n.bucket and isinstance(n.key, str)
        assert n.size == -1 or (isinstance(n.size, int) and not isinstance(n.size, bool))


@pytest.mark.parametrize(("encoded", "key"), sorted(corpus.URL_KEYS.items()))
def test_url_encoding_edge_cases_decode_to_the_real_key(encoded, key, tally):
    for body in (json.dumps({"Records": [corpus._s3_record(encoded)]}),
                 corpus._sns(json.dumps({"Records": [corpus._s3_record(encoded)]}))):
        u = unwrap(body)
        tally.inputs("notification", entry="live.unwrap")
        assert u.kind == OBJECTS and [n.key for n in u.notifications] == [key]


def test_huge_key_lists_are_kept_or_refused_whole(tally):
    ct = unwrap(BODIES["huge-cloudtrail-key-list"])
    s3 = unwrap(BODIES["huge-s3-record-list"])
    over = unwrap(BODIES["huge-s3-record-list-over-limit"])
    tally.inputs("notification", 3, entry="live.unwrap")
    assert ct.kind == OBJECTS and len(ct.notifications) == 10_000
    assert s3.kind == OBJECTS and len(s3.notifications) == 1_000
    assert over.kind == MALFORMED and "larger" in over.reason


def test_weird_sizes_are_ints_never_bools_or_floats():
    u = unwrap(BODIES["record-size-weird"])
    assert all(type(n.size) is int for n in u.notifications)
    assert {n.size for n in u.notifications} <= {12, -1, -5, 2 ** 70}


# AWS writes S3 event keys form-encoded: spaces as '+', everything else percent-encoded (moto also encodes '/').
@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=60).filter(lambda k: not k.endswith("/") and "\x00" not in k),
       st.sampled_from(["aws", "moto"]), st.booleans())
def test_fuzzed_keys_round_trip_through_the_encoding(tally, key, style, wrapped):
    tally.inputs("fuzzed", entry="live.unwrap")
    try:
        encoded = quote_plus(key, safe="/") if style == "aws" else quote_plus(key, safe="")
    except UnicodeEncodeError:  # lone surrogates cannot be an S3 key
        return
    body = json.dumps({"Records": [corpus._s3_record(encoded)]})
    u = unwrap(corpus._sns(body) if wrapped else body)
    assert u.kind == OBJECTS and [n.key for n in u.notifications] == [key]


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                              st.sampled_from(list(corpus.hostile_strings().values()))),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.sampled_from(["Records", "s3", "bucket", "object", "key",
                                                                             "name", "size", "Type", "Message", "detail",
                                                                             "s3Bucket", "s3ObjectKey", "eventName"]),
                                                            inner, max_size=4)), max_leaves=15),
       st.sampled_from(["raw", "sns", "quoted"]))
def test_fuzzed_envelope_trees_never_raise(tally, doc, wrap):
    tally.inputs("fuzzed", entry="live.unwrap")
    body = json.dumps(doc)
    if wrap == "sns":
        body = corpus._sns(body)
    elif wrap == "quoted":
        body = quote(body)
    assert unwrap(body).kind in KINDS
