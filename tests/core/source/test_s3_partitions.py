"""Dates in keys and key patterns: the pure half of partition-aware listing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workbench.source.partitions import folder_span, in_window, key_pattern, key_time, object_time


def t(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


@pytest.mark.parametrize(("key", "start", "end"), [
    ("Panoptica/auth/2024-05-01/111122223333/f.json.gz", t(2024, 5, 1), t(2024, 5, 2)),
    ("app/payments/dt=2024-05-01/x.csv.gz", t(2024, 5, 1), t(2024, 5, 2)),
    ("logs/year=2024/month=05/day=01/hour=03/a.json", t(2024, 5, 1, 3), t(2024, 5, 1, 4)),
    ("x/20240501/a.log", t(2024, 5, 1), t(2024, 5, 2)),
    ("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1205Z_ab.json.gz",
     t(2024, 5, 1, 12, 5), t(2024, 5, 1, 12, 6)),
    ("s3-access/111122223333/us-east-1/src/2024/05/01/2024-05-01-12-30-00-ABCDEF0123456789", t(2024, 5, 1, 12, 30),
     t(2024, 5, 1, 12, 31)),
    ("logs/2024-05-01.json.gz", t(2024, 5, 1), t(2024, 5, 2)),
])
def test_key_time_reads_the_partition_and_file_name(key, start, end):
    kt = key_time(key)
    assert kt is not None and (kt.start, kt.end) == (start, end)


def test_numbers_are_not_dates_unless_they_follow_a_year():
    assert key_time("data/111122223333/12/05/x.json") is None
    assert folder_span(["a", "2024"]) == (t(2024, 1, 1), t(2025, 1, 1))
    assert folder_span(["a", "2024", "12"]) == (t(2024, 12, 1), t(2025, 1, 1))
    assert folder_span(["a", "2024", "02", "30"]) is None  # not a real day


def test_object_time_prefers_the_key_over_last_modified():
    uploaded = t(2026, 1, 1)
    assert object_time("Panoptica/auth/2024-05-01/1/f.json.gz", uploaded) == t(2024, 5, 1)
    assert object_time("plain/f.json.gz", uploaded) == uploaded


def test_window_uses_key_dates_then_last_modified():
    since, until = t(2024, 5, 2), t(2024, 5, 4)
    assert not in_window("p/2024-05-01/f", t(2024, 5, 3), since, until)
    assert in_window("p/2024-05-02/f", None, since, until)
    assert not in_window("p/2024-05-04/f", None, since, until)
    assert in_window("p/f", t(2024, 5, 3), since, until)
    assert not in_window("p/f", t(2024, 5, 5), since, until)


@pytest.mark.parametrize(("key", "pattern"), [
    ("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x_20240501T1205Z_a.json.gz",
     "AWSLogs/{account}/CloudTrail/{region}/{yyyy}/{mm}/{dd}/*.json.gz"),
    ("Panoptica/auth/2024-05-01/111122223333/f.json.gz", "Panoptica/auth/{date}/{account}/*.json.gz"),
    ("app/payments/dt=2024-05-01/x.csv.gz", "app/payments/dt={date}/*.csv.gz"),
    ("s3-access/111122223333/eu-west-1/src/2024/05/01/2024-05-01-12-30-00-ABC",
     "s3-access/{account}/{region}/src/{yyyy}/{mm}/{dd}/*"),
    ("top.log", "*.log"),
])
def test_key_pattern(key, pattern):
    assert key_pattern(key) == pattern
