"""Pure pieces behind the screens: the event filter language, sorting, cell text, histogram bucketing,
date-partition folding in the prefix listing, the daemon-thread executor, and how long columns give way."""

from __future__ import annotations

import pytest

from screens.flow.events import pick_columns
from screens.widgets.event_table import cell_text
from screens.widgets.field_panel import tail_ellipsis
from screens.widgets.fit_table import fit_widths
from screens.widgets.histogram import bars, bucket_counts
from workbench.errors import WorkbenchError
from workbench.events.filter import compile_filter, get_path, sort_key

EVENTS = [
    {"outcome": "failure", "actor": {"email": "a@x.example", "mfa": True}, "status": 200,
     "p_any_ip_addresses": ["10.0.0.1", "10.0.0.2"], "a.b": "literal dotted key"},
    {"outcome": "success", "actor": {"email": "b@x.example", "mfa": False}, "status": "404",
     "p_any_ip_addresses": ["10.0.0.3"]},
    {"outcome": "success", "actor": None, "tags": ["x", {"deep": "Needle"}]},
]


def matching(expression: str) -> list[int]:
    keep = compile_filter(expression)
    return [i for i, e in enumerate(EVENTS) if keep is None or keep(e)]


@pytest.mark.parametrize(("expression", "expected"), [
    ("", [0, 1, 2]),
    ("outcome = failure", [0]),
    ("outcome != failure", [1, 2]),
    ("actor.email = b@x.example", [1]),
    ("actor.mfa = true", [0]),
    ("status = 200", [0]),
    ("status = 404", [1]),
    ("p_any_ip_addresses = 10.0.0.2", [0]),
    ("p_any_ip_addresses != 10.0.0.2", [1, 2]),
    ("actor.email ~ X.EXAMPLE", [0, 1]),
    ("needle", [2]),
    ('"outcome = failure"', []),
    ("outcome = success and p_any_ip_addresses = 10.0.0.3", [1]),
    ("tags.1.deep ~ need", [2]),
    ("a.b ~ dotted", [0]),
    ("[/]", []),
])
def test_filter_language(expression, expected):
    assert matching(expression) == expected


def test_filter_rejects_an_empty_condition():
    with pytest.raises(WorkbenchError):
        compile_filter('outcome = failure and ""')


def test_get_path_and_sort_key():
    assert get_path(EVENTS[0], "actor.email") == "a@x.example"
    assert get_path(EVENTS[2], "actor.email") is None
    assert get_path(EVENTS[0], "p_any_ip_addresses.1") == "10.0.0.2"
    values = [3, None, "b", 1.5, True, {"x": 1}, "a"]
    ordered = sorted(values, key=sort_key)
    assert ordered[:2] == [1.5, 3] and ordered[-1] is None


def test_cell_text_is_one_clean_line():
    assert cell_text(None) == "" and cell_text(True) == "true" and cell_text(2**70) == str(2**70)
    assert cell_text({"k": [1, 2]}) == '{"k":[1,2]}'
    text = cell_text("a\nb\x1b[31mred\x1b[0m\u202e")
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text
    assert len(cell_text("x" * 10_000)) <= 400


def test_pick_columns_puts_p_fields_around_the_body():
    events = [{"p_event_time": "t", "p_log_type": "L", "b": 1, "a": 2, "p_any_emails": [], "p_row_id": "r"}]
    assert pick_columns(events) == ["p_event_time", "p_log_type", "b", "a", "p_any_emails", "p_row_id"]


def test_histogram_buckets_and_bars():
    counts, lo, hi = bucket_counts([0.0, 1.0, 2.0, 10.0, 10.0], 5)
    assert counts == [2, 1, 0, 0, 2] and (lo, hi) == (0.0, 10.0)
    assert bucket_counts([], 4)[0] == [0, 0, 0, 0]
    assert bucket_counts([5.0, 5.0], 3)[0] == [2, 0, 0]
    assert bars([0, 4, 8], rows=2) == ["  █", " ██"]
    assert bars([1, 2], rows=1) == ["▄█"]


def test_daemon_executor_runs_and_reports_errors():
    from screens.shell.executor import DaemonThreadExecutor

    ex = DaemonThreadExecutor()
    assert ex.submit(lambda x: x * 2, 21).result() == 42
    with pytest.raises(ZeroDivisionError):
        ex.submit(lambda: 1 / 0).result()
    ex.shutdown(wait=True)
    with pytest.raises(RuntimeError):
        ex.submit(lambda: None)


def test_long_columns_give_way_in_order_and_never_below_their_minimum():
    natural = {"dedup": 40, "title": 60}
    assert fit_widths(natural, {"dedup": 12, "title": 24}, 200) == natural  # room for all: whole
    assert fit_widths(natural, {"dedup": 12, "title": 24}, 80) == {"dedup": 20, "title": 60}  # dedup first
    assert fit_widths(natural, {"dedup": 12, "title": 24}, 50) == {"dedup": 12, "title": 38}  # then the title
    assert fit_widths(natural, {"dedup": 12, "title": 24}, 10) == {"dedup": 12, "title": 24}  # the minimums hold
    assert fit_widths({"rule": 8}, {"rule": 24}, 4) == {"rule": 8}  # never wider than its cells


def test_a_path_cut_to_its_width_keeps_its_end():
    assert tail_ellipsis("userIdentity.arn", 10) == "…ntity.arn"
    assert tail_ellipsis("short", 10) == "short"
    assert len(tail_ellipsis("a" * 50, 12)) == 12
