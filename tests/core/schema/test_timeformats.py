"""Timestamp codecs: Panther's named formats and strftime, normalised to stored text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.schema.timeformats import (
    compile_time_format,
    compile_time_formats,
    detect_text_format,
    parse_rfc3339,
)


@pytest.mark.parametrize(
    ("fmt", "value", "text"),
    [
        ("rfc3339", "2022-04-04T17:09:17Z", "2022-04-04 17:09:17.000000000"),
        ("rfc3339", "2022-04-04T17:09:17.123456789Z", "2022-04-04 17:09:17.123456789"),
        ("rfc3339", "2022-04-04T17:09:17.1-05:30", "2022-04-04 22:39:17.100000000"),
        ("unix", 1649092157, "2022-04-04 17:09:17.000000000"),
        ("unix", 1649092157.25, "2022-04-04 17:09:17.250000000"),
        ("unix", "1649092157.5", "2022-04-04 17:09:17.500000000"),
        ("unix_ms", 1649092157123, "2022-04-04 17:09:17.123000000"),
        ("unix_ms", "1649092157123", "2022-04-04 17:09:17.123000000"),
        ("unix_us", 1649092157123456, "2022-04-04 17:09:17.123456000"),
        ("unix_ns", 1649092157123456789, "2022-04-04 17:09:17.123456789"),
        ("%Y-%m-%d %H:%M:%S", "2022-04-04 17:09:17", "2022-04-04 17:09:17.000000000"),
        ("%d/%b/%Y:%H:%M:%S %z", "06/Feb/2019:00:00:38 +0000", "2019-02-06 00:00:38.000000000"),
        ("%d/%b/%Y:%H:%M:%S %z", "06/Feb/2019:00:00:38 -0130", "2019-02-06 01:30:38.000000000"),
        ("%a, %d %b %Y %H:%M:%S %z", "Wed, 06 Feb 2019 00:00:38 +0000", "2019-02-06 00:00:38.000000000"),
        ("%Y-%m-%dT%H:%M:%S.%f", "2019-02-06T00:00:38.5", "2019-02-06 00:00:38.500000000"),
        ("%I:%M %p %d/%m/%Y", "01:05 PM 06/02/2019", "2019-02-06 13:05:00.000000000"),
    ],
)
def test_formats_normalise_to_stored_text(fmt, value, text):
    assert compile_time_format(fmt)(value) == text


@pytest.mark.parametrize(
    ("fmt", "value"),
    [("rfc3339", "2022-04-04 17:09:17"), ("rfc3339", "2026-W18-5T12:34:56Z"), ("rfc3339", "2026-W18-5T12:34:56.5Z"),
     ("rfc3339", "2022-13-04T17:09:17Z"), ("rfc3339", "2022-04-04T25:09:17Z"),
     ("rfc3339", 1649092157), ("unix_ms", "12.5"), ("unix_ms", True), ("unix", float("nan")),
     ("%d/%b/%Y:%H:%M:%S %z", "06/Fev/2019:00:00:38 +0000"),
     ("unix_ns", 10**30),
     # other scripts' digits are digits to Python, not to Go's time.Parse
     ("rfc3339", "\uff12026-05-01T00:00:00Z"), ("rfc3339", "2026-05-01T00:00:00.\u0661Z"),
     ("unix", "\u0661\u0662"), ("%Y-%m-%d %H:%M:%S", "\u0662\u0660\u0662\u0666-05-01 00:00:00")],
)
def test_invalid_values_raise_value_error(fmt, value):
    with pytest.raises(ValueError):
        compile_time_format(fmt)(value)


def test_time_formats_list_tries_in_order():
    p = compile_time_formats(["rfc3339", "unix_ms"])
    assert p("2022-04-04T17:09:17Z") == p(1649092157000)


def test_detect_text_format():
    assert detect_text_format(["2022-04-04T17:09:17Z", "2022-04-05T17:09:17.5+01:00"])[0] == "rfc3339"
    assert detect_text_format(["2022-04-04 17:09:17", "2022-04-05 01:00:00"])[0] == "%Y-%m-%d %H:%M:%S"
    assert detect_text_format(["06/Feb/2019:00:00:38 +0000"])[0] == "%d/%b/%Y:%H:%M:%S %z"
    assert detect_text_format(["2022-04-04 17:09:17", "not a time"]) is None


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_rfc3339_agrees_with_datetime(dt):
    dt = dt.replace(tzinfo=UTC)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert parse_rfc3339(text) == dt.strftime("%Y-%m-%d %H:%M:%S.%f") + "000"
    assert compile_time_format("unix_us")(int(dt.timestamp()) * 1_000_000 + dt.microsecond) == parse_rfc3339(text)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
       st.sampled_from(["+0000", "-0000", "+0530", "-1100"]))
def test_fixed_width_cached_dates_agree_with_datetime(dt, zone):
    # the slicer caches each checked date; a second value on that date (the cached path) must read the same
    parse = compile_time_format("%d/%b/%Y:%H:%M:%S %z")
    for t in (dt, dt.replace(hour=23 - dt.hour, second=59 - dt.second)):
        aware = datetime.strptime(t.strftime("%d/%b/%Y:%H:%M:%S ") + zone, "%d/%b/%Y:%H:%M:%S %z")
        assert parse(t.strftime("%d/%b/%Y:%H:%M:%S ") + zone) == aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000000")


def test_fixed_width_cached_date_still_carries_the_time_of_day():
    # strftime values out of range carry over as Go's time.Date does (itchyny/timefmt-go parse.go ends in
    # time.Date(...)), also when the fast path has the date cached
    parse = compile_time_format("%d/%b/%Y:%H:%M:%S %z")
    assert parse("06/Feb/2019:00:00:38 +0000") == "2019-02-06 00:00:38.000000000"  # caches the date
    assert parse("06/Feb/2019:24:00:38 +0000") == "2019-02-07 00:00:38.000000000"
    assert parse("06/Feb/2019:00:60:38 +0000") == "2019-02-06 01:00:38.000000000"
    assert parse("06/Feb/2019:00:00:60 +0000") == "2019-02-06 00:01:00.000000000"
    assert compile_time_format("%Y-%m-%d %H:%M:%S")("2022-02-30 00:00:00") == "2022-03-02 00:00:00.000000000"
