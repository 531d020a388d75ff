"""Time formats recognised by parts: each layout gives the format Panther's strftime reader (timefmt-go) takes,
and the project's parser reads the value back to the instant Python's strptime reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workbench.schema.timedetect import (
    choose_formats,
    format_regex,
    parser_year,
    read_time,
    recorded_year,
    value_formats,
)
from workbench.schema.timeformats import compile_time_format

# value, format, Python's reading (None: yearless, compared without the year)
CASES = [
    ("2015-07-29 17:41:44,747", "%Y-%m-%d %H:%M:%S,%f", "%Y-%m-%d %H:%M:%S,%f"),
    ("2024-05-01T12:00:00.123Z", "rfc3339", "%Y-%m-%dT%H:%M:%S.%f%z"),
    ("2024-05-01T12:00:00+02:00", "rfc3339", "%Y-%m-%dT%H:%M:%S%z"),
    ("2024-05-01T12:00:00+0200", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z"),
    ("20240501T120000Z", "%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%SZ"),
    ("Dec 10 06:55:46", "%b %d %H:%M:%S", None),
    ("Jul  1 09:00:55", "%b %e %H:%M:%S", None),
    ("03-17 16:13:38.811", "%m-%d %H:%M:%S.%f", None),
    ("081109 203615", "%y%m%d %H%M%S", "%y%m%d %H%M%S"),
    ("Sun Dec 04 04:47:44 2005", "%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M:%S %Y"),
    ("Thu Jun 09 06:07:04.123456 2016", "%a %b %d %H:%M:%S.%f %Y", "%a %b %d %H:%M:%S.%f %Y"),
    ("10.30 16:49:06", "%m.%d %H:%M:%S", None),
    ("20171223-22:15:29:606", "%Y%m%d-%H:%M:%S:%f", "%Y%m%d-%H:%M:%S:%f"),
    ("2005-06-03-15.42.50.675872", "%Y-%m-%d-%H.%M.%S.%f", "%Y-%m-%d-%H.%M.%S.%f"),
    ("10/Oct/2000:13:55:36 -0700", "%d/%b/%Y:%H:%M:%S %z", "%d/%b/%Y:%H:%M:%S %z"),
    ("03/22/24 02:05:33 PM", "%m/%d/%y %I:%M:%S %p", "%m/%d/%y %I:%M:%S %p"),
    ("July 29, 2015 5:41:44 PM", "%B %d, %Y %I:%M:%S %p", "%B %d, %Y %I:%M:%S %p"),
    ("2024/05/01 12:00:00", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"),
    ("1286536309.586", "unix", None),
    ("1704279734123", "unix_ms", None),
]


def _stored(dt: datetime) -> str:
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return f"{dt:%Y-%m-%d %H:%M:%S}.{dt.microsecond * 1000:09d}"


@pytest.mark.parametrize(("value", "fmt", "py"), CASES)
def test_layouts_are_recognised_and_read_back(value, fmt, py):
    assert value_formats(value)[0] == fmt
    got = compile_time_format(fmt)(value)
    import re

    assert re.fullmatch(format_regex(fmt), value)
    if py is not None:
        assert got == _stored(datetime.strptime(value, py))
    elif fmt.startswith("unix"):
        assert got.startswith("2010-10-08 11:11:49.586") or got.startswith("2024-01-03 11:02:14.123")
    else:
        assert recorded_year(fmt) == 1900
        year = parser_year(fmt)
        assert got == _stored(datetime.strptime(value, fmt.replace("%e", "%d")).replace(year=year))


def test_ambiguous_dates_keep_every_valid_reading_and_the_data_decides():
    assert value_formats("17/06/09 20:10:40") == ("%y/%m/%d %H:%M:%S", "%d/%m/%y %H:%M:%S")
    # a day above 12 in first place rules out month-first for the whole field
    choice = choose_formats(["03/04/2024 10:00:00", "25/04/2024 10:00:00", "01/05/2024 10:00:00"], min_share=1.0)
    assert choice.formats == ("%d/%m/%Y %H:%M:%S",)


def test_not_times_and_shares():
    for v in ("10.11.10.1", "1.2.3", "v2024", "12:00", "2024-05-01 12:00:00+02:00"):
        assert value_formats(v) == ()
    choice = choose_formats(["2024-01-01T00:00:00Z"] * 60 + ["2024-01-01 00:00:00"] * 39 + ["redacted"])
    assert choice.formats == ("rfc3339", "%Y-%m-%d %H:%M:%S") and choice.times == 99 and choice.not_times == ["redacted"]
    assert choose_formats(["2024-01-01T00:00:00Z"] * 90 + ["n/a"] * 10) is None  # below 95 %


def test_a_time_inside_a_line():
    line = "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO x"
    assert read_time(line, 0) is None
    m = read_time(line, 35)
    assert (line[m.start:m.end], m.formats) == ("2017-05-16 00:00:00.008", ("%Y-%m-%d %H:%M:%S.%f",))
