"""The demo rules over the demo bucket's history, through the real parser, as `workbench rules run` does it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from workbench.cli import main

pytestmark = pytest.mark.demo
RULES = Path(__file__).resolve().parents[2] / "rules"
# the rules written for the demo's own log types; rules/ also holds rules for managed types the demo does
# not generate (Okta, GCP, …), which run end to end in test_managed_end_to_end.py instead
DEMO_RULE_DIRS = ("app_rules", "aws_cloudtrail_rules", "aws_s3_rules", "panoptica_rules")


def _demo_rule_ids() -> set[str]:
    return {yaml.safe_load(p.read_text())["RuleID"] for d in DEMO_RULE_DIRS for p in (RULES / d).glob("*.yml")}


def test_every_demo_rule_fires_on_the_demo_history(demo, capsys):
    rc = main(["rules", "run", "--config", str(demo.config_path), "--source", "demo", "--since", "7d", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0, out
    assert out["events"] > 1000 and out["errors"] == 0 and out["invalid"] == []
    assert len(out["rules"]) >= 9
    signals = {"Panoptica.Policy.UnapprovedChange"}  # CreateAlert: false, noisy by design
    demo_rules = _demo_rule_ids()
    assert len(demo_rules) >= 9 and demo_rules <= set(out["rules"])
    for rule_id, counts in out["rules"].items():
        if rule_id not in demo_rules:
            assert counts["events"] == 0 and counts["errors"] == 0, (rule_id, counts)  # no demo data of its type
            continue
        assert counts["matches"] > 0, (rule_id, counts)
        # suspicious events are rare
        assert rule_id in signals or counts["matches"] < counts["events"] / 4, (rule_id, counts)
    # Threshold at work: repeated failures group into far fewer alerts than matches
    failures = out["rules"]["Panoptica.Auth.RepeatedFailures"]
    assert failures["alerts"] < failures["dedup_groups"] <= failures["matches"]
