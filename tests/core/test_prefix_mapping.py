"""Writing a detected log type into a config's prefixes: comments, order and other sources survive; a mapped
prefix gains the type (never loses one); re-running is harmless; what cannot be edited says why."""

from __future__ import annotations

import pytest

from workbench.config import load_config
from workbench.errors import WorkbenchError
from workbench.prefix_mapping import apply_mapping, literal_prefix

CONFIG = """\
# team config — keep this line
schemas: [schemas]
sources:
  prod:
    bucket: acme-logs   # the main bucket
    region: us-east-1
    prefixes:
      AWSLogs/: AWS.CloudTrail
      Panoptica/:
        - Custom.Panoptica.Auth   # auth first
        - Custom.Panoptica.FileAccess
  other:
    bucket: other-logs
"""


@pytest.fixture
def cfg(tmp_path):
    p = tmp_path / "workbench.yaml"
    p.write_text(CONFIG)
    (tmp_path / "schemas").mkdir()
    return p


@pytest.mark.parametrize(("pattern", "prefix"), [
    ("okta/{yyyy}/{mm}/{dd}/*.json.gz", "okta/"),
    ("AWSLogs/{account}/CloudTrail/{region}/{yyyy}/*.json.gz", "AWSLogs/"),
    ("exports/gcp/audit-*.json", "exports/gcp/"),
    ("*.log", ""),
    ("logs/app.log", "logs/"),
])
def test_literal_prefix(pattern, prefix):
    assert literal_prefix(pattern) == prefix


def test_new_prefix_is_added_and_everything_else_kept(cfg):
    change = apply_mapping(cfg, "prod", "okta/", "Okta.SystemLog")
    assert (change.action, change.describe()) == ("added", "mapped okta/ to Okta.SystemLog")
    text = cfg.read_text()
    for kept in ("# team config — keep this line", "# the main bucket", "# auth first", "bucket: other-logs"):
        assert kept in text
    src = load_config(cfg).source("prod")
    assert [(m.prefix, m.log_types) for m in src.prefixes] == [
        ("AWSLogs/", ("AWS.CloudTrail",)),
        ("Panoptica/", ("Custom.Panoptica.Auth", "Custom.Panoptica.FileAccess")),
        ("okta/", ("Okta.SystemLog",)),
    ]


def test_a_mapped_prefix_gains_the_type_and_rerunning_changes_nothing(cfg):
    assert apply_mapping(cfg, "prod", "AWSLogs/", "AWS.VPCFlow").action == "extended"
    before = cfg.read_text()
    assert apply_mapping(cfg, "prod", "AWSLogs/", "AWS.VPCFlow").action == "unchanged"
    assert apply_mapping(cfg, "prod", "Panoptica/", "Custom.Panoptica.Auth").action == "unchanged"
    assert cfg.read_text() == before
    src = load_config(cfg).source("prod")
    assert src.log_types_for("AWSLogs/x") == ("AWS.CloudTrail", "AWS.VPCFlow")


def test_a_source_without_prefixes_gets_the_section(cfg):
    apply_mapping(cfg, "other", "idp/", "Okta.SystemLog")
    assert load_config(cfg).source("other").log_types_for("idp/2026/x.json") == ("Okta.SystemLog",)
    assert load_config(cfg).source("prod").log_types_for("AWSLogs/x") == ("AWS.CloudTrail",)


def test_what_cannot_be_mapped_says_why(cfg, tmp_path):
    with pytest.raises(WorkbenchError, match="no source named 'nope'"):
        apply_mapping(cfg, "nope", "x/", "Okta.SystemLog")
    with pytest.raises(WorkbenchError, match="bucket root"):
        apply_mapping(cfg, "prod", "", "Okta.SystemLog")
    with pytest.raises(WorkbenchError, match="Cannot read config"):
        apply_mapping(tmp_path / "missing.yaml", "prod", "x/", "Okta.SystemLog")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  prod:\n    bucket: b\n    prefixes: [a, b]\n")
    with pytest.raises(WorkbenchError, match="not a mapping"):
        apply_mapping(bad, "prod", "x/", "Okta.SystemLog")


def test_lines_the_mapping_does_not_touch_keep_their_layout(tmp_path):
    # the layout `workbench demo` writes: "- item" flush with its key, and a long queue URL (ruamel's default
    # width of 80 folded it onto a second line, and re-indented the schemas list)
    url = "http://127.0.0.1:60343/123456789012/panther-input-data-notifications-queue"
    text = ("schemas:\n- /tmp/demo/schemas\nsources:\n  demo:\n    bucket: b\n"
            f"    queue_url: {url}\n    prefixes:\n      AWSLogs/: AWS.CloudTrail\n")
    cfg = tmp_path / "workbench.yaml"
    cfg.write_text(text)
    apply_mapping(cfg, "demo", "okta/", "Okta.SystemLog")
    assert cfg.read_text() == text + "      okta/: Okta.SystemLog\n"


def test_indented_sequences_stay_indented(cfg):
    apply_mapping(cfg, "prod", "okta/", "Okta.SystemLog")
    assert "      Panoptica/:\n        - Custom.Panoptica.Auth   # auth first\n" in cfg.read_text()
