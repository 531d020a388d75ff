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
