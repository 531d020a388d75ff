"""One focused test per semantic of Panther's rule runner (PAT), each with a small rule written for it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from workbench.detections import RuleEngine


def write_rule(root: Path, rule_id: str, py: str, tests: str, *, extra: str = "", log_types: str = "[Custom.T]",
               severity: str = "Medium", enabled: str = "true") -> None:
    name = rule_id.lower().replace(".", "_")
    (root / f"{name}.py").write_text(textwrap.dedent(py))
    (root / f"{name}.yml").write_text(
        f"AnalysisType: rule\nRuleID: {rule_id}\nEnabled: {enabled}\nFilename: {name}.py\nLogTypes: {log_types}\n"
        f"Severity: {severity}\n{textwrap.dedent(extra)}Tests:\n{textwrap.indent(textwrap.dedent(tests), '  ')}"
    )


def run_one(tmp_path: Path, rule_id: str, py: str, tests: str, **kw):
    write_rule(tmp_path, rule_id, py, tests, **kw)
    with RuleEngine(tmp_path) as engine:
        report = engine.run_tests()
    assert not report.invalid, report.invalid
    return report


def case(report, name):
    return next(c for c in report.cases if c.name == name)


def test_case_insensitive_lookup_at_every_depth(tmp_path):
    report = run_one(tmp_path, "T.Case", """
        def rule(event):
            return (event["EVENTNAME"] == "x" and event.get("Nested").get("INNER") == 1
                    and event.deep_get("nested", "inner") == 1 and "eventname" in event
                    and event["items"][0]["KEY"] == "v")
        """, """
        - Name: mixed case
          ExpectedResult: true
          Log: {"eventName": "x", "nested": {"Inner": 1}, "Items": [{"key": "v"}], "p_log_type": "Custom.T"}
        """)
    assert report.ok, report.cases


def test_event_is_immutable_and_lists_are_immutable_lists(tmp_path):
    report = run_one(tmp_path, "T.Immutable", """
        from panther_core.immutable import ImmutableList
        from collections.abc import Mapping

        def rule(event):
            tags = event["tags"]
            try:
                event["x"] = 1
                return False
            except TypeError:
                pass
            return (isinstance(tags, ImmutableList) and not isinstance(tags, list) and tags == ["a", "b"]
                    and tags == ("a", "b") and tags.copy() == ["a", "b"] and isinstance(tags.copy(), list)
                    and isinstance(event, Mapping) and not isinstance(event, dict))
        """, """
        - Name: immutable
          ExpectedResult: true
          Log: {"tags": ["a", "b"]}
        """)
    assert report.ok, report.cases


def test_deep_get_and_deep_walk(tmp_path):
    report = run_one(tmp_path, "T.Deep", """
        def rule(event):
            return (event.deep_get("a", "b", "c") == 0                      # falsy non-None kept
                    and event.deep_get("a", "missing", default="d") == "d"
                    and event.deep_get("a", "list", "x", default="no") == "no"  # lists are not indexed
                    and event.deep_get("a", "none", default="n") == "n"
                    and event.deep_walk("a", "list", "x") == [1, 2]
                    and event.deep_walk("a", "list", "x", return_val="first") == 1
                    and event.deep_walk("a", "list", "x", return_val="last") == 2
                    and event.deep_walk("a", "one", "x") == 5
                    and event.deep_walk("a", "zzz", default="dflt") == "dflt")
        """, """
        - Name: deep
          ExpectedResult: true
          Log: {"a": {"b": {"c": 0}, "none": null, "list": [{"x": 1}, {"x": 2}, {"x": 1}], "one": [{"x": 5}]}}
        """)
    assert report.ok, report.cases


def test_mocks_are_magicmocks_patched_on_the_rule_module(tmp_path):
    report = run_one(tmp_path, "T.Mocks", """
        import json
        from unittest.mock import MagicMock

        ALLOWED = ["corp.example"]

        def lookup(name):
            raise RuntimeError("would call AWS")

        def rule(event):
            allowed = ALLOWED() if isinstance(ALLOWED, MagicMock) else ALLOWED
            data = json.loads(lookup(event["user"]))
            return data["risky"] and event["domain"] not in allowed
        """, """
        - Name: mocked
          ExpectedResult: true
          Mocks:
            - objectName: lookup
              returnValue: '{"risky": true}'
            - objectName: ALLOWED
              returnValue: "other.example"
          Log: {"user": "u", "domain": "corp.example"}
        - Name: mock of a missing name fails the case
          ExpectedResult: true
          Mocks:
            - objectName: no_such_function
              returnValue: true
          Log: {"user": "u", "domain": "x"}
        """)
    assert case(report, "mocked").passed
    missing = case(report, "mock of a missing name fails the case")
    assert not missing.passed and "AttributeError" in missing.error


def test_module_state_persists_between_cases_and_mocks_are_undone(tmp_path):
    report = run_one(tmp_path, "T.State", """
        SEEN = []

        def helper():
            return "real"

        def rule(event):
            SEEN.append(1)
            return len(SEEN) == event["n"] and helper() == event["want"]
        """, """
        - Name: first
          ExpectedResult: true
          Mocks:
            - objectName: helper
              returnValue: mocked
          Log: {"n": 1, "want": "mocked"}
        - Name: second
          ExpectedResult: true
          Log: {"n": 2, "want": "real"}
        """)
    assert report.ok, report.cases


def test_data_model_path_and_method(tmp_path):
    dm = tmp_path / "data_models"
    dm.mkdir()
    (dm / "dm.py").write_text("def get_user(event):\n    return event.deep_get('Actor', 'Name')\n")
    (dm / "dm.yml").write_text(textwrap.dedent("""\
        AnalysisType: datamodel
        DataModelID: Custom.T.DM
        Enabled: true
        LogTypes: [Custom.T]
        Filename: dm.py
        Mappings:
          - Name: source_ip
            Path: $.client.ip
          - Name: actor_user
            Method: get_user
          - Name: first_tag
            Path: $.tags[*].name
          - Name: nothing
            Path: $.absent
        """))
    report = run_one(tmp_path, "T.DM", """
        def rule(event):
            assert event.udm("source_ip") == "1.2.3.4"
            assert event.udm("actor_user") == "bob"
            assert event.udm("nothing", default="d") == "d"
            assert event.udm("unmapped") == "top"       # falls back to the event's own field
            assert event.udm_path("source_ip") == "client.ip"   # the matched path, as Panther prints it
            return True

        def title(event):
            return str(event.udm("first_tag"))       # two matches: an error
        """, """
        - Name: model applies from p_log_type
          ExpectedResult: true
          Log: {"p_log_type": "Custom.T", "client": {"ip": "1.2.3.4"}, "actor": {"name": "bob"}, "unmapped": "top", "tags": [{"name": "a"}]}
        - Name: path with several matches raises
          ExpectedResult: true
          Log: {"p_log_type": "Custom.T", "client": {"ip": "1.2.3.4"}, "actor": {"name": "bob"}, "unmapped": "top", "tags": [{"name": "a"}, {"name": "b"}]}
        """)  # noqa: E501
    assert case(report, "model applies from p_log_type").passed
    bad = case(report, "path with several matches raises")
    assert not bad.passed and "matched multiple fields" in bad.error


def test_no_p_log_type_means_no_data_model(tmp_path):
    dm = tmp_path / "data_models"
    dm.mkdir()
    (dm / "dm.yml").write_text("AnalysisType: datamodel\nDataModelID: DM\nEnabled: true\nLogTypes: [Custom.T]\n"
                               "Mappings:\n  - Name: source_ip\n    Path: $.client.ip\n")
    report = run_one(tmp_path, "T.NoDM", """
        def rule(event):
            return event.udm("source_ip") is None and event.udm("client", "ip") == "9.9.9.9"
        """, """
        - Name: no log type
          ExpectedResult: true
          Log: {"client": {"ip": "9.9.9.9"}}
        """)
    assert report.ok, report.cases


def test_yaml_1_2_keeps_on_off_yes_no_as_strings(tmp_path):
    report = run_one(tmp_path, "T.Yaml", """
        def rule(event):
            return event["state"] == "off" and event["flag"] == "yes" and event["mode"] == 644 and event["t"] == "2024-01-01"
        """, """
        - Name: yaml 1.2
          ExpectedResult: true
          Log: {state: off, flag: yes, mode: 0644, t: 2024-01-01}
        """)
    assert report.ok, report.cases


@pytest.mark.parametrize("value", ["None", "1", "'yes'", "[True]"])
def test_rule_must_return_a_real_bool(tmp_path, value):
    report = run_one(tmp_path, "T.NonBool", f"""
        def rule(event):
            return {value}
        """, """
        - Name: expects true
          ExpectedResult: true
          Log: {}
        - Name: expects false
          ExpectedResult: false
          Log: {}
        """)
    for c in report.cases:
        assert not c.passed
        assert "function [rule] returned" in c.error and "expected [bool]" in c.error


def test_severity_default_and_case(tmp_path):
    report = run_one(tmp_path, "T.Sev", """
        def rule(event):
            return True

        def severity(event):
            return event["sev"]
        """, """
        - Name: default
          ExpectedResult: true
          Log: {"sev": "DEFAULT"}
        - Name: lower case
          ExpectedResult: true
          Log: {"sev": "high"}
        - Name: invalid
          ExpectedResult: true
          Log: {"sev": "URGENT"}
        - Name: invalid severity does not matter when false is expected
          ExpectedResult: false
          Log: {"sev": "URGENT"}
        """, severity="Low")
    default = case(report, "default")
    assert default.passed and not any(f.name == "severity" for f in default.functions)
    lower = case(report, "lower case")
    assert lower.passed and any(f.name == "severity" and f.output == "HIGH" for f in lower.functions)
    assert not case(report, "invalid").passed
    assert not case(report, "invalid severity does not matter when false is expected").passed  # rule() said True
    with RuleEngine(tmp_path) as engine:
        results = {r.event["sev"]: r
                   for r in engine.run_events([{"p_log_type": "Custom.T", "sev": s} for s in ("DEFAULT", "high")])}
    assert results["DEFAULT"].severity == "LOW" and results["high"].severity == "HIGH"


def test_alert_context_too_large_is_replaced(tmp_path):
    report = run_one(tmp_path, "T.Big", """
        def rule(event):
            return True

        def alert_context(event):
            return {"blob": "x" * 300000}
        """, """
        - Name: big
          ExpectedResult: true
          Log: {}
        """)
    c = report.cases[0]
    assert c.passed
    ctx = json.loads(next(f.output for f in c.functions if f.name == "alert_context"))
    assert ctx == {"_error": "alert_context size is [300012] characters, bigger than maximum of [204800] characters"}


def test_alert_context_must_be_a_mapping(tmp_path):
    report = run_one(tmp_path, "T.Ctx", """
        def rule(event):
            return True

        def alert_context(event):
            return ["not", "a", "mapping"]
        """, """
        - Name: list
          ExpectedResult: true
          Log: {}
        """)
    assert not report.cases[0].passed and "alert_context" in report.cases[0].error


def test_dedup_defaults(tmp_path):
    write_rule(tmp_path, "T.NoTitle", "def rule(event):\n    return True\n",
               "- Name: n\n  ExpectedResult: true\n  Log: {}\n")
    write_rule(tmp_path, "T.Title", "def rule(event):\n    return True\n\ndef title(event):\n    return 'T' * 1200\n",
               "- Name: n\n  ExpectedResult: true\n  Log: {}\n")
    write_rule(tmp_path, "T.EmptyDedup", "def rule(event):\n    return True\n\ndef dedup(event):\n    return ''\n",
               "- Name: n\n  ExpectedResult: true\n  Log: {}\n")
    with RuleEngine(tmp_path) as engine:
        report = engine.run_tests()

    def out(rule_id, fn):
        c = next(c for c in report.cases if c.rule_id == rule_id)
        return next(f.output for f in c.functions if f.name == fn)

    assert out("T.NoTitle", "dedup") == "defaultDedupString:T.NoTitle"
    assert out("T.EmptyDedup", "dedup") == "defaultDedupString:T.EmptyDedup"
    title = out("T.Title", "title")
    assert len(title) == 1000 and title.endswith("... (truncated)")
    assert out("T.Title", "dedup") == title  # no dedup(): the title


def test_expected_false_ignores_errors_in_other_functions(tmp_path):
    report = run_one(tmp_path, "T.AuxErr", """
        def rule(event):
            return event["hit"]

        def title(event):
            raise KeyError("boom")
        """, """
        - Name: false with broken title
          ExpectedResult: false
          Log: {"hit": false}
        - Name: true with broken title
          ExpectedResult: true
          Log: {"hit": true}
        """)
    assert case(report, "false with broken title").passed
    broken = case(report, "true with broken title")
    assert not broken.passed and broken.error == "title: KeyError: 'boom'"


def test_rule_exception_fails_both_expectations(tmp_path):
    report = run_one(tmp_path, "T.Raise", """
        def rule(event):
            return event["missing"] == 1
        """, """
        - Name: a
          ExpectedResult: false
          Log: {}
        """)
    assert not report.cases[0].passed and report.cases[0].error.startswith("KeyError")


def test_destinations_and_expected_destinations(tmp_path):
    report = run_one(tmp_path, "T.Dest", """
        def rule(event):
            return True

        def destinations(event):
            return event["d"] if event.get("raw") else list(event["d"])
        """, """
        - Name: match
          ExpectedResult: true
          ExpectedDestinations: [b, a]
          Log: {"d": ["a", "b"]}
        - Name: suppressed
          ExpectedResult: true
          ExpectedDestinations: []
          Log: {"d": []}
        - Name: mismatch
          ExpectedResult: true
          ExpectedDestinations: [a]
          Log: {"d": ["c"]}
        - Name: an ImmutableList is not a list
          ExpectedResult: true
          Log: {"d": ["a"], "raw": true}
        """)
    assert case(report, "match").passed and case(report, "suppressed").passed
    assert not case(report, "mismatch").passed
    immutable = case(report, "an ImmutableList is not a list")
    assert not immutable.passed and "returned [ImmutableList], expected a list" in immutable.error


def test_global_helpers_are_importable_by_global_id(tmp_path):
    gh = tmp_path / "global_helpers"
    gh.mkdir()
    (gh / "my_helpers.py").write_text("def double(x):\n    return 2 * x\n")
    (gh / "my_helpers.yml").write_text("AnalysisType: global\nGlobalID: my_helpers\nFilename: my_helpers.py\n")
    report = run_one(tmp_path, "T.Global", """
        from my_helpers import double
        from panther_detection_helpers.caching import get_counter, increment_counter

        def rule(event):
            increment_counter("k")
            return double(event["n"]) == 4 and get_counter("k") == 1
        """, """
        - Name: helper
          ExpectedResult: true
          Log: {"n": 2}
        """)
    assert report.ok, report.cases


def test_invalid_specs_reported_per_file_and_the_rest_still_run(tmp_path):
    write_rule(tmp_path, "T.Good", "def rule(event):\n    return True\n", "- Name: n\n  ExpectedResult: true\n  Log: {}\n")
    (tmp_path / "unknown_key.yml").write_text("AnalysisType: rule\nRuleID: T.Unknown\nEnabled: true\nFilename: x.py\n"
                                              "LogTypes: [A]\nSeverity: Low\nBogus: 1\n")
    (tmp_path / "no_py.yml").write_text("AnalysisType: rule\nRuleID: T.NoPy\nEnabled: true\nFilename: nope.py\n"
                                        "LogTypes: [A]\nSeverity: Low\n")
    (tmp_path / "bad_yaml.yml").write_text("AnalysisType: rule\nRuleID: [unclosed\n")
    write_rule(tmp_path, "T.ImportError", "import not_a_module_anywhere\ndef rule(event):\n    return True\n",
               "- Name: n\n  ExpectedResult: true\n  Log: {}\n")
    write_rule(tmp_path, "T.BadSeverity", "def rule(event):\n    return True\n", "[]\n", severity="Severe")
    (tmp_path / "corr.yml").write_text("AnalysisType: correlation_rule\nRuleID: T.Corr\nEnabled: true\nSeverity: Low\n")
    (tmp_path / "pol.yml").write_text("AnalysisType: policy\nPolicyID: T.Pol\nEnabled: true\nSeverity: Low\n")
    with RuleEngine(tmp_path) as engine:
        report = engine.run_tests()
    assert [r.rule_id for r in report.rules] == ["T.Good"] and report.rules[0].passed
    messages = " | ".join(i.message for i in report.invalid)
    assert len(report.invalid) == 5, messages
    for needle in ("Bogus", "nope.py", "not valid YAML", "not_a_module_anywhere", "Severe"):
        assert needle in messages
    assert sorted(s.analysis_id for s in report.skipped) == ["T.Corr", "T.Pol"]
    out = report.to_json()
    assert (out["passed"], out["failed"], out["invalid"], out["skipped"]) == (1, 0, 5, 2)
    assert not report.ok


def test_duplicate_rule_ids_are_invalid(tmp_path):
    write_rule(tmp_path, "T.Dup", "def rule(event):\n    return True\n", "[]\n")
    (tmp_path / "again.yml").write_text((tmp_path / "t_dup.yml").read_text())
    with RuleEngine(tmp_path) as engine:
        assert len(engine.rules) == 1
        assert any("already used" in i.message for i in engine.invalid)


def test_disabled_rules_are_tested_but_not_run_on_events(tmp_path):
    write_rule(tmp_path, "T.Off", "def rule(event):\n    return True\n", "- Name: n\n  ExpectedResult: true\n  Log: {}\n",
               enabled="false")
    with RuleEngine(tmp_path) as engine:
        assert engine.run_tests().cases[0].passed
        assert engine.run_tests(skip_disabled=True).rules == ()
        assert engine.run_event({"p_log_type": "Custom.T"}) == []


def test_filters_and_rule_ids(tmp_path):
    write_rule(tmp_path, "T.High", "def rule(event):\n    return True\n", "[]\n", severity="High")
    write_rule(tmp_path, "T.Low", "def rule(event):\n    return True\n", "[]\n", severity="Low",
               log_types="[Custom.A, Custom.B]")
    with RuleEngine(tmp_path) as engine:
        assert [r.rule_id for r in engine.run_tests(filters={"Severity": ["High"]}).rules] == ["T.High"]
        assert [r.rule_id for r in engine.run_tests(filters={"LogTypes": ["Custom.B"]}).rules] == ["T.Low"]
        assert [r.rule_id for r in engine.run_tests(filters={"Enabled": ["true"]}).rules] == ["T.High", "T.Low"]
        assert [r.rule_id for r in engine.run_tests(rule_ids=["T.Low"]).rules] == ["T.Low"]


def test_printed_output_is_captured_per_case(tmp_path):
    report = run_one(tmp_path, "T.Print", """
        import sys

        def rule(event):
            print("looking at", event["n"])
            print("to stderr", file=sys.stderr)
            return True
        """, """
        - Name: one
          ExpectedResult: true
          Log: {"n": 1}
        - Name: two
          ExpectedResult: true
          Log: {"n": 2}
        """)
    assert case(report, "one").stdout == "looking at 1\nto stderr\n"
    assert case(report, "two").stdout == "looking at 2\nto stderr\n"


def test_scheduled_rules_run_without_rule_function_or_data_model(tmp_path):
    dm = tmp_path / "data_models"
    dm.mkdir()
    (dm / "dm.yml").write_text("AnalysisType: datamodel\nDataModelID: DM\nEnabled: true\nLogTypes: [Custom.T]\n"
                               "Mappings:\n  - Name: source_ip\n    Path: $.ip\n")
    (tmp_path / "sched.py").write_text("def title(event):\n    return f'row {event.udm(\"source_ip\")}'\n")
    (tmp_path / "sched.yml").write_text(textwrap.dedent("""\
        AnalysisType: scheduled_rule
        RuleID: T.Scheduled
        Enabled: true
        Filename: sched.py
        ScheduledQueries: [Some Query]
        Severity: Low
        Tests:
          - Name: every row matches
            ExpectedResult: true
            Log: {"p_log_type": "Custom.T", "ip": "1.1.1.1"}
        """))
    with RuleEngine(tmp_path) as engine:
        report = engine.run_tests()
    c = report.cases[0]
    assert c.passed
    # scheduled rules never get a data model: udm falls back to the field of that name (absent here)
    assert next(f.output for f in c.functions if f.name == "title") == "row None"


def test_simple_detections_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "simple.yml").write_text(textwrap.dedent("""\
        AnalysisType: rule
        RuleID: T.Simple
        Enabled: true
        LogTypes: [Custom.T]
        Severity: Low
        Detection:
          - KeyPath: action
            Condition: Equals
            Value: archived
        """))
    with RuleEngine(tmp_path) as engine:
        report = engine.run_tests()
    assert report.ok and [s.analysis_id for s in report.skipped] == ["T.Simple"]
    assert "Simple Detection" in report.skipped[0].reason


def test_worker_runs_under_another_interpreter_without_our_dependencies(tmp_path):
    import shutil
    import sys

    other = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    if not other or Path(other).resolve() == Path(sys.executable).resolve():
        pytest.skip("no second Python interpreter on this machine")
    report = run_one(tmp_path, "T.Other", """
        import sys

        def rule(event):
            return event["n"] == 1 and sys.version_info >= (3, 8)

        def title(event):
            return sys.executable
        """, """
        - Name: other python
          ExpectedResult: true
          Log: {"n": 1}
        """)
    assert report.ok  # written with the defaults; now the same content under the other interpreter:
    with RuleEngine(tmp_path, python=other) as engine:
        report = engine.run_tests()
    assert report.ok, report.cases
    assert next(f.output for f in report.cases[0].functions if f.name == "title") == other
