"""The filter language of the Events and Live views (workbench.events.filter): operators, precedence,
errors that say what and where, field checks and completion."""

from __future__ import annotations

import pytest

from workbench.errors import WorkbenchError
from workbench.events.filter import compile_filter, complete, field_paths

EVENTS = [
    {"status": 200, "user": "alice", "p_event_time": "2024-05-02 08:00:00.000000000",
     "p_any_ip_addresses": ["198.51.100.7"], "actor": {"email": "Alice@Example.com"}},
    {"status": 503, "user": "bob", "p_event_time": "2024-04-30 23:59:59.000000000", "latency_ms": "1250"},
    {"status": "404", "user": "[/]", "message": "failed login for carol"},
]
FIELDS = field_paths(EVENTS)


def matching(expression: str) -> list[int]:
    keep = compile_filter(expression, FIELDS)
    return [i for i, e in enumerate(EVENTS) if keep is None or keep(e)]


@pytest.mark.parametrize(("expression", "expected"), [
    ("status < 300", [0]),
    ("status >= 404", [1, 2]),  # "404" as text is still a number
    ("latency_ms > 1000", [1]),
    ("p_event_time > 2024-05-01", [0]),  # times in one format compare in time order
    ("p_event_time <= '2024-05-01'", [1]),
    ("user in (alice, bob)", [0, 1]),
    ("user in [bob]", [1]),
    ("p_any_ip_addresses in (198.51.100.7)", [0]),
    ("not user = alice", [1, 2]),
    ("NOT user = alice AND status != 503", [2]),
    ("(status < 300 or status > 500) and not user = bob", [0]),
    ("user = alice or user = bob and status = 200", [0]),  # and binds tighter than or
    ("actor.email ~ ^alice@", [0]),  # regex, case-insensitive
    ("user !~ ^b", [0, 2]),
    ("failed login", [2]),  # plain words in a row are one phrase
    ("[/]", [2]),  # markup-looking text is plain text
    ("user = '[/]'", [2]),
])
def test_operators_and_precedence(expression, expected):
    assert matching(expression) == expected


@pytest.mark.parametrize(("expression", "message"), [
    ("status == 200", "Unknown operator '==' at column 8"),
    ("stauts = 200", "Unknown field 'stauts' at column 1; did you mean status"),
    ("status <", "A value is missing after `status <`"),
    ("(status = 200", "Missing `)` for the `(` at column 1"),
    ("status = 200)", "Unmatched `)` at column 13"),
    ("user ~ (", "A value is missing"),
    ("user ~ '('", "Bad regular expression '('"),
    ("user in alice", "`in` at column 6 needs a list"),
    ("user = a user = b", "Expected `and` or `or` before 'user' at column 10"),
    ("status = 200 and", "a condition is missing"),
    ("'open", "Unclosed quote at column 1"),
])
def test_errors_name_the_problem_and_the_column(expression, message):
    with pytest.raises(WorkbenchError) as e:
        compile_filter(expression, FIELDS)
    assert message.lower() in str(e.value).lower()


def test_without_known_fields_any_field_is_accepted():
    assert compile_filter("nosuch = 1") is not None


def test_completion_of_fields_and_keywords():
    assert complete("st", FIELDS) == "status"
    assert complete("status = 200 and act", FIELDS) == "status = 200 and actor"
    assert complete("(p_any", FIELDS) == "(p_any_ip_addresses"
    assert complete("status = 200 a", FIELDS) == "status = 200 and"
    assert complete("status = 2", FIELDS) is None  # a value: nothing to suggest
    assert "actor.email" in FIELDS
