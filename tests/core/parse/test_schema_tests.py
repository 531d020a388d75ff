"""Panther schema test files: the shipped schemas pass theirs; written tests round-trip; failures are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.parse.schema_tests import run_schema_tests, write_schema_test
from workbench.schema import load_schema, load_schema_dir

REPO = Path(__file__).resolve().parents[3]
SCHEMAS = REPO / "schemas"
SHIPPED = {"AWS.S3ServerAccess", "AWS.CloudTrail", "Custom.Panoptica.Auth", "Custom.Panoptica.FileAccess",
           "Custom.Panoptica.PolicyChange", "Custom.AppLog"}


def test_every_shipped_schema_has_tests_and_passes_them():
    report = run_schema_tests(SCHEMAS)
    assert report.ok, [r.to_json() for r in report.results if not r.passed] + report.problems
    shipped = set(load_schema_dir(SCHEMAS))
    assert shipped >= SHIPPED  # the managed types of issue 17 come on top
    assert {r.log_type for r in report.results} == shipped


def test_every_schema_file_ships_with_its_test_file():
    names = {p.stem for p in SCHEMAS.glob("*.yml") if not p.stem.endswith("_tests")}
    assert names and all((SCHEMAS / f"{name}_tests.yml").exists() for name in names)


def test_cli_schema_test_prints_pass_and_exits_zero(capsys):
    assert main(["schema", "test", str(SCHEMAS)]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "FAIL" not in out


SCHEMA = ("schema: Custom.Mini\nfields:\n  - {name: t, type: timestamp, timeFormats: [rfc3339], isEventTime: true}\n"
          "  - {name: ip, type: string, indicators: [ip]}\n")


def test_write_then_run_round_trip_and_a_failing_test(tmp_path, capsys):
    (tmp_path / "mini.yml").write_text(SCHEMA)
    schema = load_schema(tmp_path / "mini.yml")
    n = write_schema_test(schema, ['{"t": "2024-01-01T00:00:00Z", "ip": "1.2.3.4"}', "not json"], tmp_path / "mini_tests.yml")
    assert n == 1
    assert run_schema_tests(tmp_path).ok
    # a Panther-style hand-written test: RFC 3339 expected times and the {{.LogType}} template
    (tmp_path / "more_tests.yml").write_text(
        "name: pantherlog style\nlogType: Custom.Mini\ninput: |\n  {\"t\": \"2024-01-01T00:00:00Z\", \"ip\": \"5.6.7.8\"}\n"
        "result: |\n  {\"t\": \"2024-01-01T00:00:00Z\", \"ip\": \"5.6.7.8\", \"p_log_type\": \"{{.LogType}}\",\n"
        "   \"p_event_time\": \"2024-01-01T00:00:00Z\", \"p_any_ip_addresses\": [\"5.6.7.8\"], \"p_row_id\": \"x\"}\n"
        "---\nname: wrong ip expected\nlogType: Custom.Mini\ninput: '{\"t\": \"2024-01-01T00:00:00Z\", \"ip\": \"5.6.7.8\"}'\n"
        "result: '{\"t\": \"2024-01-01T00:00:00Z\", \"ip\": \"9.9.9.9\", \"p_log_type\": \"Custom.Mini\", "
        "\"p_event_time\": \"2024-01-01T00:00:00Z\", \"p_any_ip_addresses\": [\"9.9.9.9\"]}'\n"
        "---\nname: unknown key\nlogType: Custom.Mini\ninput: x\nexpected: y\n")
    report = run_schema_tests(tmp_path)
    by_name = {r.name: r for r in report.results}
    assert by_name["pantherlog style"].passed
    assert (not by_name["wrong ip expected"].passed
            and "ip: expected '9.9.9.9', got '5.6.7.8'" in by_name["wrong ip expected"].message)
    assert "unknown key" in by_name["unknown key"].message
    assert main(["schema", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL wrong ip expected" in out and "PASS pantherlog style" in out


def test_write_refuses_when_nothing_parses(tmp_path):
    with pytest.raises(WorkbenchError, match="None of the chosen records"):
        write_schema_test(load_schema(SCHEMA), ["nope"], tmp_path / "x_tests.yml")


def test_cli_validate_reports_line_column(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("schema: Custom.Bad\nfields:\n  - name: a\n    type: strng\n")
    assert main(["schema", "validate", str(bad), str(SCHEMAS / "AWS.CloudTrail.yml")]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:4:11: unknown type 'strng'" in out and "ok   " in out
    assert main(["schema", "validate", str(SCHEMAS)]) == 0


def test_cli_write_test_then_run(tmp_path, capsys):
    (tmp_path / "mini.yml").write_text(SCHEMA)
    (tmp_path / "in.ndjson").write_text('{"t": "2024-01-01T00:00:00Z", "ip": "1.2.3.4"}\n{"t": "2024-01-02T00:00:00Z"}\n')
    assert main(["schema", "write-test", str(tmp_path / "mini.yml"), str(tmp_path / "in.ndjson"),
                 "--out", str(tmp_path / "mini_tests.yml")]) == 0
    assert main(["schema", "test", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count("PASS") == 2
