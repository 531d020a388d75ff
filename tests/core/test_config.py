"""Config: file < environment < flags; bad config → one line naming the key and its YAML line."""

from __future__ import annotations

import pytest

from workbench.config import load_config, parse_config
from workbench.errors import WorkbenchError

GOOD = """\
schemas: [schemas]
sources:
  prod:
    bucket: acme-logs
    region: us-east-1
    role_arn: arn:aws:iam::1:role/r
    prefixes:
      AWSLogs/: AWS.CloudTrail
      app/: [Custom.A, Custom.B]
"""


def test_parse_good_config(tmp_path):
    cfg = parse_config(GOOD, tmp_path / "w.yaml")
    src = cfg.source("prod")
    assert src.bucket == "acme-logs" and src.role_arn.endswith(":role/r")
    assert src.log_types_for("app/x/y.gz") == ("Custom.A", "Custom.B")
    assert src.log_types_for("AWSLogs/1/CloudTrail/x") == ("AWS.CloudTrail",)
    assert src.log_types_for("other/x") == ()
    assert cfg.schema_dirs == ((tmp_path / "schemas").resolve(),)
    assert cfg.source(None) is src  # only one source


def test_environment_beats_file_and_flags_beat_environment(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text(GOOD)
    env = {"WORKBENCH_REGION": "eu-west-1", "WORKBENCH_ENDPOINT_URL": "http://127.0.0.1:9"}
    assert load_config(p, env=env).source("prod").region == "eu-west-1"
    cfg = load_config(p, env=env, region="ap-south-1")
    assert cfg.source("prod").region == "ap-south-1"
    assert cfg.source("prod").endpoint == "http://127.0.0.1:9"
    assert load_config(env={"WORKBENCH_CONFIG": str(p)}).source("prod").bucket == "acme-logs"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("sources:\n  prod:\n    region: us-east-1\n", "w.yaml:2: `sources.prod.bucket` is required"),
        ("sources:\n  prod:\n    bucket: b\n    regoin: x\n", "w.yaml:4: unknown key `sources.prod.regoin`"),
        ("sources:\n  prod:\n    bucket: b\n    prefixes: [a, b]\n", "w.yaml:4: `sources.prod.prefixes` must map"),
        ("sources: [1, 2]\n", "w.yaml:1: `sources` must map"),
        ("sources:\n  prod: {bucket: b\n", "w.yaml:3:1: not valid YAML"),
        ("colour: blue\n", "w.yaml:1: unknown top-level key `colour`"),
        ("sources:\n  p:\n    bucket: b\n    region: [x]\n", "w.yaml:4: `sources.p.region` must be a string"),
    ],
)
def test_bad_config_is_one_line_naming_key_and_line(tmp_path, text, needle):
    with pytest.raises(WorkbenchError) as e:
        parse_config(text, tmp_path / "w.yaml")
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(str(tmp_path / "w.yaml"))
    assert needle.split(": ", 1)[1] in msg and needle.split(":")[1] in msg


def test_missing_file_and_unknown_source(tmp_path):
    with pytest.raises(WorkbenchError, match="does not exist"):
        load_config(tmp_path / "nope.yaml", env={})
    cfg = parse_config(GOOD, tmp_path / "w.yaml")
    with pytest.raises(WorkbenchError, match=r"No source named 'x'.*prod"):
        cfg.source("x")
