"""`run_objects` (raw records parsed inside the rule worker) gives exactly what parsing here and sending
events (`run_events`) gives: the same matches with the same events, the same errors, the same per-rule
counts; with a rule that loops on some events, the healthy rules' results do not change either."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.config import load_config
from workbench.demo.seed import DemoSpec, history, write_config
from workbench.detections import AlertGrouper, RuleEngine
from workbench.events.pipeline import events_from_object, worker_parser
from workbench.model import ObjectRef
from workbench.source.decode import decode_object

REPO = Path(__file__).resolve().parents[3]
LOOP = "def rule(event):\n    while str(event.get('p_row_id', '')).endswith('7'):\n        pass\n    return False\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    cfg = load_config(write_config(tmp, "http://127.0.0.1:1", "us-east-1", "", "", "", "", REPO))
    objects = [(ObjectRef("demo", p.key, len(p.body)), p.body) for p in history(DemoSpec(days=2, objects_per_day=20))]
    return cfg, cfg.source("demo"), objects


def stable(event: dict) -> dict:
    """The event without what each parse makes anew (p_row_id is random, p_parse_time is now)."""
    return {k: v for k, v in event.items() if k not in ("p_row_id", "p_parse_time")}


def by_events(engine, cfg, source, objects):
    events = [e for ref, body in objects for e in events_from_object(cfg, source, ref, body) if type(e) is dict]
    results = [r for r in engine.run_events(events)]
    grouper = AlertGrouper.for_rules(engine.rules)
    grouper.add_all(results)
    return events, [r for r in results if r.matched or r.error], grouper.summary()


def by_objects(engine, cfg, source, objects):
    records = [decode_object(body, ref, stream=source.stream).records for ref, body in objects]
    results = list(engine.run_objects(records, worker_parser(cfg, source)))
    grouper = AlertGrouper.for_rules(engine.rules)
    for r in results:
        grouper.add(r, count_event=False)
    stats = engine.last_run
    for rid, n in stats.applied.items():
        grouper.add_counts(rid, n, stats.suspended[rid].not_run if rid in stats.suspended else 0)
    return stats, results, grouper.summary()


def test_records_parsed_in_the_worker_give_what_events_parsed_here_give(demo):
    cfg, source, objects = demo
    with RuleEngine(cfg.rules_dir, auto_reload=False) as engine:
        events, expected, expected_summary = by_events(engine, cfg, source, objects)
        stats, got, summary = by_objects(engine, cfg, source, objects)
    assert stats.events == len(events) > 1000
    assert len(expected) > 50
    assert got == expected  # every field of every match and error, in the same order
    assert [stable(r.event) for r in got] == [stable(r.event) for r in expected]
    assert summary == expected_summary


def test_a_looping_rule_in_the_worker_parse_path_changes_nothing_for_the_others(demo, tmp_path):
    cfg, source, objects = demo
    rules = tmp_path / "rules"
    shutil.copytree(cfg.rules_dir, rules)
    (rules / "zz_loop.py").write_text(LOOP)
    (rules / "zz_loop.yml").write_text("AnalysisType: rule\nRuleID: ZZ.Loop\nEnabled: true\nFilename: zz_loop.py\n"
                                       "LogTypes: [AWS.CloudTrail, Custom.AppLog]\nSeverity: Low\n")
    with RuleEngine(cfg.rules_dir, auto_reload=False) as engine:
        _stats, expected, expected_summary = by_objects(engine, cfg, source, objects)
    with RuleEngine(rules, timeout=0.5, auto_reload=False) as engine:
        stats, got, summary = by_objects(engine, cfg, source, objects)
    assert [r for r in got if r.rule_id != "ZZ.Loop"] == expected
    assert {k: v for k, v in summary.items() if k != "ZZ.Loop"} == expected_summary
    loop = summary["ZZ.Loop"]
    assert loop["errors"] == 3 and stats.suspended["ZZ.Loop"].strikes == 3
    assert loop["not_run"] == stats.suspended["ZZ.Loop"].not_run > 0
    assert all("timed out" in r.error and r.event["p_row_id"].endswith("7") for r in got if r.rule_id == "ZZ.Loop")
