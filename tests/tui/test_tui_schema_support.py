"""The Schema screen's pure glue: which records a schema describes and its default name, where it is saved,
the atomic save and its diff, and where each field sits in YAML text that may be mid-edit."""

from __future__ import annotations

import os

import pytest

from screens.presenters.schema_support import (
    RecordGroup,
    diff_against_file,
    field_lines,
    name_from_prefix,
    path_at_line,
    record_groups,
    schema_file,
    schema_tests_file,
    set_field_type,
    starting_point,
    with_saved,
)
from workbench.config import parse_config
from workbench.errors import WorkbenchError
from workbench.files import atomic_write
from workbench.model import Record
from workbench.schema import dump_schema, load_schema, walk_fields

NESTED = """\
schema: Custom.Nested
fields:
- name: a
  type: string
- name: b
  type: object
  fields:
  - name: c
    required: true
    type: int
- name: arr
  type: array
  element:
    type: object
    fields:
    - name: d
      type: timestamp
      timeFormats: [rfc3339]
- name: z
  type: bigint
"""


def test_field_lines_name_every_field_as_walk_fields_does():
    found = field_lines(NESTED)
    assert [p for _n, p, _t in found] == [p for p, _f in walk_fields(load_schema(NESTED).fields)]
    lines = NESTED.splitlines()
    for name_line, path, type_line in found:
        assert lines[name_line - 1].strip().endswith(path.rsplit(".", 1)[-1])
        assert lines[type_line - 1].strip().startswith("type:")


def test_field_lines_follow_indented_sequences_and_half_typed_text():
    indented = ("fields:\n  - name: a\n    type: string\n  - name: b\n    type: object\n    fields:\n"
                "      - name: c\n        type: int\n  - name: arr\n    type: array\n    element:\n"
                "      type: object\n      fields:\n        - name: d\n          type: string\n")
    assert [(p, t) for _n, p, t in field_lines(indented)] == [("a", 3), ("b", 5), ("b.c", 8), ("arr", 10),
                                                              ("arr[].d", 15)]
    broken = NESTED.replace("  type: bigint", "  type: [")
    assert field_lines(broken)[-1][1] == "z"
    assert path_at_line(NESTED, 9) == "b.c" and path_at_line(NESTED, 1) is None


def test_set_field_type_changes_only_that_line():
    text, line = set_field_type(NESTED, "b.c", "bigint")
    assert text.splitlines()[line - 1] == "    type: bigint"
    assert load_schema(text).fields[1].fields[0].type == "bigint"
    assert sum(a != b for a, b in zip(NESTED.splitlines(), text.splitlines(), strict=True)) == 1
    assert set_field_type(NESTED, "nope", "int") is None


@pytest.mark.parametrize(("prefix", "name"), [
    ("Panoptica/auth/", "Custom.Panoptica.Auth"),
    ("Panoptica/auth/2026-01-02/", "Custom.Panoptica.Auth"),
    ("app/payments/dt=2026-01-02/", "Custom.App.Payments"),
    ("s3-access/", "Custom.S3Access"),
    ("9lives/", "Custom.X9lives"),
    ("", "Custom.Logs"),
])
def test_name_from_prefix_is_a_valid_schema_name(prefix, name):
    assert name_from_prefix(prefix) == name
    load_schema(f"schema: {name}\nfields:\n- name: a\n  type: string\n")


def test_record_groups_split_by_configured_log_type():
    config = parse_config("""
sources:
  s:
    bucket: b
    prefixes: {"p/a/": Custom.A, "p/b/": Custom.B}
""")
    source = config.source("s")
    recs = [Record("b", f"p/{k}/x.json", i, "{}") for i, k in enumerate("aabaac")]
    groups = record_groups(recs, source, "p/")
    assert [(g.name, len(g.records), g.configured) for g in groups] == [
        ("Custom.A", 4, True), ("Custom.B", 1, True), ("Custom.P", 1, False), ("Custom.PAll", 6, False)]
    assert len(record_groups(recs[:2], source, "p/a/")) == 1


def test_inferring_for_a_managed_log_type_gives_a_custom_schema_that_parses_its_records():
    """A prefix mapped to AWS.CloudTrail: the schema inferred from its records is Custom.AWS.CloudTrail, so it is
    not parsed with CloudTrail's managed steps (which rename `resources[].ARN` and failed a quarter of the
    sample's own records)."""
    from workbench.parse import compile_parser
    from workbench.schema import Schema

    events = ['{"eventVersion": "1.09", "eventTime": "2026-11-25T14:28:27Z", "eventName": "GetObject", '
              f'"resources": [{{"ARN": "arn:aws:s3:::b/k{i}", "accountId": "111122223333", "type": "AWS::S3::Object"}}]}}'
              for i in range(5)]
    group = RecordGroup("AWS.CloudTrail", [Record("b", "AWSLogs/x.json", i, t) for i, t in enumerate(events)],
                        configured=True)
    result, text = starting_point(group)
    assert result is not None and result.schema.name == "Custom.AWS.CloudTrail"
    assert text.startswith("schema: Custom.AWS.CloudTrail")
    parser = compile_parser(result.schema)
    assert isinstance(result.schema, Schema)
    assert all(isinstance(parser.parse(r), dict) for r in group.records)


def test_save_is_atomic_and_finds_the_file_declaring_the_name(tmp_path):
    with pytest.raises(WorkbenchError):
        schema_file((), "Custom.A")
    path, exists = schema_file([tmp_path], "Custom.A")
    assert (path, exists) == (tmp_path / "Custom.A.yml", False)
    text = dump_schema(load_schema(NESTED.replace("Custom.Nested", "Custom.A")))
    other = tmp_path / "sub" / "whatever.yml"
    atomic_write(other, text, make_parents=True)
    assert other.read_text() == text and not [p for p in other.parent.iterdir() if p.name != "whatever.yml"]
    assert schema_file([tmp_path], "Custom.A") == (other, True)
    assert schema_tests_file(other) == tmp_path / "sub" / "whatever_tests.yml"
    assert diff_against_file(other, text) == []
    diff = diff_against_file(other, text.replace("type: bigint", "type: float"))
    assert "-  type: bigint" in diff and "+  type: float" in diff
    groups = with_saved(record_groups([Record("b", "k", 1, "{}")], None, "z/"), [tmp_path])
    assert [g.saved for g in groups] == [None]
    groups = with_saved([type(groups[0])("Custom.A", [])], [tmp_path])
    assert [g.saved for g in groups] == [None, other]


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "s.yml"
    path.write_text("old\n")

    def boom(*_a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(path, "new\n")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["s.yml"]


def test_atomic_write_keeps_the_file_mode(tmp_path):
    import os
    import stat

    path = tmp_path / "Custom.X.yml"
    path.write_text("schema: Custom.X\n")
    os.chmod(path, 0o644)
    atomic_write(path, "schema: Custom.Y\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 and path.read_text() == "schema: Custom.Y\n"
    os.chmod(path, 0o640)
    atomic_write(path, "schema: Custom.Z\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    new = tmp_path / "new.yml"
    atomic_write(new, "x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


def test_field_views_show_the_stored_name_beside_the_source_name():
    from screens.presenters.field_view import field_views
    from screens.widgets.field_panel import field_detail
    from workbench.schema import load_schema

    schema = load_schema("schema: Custom.S\nfields:\n  - {name: '@timestamp', type: timestamp, timeFormats: [unix]}\n"
                         "  - name: user.info\n    type: object\n    fields:\n      - {name: a b, type: int}\n"
                         "  - {name: plain, type: string}\n")
    views = {v.path: v for v in field_views(schema)}
    assert views["@timestamp"].stored == "at_sign_timestamp"
    assert views["user.info.a b"].stored == "user_info.a_b"
    assert views["plain"].stored == ""
    text = field_detail(views["user.info.a b"], [{"user_info": {"a_b": 3}}, {"user_info": {"a_b": 5}}]).plain
    assert "stored as user_info.a_b" in text


def test_detected_formats_add_groups_and_managed_starts():
    from screens.presenters.schema_support import group_for, rename_schema, with_detected
    from workbench.source.formats import detect_groups

    syslog = "Jan  3 10:13:12 bastion sshd[14662]: session opened for user alice by (uid=0)"
    web = '203.0.113.45 - - [01/May/2024:12:00:12 +0000] "GET / HTTP/1.1" 200 4721 "-" "curl/8.4.0"'
    nginx = web + ' "10.0.0.1"'  # nginx's main format: combined plus X-Forwarded-For, which no managed parser reads
    okta = ('{"uuid": "u1", "published": "2026-05-02T09:14:07Z", "eventType": "user.session.start", "version": "0", '
            '"severity": "INFO", "actor": {"id": "a"}, "client": {"ipAddress": "10.0.0.1"}, "outcome": null}')
    # one unmapped prefix holding two formats (a mixed group), a prefix of nginx logs, one of Okta's JSON
    recs = ([Record("b", "mixed/a.log", i, syslog if i % 2 else web) for i in range(1, 11)]
            + [Record("b", "web/x.log", i, nginx) for i in range(1, 6)]
            + [Record("b", "okta/y.json", i, okta) for i in range(1, 4)])
    detections = detect_groups(recs)
    groups = with_detected(record_groups(recs, None, ""), recs, detections, [])
    assert [g.label for g in groups] == [
        "Custom.Logs · infer from 18 records (name from the prefix)",
        "Custom.Mixed.Syslog3164 · infer from 5 syslog (RFC 3164) records in mixed/",
        "Custom.Mixed.ApacheCombined · infer from 5 Apache/nginx combined access log records in mixed/",
        "Custom.Okta · infer from 3 Okta System Log records in okta/",
        "Custom.Web · infer from 5 nginx access log (main format, with X-Forwarded-For) records in web/",
        # managed parsers that also run code keep their name; Okta.SystemLog is its schema file alone
        "Syslog.RFC3164 · start from Panther's Syslog.RFC3164 schema (5 syslog (RFC 3164) records in mixed/)",
        "Apache.AccessCombined · start from Panther's Apache.AccessCombined schema (5 Apache/nginx combined access "
        "log records in mixed/)",
        "Custom.Okta.SystemLog · start from Panther's Okta.SystemLog schema (3 Okta System Log records in okta/)",
    ]
    mixed_syslog = groups[1]
    assert [r.text for r in mixed_syslog.records] == [syslog] * 5  # only its format's lines of the mixed prefix
    assert groups[5].managed is not None and groups[5].managed.name == "Syslog.RFC3164.yml"
    assert groups[7].managed is not None and groups[7].managed.name == "Okta.SystemLog.yml"
    assert groups[5].records == mixed_syslog.records
    assert group_for(groups, None) is None
    assert group_for(groups, mixed_syslog.detection) == 1
    assert rename_schema("# c\nschema: Apache.AccessCombined\nfields: []\n", "Custom.X") == \
        "# c\nschema: Custom.X\nfields: []\n"
