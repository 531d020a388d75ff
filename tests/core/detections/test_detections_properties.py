"""Properties of the pure pieces: case-insensitive views and mergeable alert grouping (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from panther_core import PantherEvent
from panther_core.immutable import ImmutableList
from workbench.detections import AlertGrouper, RuleResult

keys = st.text(alphabet="abcXYZ_", min_size=1, max_size=6)
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
                           max_leaves=12)


@given(st.dictionaries(keys, json_values, max_size=6))
def test_any_case_variant_finds_the_same_value_as_the_first_matching_key(data):
    event = PantherEvent(data)
    for key in data:
        for variant in (key, key.upper(), key.lower(), key.swapcase()):
            expected_key = key if variant == key else next(k for k in data if k.lower() == variant.lower())
            assert event[variant] == data[expected_key]
            assert event.get(variant) == data[expected_key]
            assert variant in event
    assert list(event) == list(data)
    assert event.copy() == data and event == data


@given(st.lists(json_values, max_size=5))
def test_immutable_lists_equal_their_source(items):
    wrapped = PantherEvent({"l": items})["l"]
    assert isinstance(wrapped, ImmutableList)
    assert wrapped == items and wrapped == tuple(items) and len(wrapped) == len(items)
    assert wrapped.copy() == items and isinstance(wrapped.copy(), list)


hits = st.lists(st.tuples(st.sampled_from(["R1", "R2"]), st.sampled_from(["a", "b", "c"]),
                          st.integers(min_value=0, max_value=24 * 60)), max_size=40)


def _result(rule_id: str, dedup: str, minute: int) -> RuleResult:
    t = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=minute)
    return RuleResult(rule_id, True, title=dedup, dedup=dedup, severity="LOW",
                      event={"p_event_time": t.strftime("%Y-%m-%d %H:%M:%S.%f") + "000"})


@given(hits, st.integers(min_value=1, max_value=4), st.randoms(use_true_random=False))
def test_grouping_does_not_depend_on_how_results_are_split(items, parts, rnd):
    settings = {"R1": (30, 2), "R2": (60, 1)}
    whole = AlertGrouper(dict(settings))
    whole.add_all(_result(*h) for h in items)
    shards = [AlertGrouper(dict(settings)) for _ in range(parts)]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    for h in shuffled:
        rnd.choice(shards).add(_result(*h))
    merged = AlertGrouper(dict(settings))
    for s in shards:
        merged.merge(s)
    assert merged.alerts() == whole.alerts()
    assert merged.summary() == whole.summary()
    assert sum(a.count for a in whole.alerts()) == len(items)
