"""The demo rules over the demo bucket's history, through the real parser, as `workbench rules run` does it."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main

pytestmark = pytest.mark.demo


def test_every_demo_rule_fires_on_the_demo_history(demo, capsys):
    rc = main(["rules", "run", "--config", str(demo.config_path), "--source", "demo", "--since", "7d", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0, out
    assert out["events"] > 1000 and out["errors"] == 0 and out["invalid"] == []
    assert len(out["rules"]) >= 9
    signals = {"Panoptica.Policy.UnapprovedChange"}  # CreateAlert: false, noisy by design
    for rule_id, counts in out["rules"].items():
        assert counts["matches"] > 0, (rule_id, counts)
        # suspicious events are rare
        assert rule_id in signals or counts["matches"] < counts["events"] / 4, (rule_id, counts)
    # Threshold at work: repeated failures group into far fewer alerts than matches
    failures = out["rules"]["Panoptica.Auth.RepeatedFailures"]
    assert failures["alerts"] < failures["dedup_groups"] <= failures["matches"]
