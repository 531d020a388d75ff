"""Stratified sampling spreads objects over prefixes, days and accounts, deterministically."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from workbench.model import ObjectRef
from workbench.source.s3 import stratified_sample


def refs() -> list[ObjectRef]:
    out = []
    for etype, n_days in (("auth", 14), ("file_access", 14), ("policy_change", 3)):
        for day in range(1, n_days + 1):
            for acct in ("111122223333", "444455556666"):
                for i in range(5):
                    out.append(ObjectRef("b", f"Panoptica/{etype}/2024-05-{day:02d}/{acct}/{i}.json.gz", size=1000))
    out += [ObjectRef("b", f"AWSLogs/1/CloudTrail/2024/05/{d:02d}/{i}.json.gz", size=5000)
            for d in range(1, 15) for i in range(20)]
    return out


def test_spreads_over_prefixes_types_days_and_accounts():
    picked = stratified_sample(refs(), limit=40, seed=1)
    assert len(picked) == 40
    tops = Counter(r.key.split("/")[0] for r in picked)
    assert tops == {"Panoptica": 20, "AWSLogs": 20}
    types = Counter(r.key.split("/")[1] for r in picked if r.key.startswith("Panoptica/"))
    assert set(types.values()) <= {6, 7}  # three event types share Panoptica's half, not the first keys
    days = {r.key.split("/")[2] for r in picked if r.key.startswith("Panoptica/auth/")}
    assert len(days) >= 6
    accounts = Counter(r.key.split("/")[3] for r in picked if r.key.startswith("Panoptica/"))
    assert max(accounts.values()) - min(accounts.values()) <= 2


def test_same_seed_same_sample_other_seed_other_sample():
    assert stratified_sample(refs(), limit=25, seed=3) == stratified_sample(list(reversed(refs())), limit=25, seed=3)
    assert stratified_sample(refs(), limit=25, seed=3) != stratified_sample(refs(), limit=25, seed=4)


def test_byte_budget():
    picked = stratified_sample(refs(), max_bytes=20_000, seed=0)
    assert sum(r.size for r in picked) <= 20_000
    assert len(picked) >= 4
    assert stratified_sample([ObjectRef("b", "huge", size=10**9)], max_bytes=10) == [ObjectRef("b", "huge", size=10**9)]


@given(keys=st.lists(st.text(alphabet="ab/", min_size=1, max_size=8), unique=True, max_size=40),
       limit=st.integers(min_value=0, max_value=50), seed=st.integers(min_value=0, max_value=5))
def test_sample_is_a_subset_without_duplicates_and_order_free(keys, limit, seed):
    items = [ObjectRef("b", k, size=1) for k in keys]
    picked = stratified_sample(items, limit=limit, seed=seed)
    assert len(picked) == min(limit, len(items)) and len(set(picked)) == len(picked)
    assert set(picked) <= set(items)
    assert picked == stratified_sample(list(reversed(items)), limit=limit, seed=seed)


def test_fetch_workers_grow_for_small_objects_and_stay_within_the_memory_ceiling():
    from workbench.source.s3 import DEFAULT_READ
    from workbench.source.sampling import IN_FLIGHT_BYTES, fetch_workers

    def of(*sizes: int) -> list[ObjectRef]:
        return [ObjectRef("b", f"k{i}", size=s) for i, s in enumerate(sizes)]

    assert fetch_workers(of(*[17_000] * 200)) == 128  # small log objects: mostly round trip
    assert fetch_workers(of(*[17_000] * 50)) == 50  # never more threads than objects
    assert fetch_workers(of(*[17_000] * 10)) == 32  # (and never fewer than before)
    assert fetch_workers(of(*[4 * 2**20] * 200)) == 64  # 4 MiB each: 64 × 4 MiB = the ceiling
    assert fetch_workers(of(*[2**30] * 200)) == 32  # read capped at 8 MiB: as before
    assert fetch_workers(of(*[-1] * 200)) == 32  # sizes unknown: assumed at the cap
    assert fetch_workers(of(*([1000] * 180 + [8 * 2**20] * 20))) == 128  # a few large ones among small ones
    assert fetch_workers(of(*([1000] * 100 + [8 * 2**20] * 100))) == 32  # half large: sized for them
    assert fetch_workers([]) == 32
    for sizes in ([3 * 2**20] * 300, [5 * 2**20] * 300, [600_000] * 300):
        n = fetch_workers(of(*sizes))
        assert n * min(sizes[0], DEFAULT_READ) <= IN_FLIGHT_BYTES or n == 32
