"""Rules over events, hot reload, alert grouping, and the demo rules against the demo's own generators."""

from __future__ import annotations

import json
import os
import random
import shlex
import shutil
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workbench.demo import data
from workbench.detections import AlertGrouper, RuleEngine, RuleResult

REPO = Path(__file__).resolve().parents[3]
RULES = REPO / "rules"


def write_rule(root: Path, rule_id: str, py: str, log_types: str = "[Custom.T]", extra: str = "") -> Path:
    name = rule_id.lower().replace(".", "_")
    (root / f"{name}.py").write_text(textwrap.dedent(py))
    (root / f"{name}.yml").write_text(f"AnalysisType: rule\nRuleID: {rule_id}\nEnabled: true\nFilename: {name}.py\n"
                                      f"LogTypes: {log_types}\nSeverity: Low\n{extra}")
    return root / f"{name}.py"


def bump_mtime(path: Path) -> None:
    # filesystems with coarse timestamps: make sure the edit is visible as a change
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_run_events_one_result_per_applicable_rule(tmp_path):
    write_rule(tmp_path, "E.Admin", """
        def rule(event):
            print("saw", event.get("user"))
            return event.get("user") == "admin"

        def title(event):
            return f"admin did {event.get('action')}"

        def alert_context(event):
            return {"action": event.get("action"), "tags": event.get("tags")}
        """)
    write_rule(tmp_path, "E.Other", "def rule(event):\n    return True\n", log_types="[Custom.Other]")
    events = [
        {"p_log_type": "Custom.T", "user": "admin", "action": "delete", "tags": ["a"]},
        {"p_log_type": "Custom.T", "user": "bob", "action": "read"},
        {"p_log_type": "Custom.Unknown", "user": "admin"},
        {"p_log_type": "Custom.Other"},
    ]
    with RuleEngine(tmp_path) as engine:
        results = list(engine.run_events(events))
    assert [(r.rule_id, r.matched) for r in results] == [("E.Admin", True), ("E.Admin", False), ("E.Other", True)]
    hit = results[0]
    assert hit.title == "admin did delete" and hit.dedup == "admin did delete" and hit.severity == "LOW"
    assert hit.alert_context == {"action": "delete", "tags": ["a"]}
    assert hit.stdout == "saw admin\n" and results[1].stdout == "saw bob\n"
    assert hit.event is events[0]
    assert isinstance(hit, RuleResult)


def test_run_events_in_batches_keeps_order(tmp_path):
    write_rule(tmp_path, "E.Even", "def rule(event):\n    return event['n'] % 2 == 0\n")
    events = [{"p_log_type": "Custom.T", "n": i} for i in range(2500)]
    with RuleEngine(tmp_path) as engine:
        results = list(engine.run_events(iter(events)))
    assert [r.event["n"] for r in results] == list(range(2500))
    assert sum(r.matched for r in results) == 1250


def test_stopping_early_leaves_the_engine_usable(tmp_path):
    write_rule(tmp_path, "E.Odd", "def rule(event):\n    return event['n'] % 2 == 1\n")
    events = [{"p_log_type": "Custom.T", "n": i} for i in range(3500)]
    with RuleEngine(tmp_path) as engine:
        it = engine.run_events(events)
        first = [next(it) for _ in range(1500)]  # the second batch is in flight now
        it.close()
        assert [r.event["n"] for r in first] == list(range(1500))
        again = list(engine.run_events(events[:10]))
        assert [r.matched for r in again] == [n % 2 == 1 for n in range(10)]


def test_hot_reload_of_a_rule_and_of_a_helper(tmp_path):
    gh = tmp_path / "global_helpers"
    gh.mkdir()
    helper = gh / "reload_helpers.py"
    helper.write_text("WANTED = 'a'\n")
    (gh / "reload_helpers.yml").write_text("AnalysisType: global\nGlobalID: reload_helpers\nFilename: reload_helpers.py\n")
    py = write_rule(tmp_path, "E.Reload", """
        from reload_helpers import WANTED

        def rule(event):
            return event["v"] == WANTED
        """)
    event = {"p_log_type": "Custom.T", "v": "a"}
    with RuleEngine(tmp_path) as engine:
        assert engine.run_event(event)[0].matched
        pid = engine.worker.proc.pid
        # edit the rule: picked up on the next run, in the same worker process
        py.write_text(py.read_text().replace('== WANTED', '!= WANTED'))
        bump_mtime(py)
        engine._last_check = 0
        assert not engine.run_event(event)[0].matched
        assert engine.worker.proc.pid == pid
        # edit the helper: the worker restarts so every importer sees the new value
        py.write_text(py.read_text().replace('!= WANTED', '== WANTED'))
        helper.write_text("WANTED = 'b'\n")
        bump_mtime(py)
        bump_mtime(helper)
        summary = engine.reload()
        assert summary.restarted and str(helper) in summary.changed
        assert not engine.run_event(event)[0].matched
        assert engine.run_event({"p_log_type": "Custom.T", "v": "b"})[0].matched
        # a new rule file appears
        write_rule(tmp_path, "E.New", "def rule(event):\n    return True\n")
        assert "E.New" in {r.rule_id for r in engine.rules} or engine.reload()
        assert {r.rule_id for r in engine.rules} == {"E.Reload", "E.New"}


def test_watch_reports_edits(tmp_path):
    import threading

    py = write_rule(tmp_path, "E.Watch", "def rule(event):\n    return False\n")
    with RuleEngine(tmp_path, auto_reload=False) as engine:
        assert not engine.run_event({"p_log_type": "Custom.T"})[0].matched
        stop = threading.Event()
        seen = []

        def edit():
            # keep editing until the watcher reports it (the watcher may start after the first write)
            while not stop.wait(0.2):
                py.write_text("def rule(event):\n    return True\n")
                bump_mtime(py)

        editor = threading.Thread(target=edit)
        editor.start()
        try:
            for summary in engine.watch(stop):
                seen.append(summary)
                break
        finally:
            stop.set()
            editor.join()
        assert str(py) in seen[0].changed
        assert engine.run_event({"p_log_type": "Custom.T"})[0].matched


def test_lookup_and_event_time(tmp_path):
    write_rule(tmp_path, "E.Lookup", """
        def rule(event):
            return (event.lookup("geo", "1.2.3.4") == {"country": "NZ"}
                    and event.event_time_epoch() == 1767225600)
        """)
    event = {"p_log_type": "Custom.T", "p_event_time": "2026-01-01 00:00:00.000000000",
             "_mocked_lookup_data_": {"geo": {"1.2.3.4": {"country": "NZ"}}}}
    with RuleEngine(tmp_path) as engine:
        assert engine.run_event(event)[0].matched


def test_python_option_runs_the_worker_under_that_interpreter(tmp_path):
    write_rule(tmp_path, "E.Exe", "import sys\n\ndef rule(event):\n    print(sys.executable)\n    return True\n")
    python = str(Path(os.sys.executable))
    with RuleEngine(tmp_path, python=python) as engine:
        assert engine.run_event({"p_log_type": "Custom.T"})[0].stdout.strip() == python


def _other_python() -> str:
    other = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    if not other or Path(other).resolve() == Path(sys.executable).resolve():
        pytest.skip("no second Python interpreter on this machine")
    return other


WHERE_FROM = """
    import importlib.util
    import json
    import os

    import panther_core
    import panther_detection_helpers
    import workbench

    def rule(event):
        real = os.path.realpath  # the links a worker is given are gone once it stops
        print(json.dumps({"workbench": real(workbench.__file__), "panther_core": real(panther_core.__file__),
                          "helpers": real(panther_detection_helpers.__file__),
                          "screens": importlib.util.find_spec("screens") is not None,
                          "textual": importlib.util.find_spec("textual") is not None}))
        return True
    """


def _where_from(rules: Path, python: str) -> dict:
    with RuleEngine(rules, python=python) as engine:
        result = engine.run_event({"p_log_type": "Custom.T"})[0]
    assert result.error is None, result.error
    return json.loads(result.stdout)


def _ours(package) -> Path:
    return Path(package.__file__).resolve()


def test_a_worker_under_another_interpreter_gets_the_engine_packages_and_nothing_else(tmp_path, monkeypatch):
    """--python: `workbench` and `panther_core` are this installation's; nothing else of it (not `screens`, not
    our dependencies such as textual) is importable there, whatever folder the run starts in."""
    import panther_core
    import panther_detection_helpers
    import workbench

    other = _other_python()
    rules, elsewhere = tmp_path / "rules", tmp_path / "elsewhere"
    rules.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    write_rule(rules, "E.Where", WHERE_FROM)
    got = _where_from(rules, other)
    assert Path(got["workbench"]).resolve() == _ours(workbench)
    assert Path(got["panther_core"]).resolve() == _ours(panther_core)
    assert Path(got["helpers"]).resolve() == _ours(panther_detection_helpers)  # that interpreter has none
    assert got["screens"] is False and got["textual"] is False
    assert not list(Path(tmp_path).glob("wb-rules-packages-*"))


def test_an_interpreters_own_panther_detection_helpers_wins_but_panther_core_stays_ours(tmp_path, monkeypatch):
    """Under --python an installed `panther_detection_helpers` beats our stand-in (it may keep its cache in
    DynamoDB); `panther_core` is always the engine's (it defines the event objects rules receive)."""
    import panther_core

    other = _other_python()
    site = tmp_path / "site"
    for name in ("panther_detection_helpers", "panther_core"):
        (site / name).mkdir(parents=True)
        (site / name / "__init__.py").write_text("")
    rules = tmp_path / "rules"
    rules.mkdir()
    monkeypatch.chdir(tmp_path)
    write_rule(rules, "E.Where", WHERE_FROM)
    monkeypatch.setenv("PYTHONPATH", str(site))  # what a venv's site-packages would hold
    got = _where_from(rules, other)
    assert Path(got["helpers"]).resolve() == (site / "panther_detection_helpers" / "__init__.py").resolve()
    assert Path(got["panther_core"]).resolve() == _ours(panther_core)


# --- grouping ----------------------------------------------------------------------------------------------

def _hit(rule_id: str, dedup: str, minute: int) -> RuleResult:
    t = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=minute)
    return RuleResult(rule_id, True, title=f"t-{dedup}", dedup=dedup, severity="LOW",
                      event={"p_event_time": t.strftime("%Y-%m-%d %H:%M:%S.000000000")})


def test_grouping_by_dedup_window_and_threshold():
    g = AlertGrouper({"R": (60, 3)})
    for m in (0, 10, 20, 30, 70, 200):
        g.add(_hit("R", "x", m))
    g.add(_hit("R", "y", 5))
    g.add(RuleResult("R", False, error="rule: boom", event={}))
    windows = [(a.dedup, a.count, a.alert) for a in g.alerts()]
    assert windows == [("x", 4, True), ("y", 1, False), ("x", 1, False), ("x", 1, False)]
    s = g.summary()["R"]
    assert s == {"events": 8, "matches": 7, "errors": 1, "dedup_groups": 4, "alerts": 1}


def test_grouping_merges_partials_to_the_same_answer():
    hits = [_hit("R", random.Random(i).choice("abc"), random.Random(i + 99).randrange(600)) for i in range(300)]
    whole = AlertGrouper({"R": (30, 2)})
    whole.add_all(hits)
    parts = [AlertGrouper({"R": (30, 2)}) for _ in range(3)]
    for i, h in enumerate(reversed(hits)):
        parts[i % 3].add(h)
    merged = parts[0] + parts[1] + parts[2]
    assert merged.alerts() == whole.alerts() and merged.summary() == whole.summary()


# --- the demo content --------------------------------------------------------------------------------------

def test_demo_rules_pass_their_own_tests():
    with RuleEngine(RULES) as engine:
        report = engine.run_tests()
    assert report.ok, [c for c in report.cases if not c.passed] or report.invalid
    assert len(report.rules) >= 8 and len(report.cases) >= 25
    assert "workbench_helpers" in {g.global_id for g in engine.globals}
    assert len(engine.data_models) >= 1


def _panther_time(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "000"


def _parsed(event: dict, log_type: str, t: datetime) -> dict:
    """Roughly what the parser hands rules: embedded JSON decoded, p_ fields added."""
    out = dict(event)
    if isinstance(out.get("context"), str):
        out["context"] = json.loads(out["context"])
    out.update(p_log_type=log_type, p_event_time=_panther_time(t), p_parse_time=_panther_time(t), p_row_id="r")
    return out


def _s3_fields(line: str, t: datetime) -> dict:
    parts = shlex.split(line.replace("[", '"').replace("]", '"'))
    names = ["bucketowner", "bucket", "time", "remoteip", "requester", "requestid", "operation", "key", "requesturi",
             "httpstatus", "errorcode", "bytessent", "objectsize", "totaltime", "turnaroundtime", "referrer",
             "useragent", "versionid", "hostid", "signatureversion", "ciphersuite", "authenticationtype",
             "hostheader", "tlsVersion", "accesspointarn", "aclrequired"]
    raw = {n: (None if v == "-" else v) for n, v in zip(names, parts, strict=False)}
    raw["httpstatus"] = int(raw["httpstatus"])
    return _parsed(raw, "AWS.S3ServerAccess", t)


def demo_events(n: int = 400, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    events = []
    for i in range(n):
        t = t0 + timedelta(minutes=i)
        sus = i % 10 == 0
        events.append(_parsed(data.panoptica_auth(rng, t, "111122223333", suspicious=sus), "Custom.Panoptica.Auth", t))
        events.append(_parsed(data.panoptica_file_access(rng, t, "111122223333", suspicious=sus),
                              "Custom.Panoptica.FileAccess", t))
        events.append(_parsed(data.panoptica_policy_change(rng, t, "111122223333", suspicious=sus),
                              "Custom.Panoptica.PolicyChange", t))
        events.append(_parsed(data.cloudtrail_record(rng, t, "111122223333", "us-east-1", suspicious=sus),
                              "AWS.CloudTrail", t))
        events.append(_s3_fields(data.s3_access_line(rng, t, "acme-prod-data", "111122223333", suspicious=sus), t))
        row = dict(zip(data.APP_COLUMNS, data.app_log_row(rng, t, suspicious=sus), strict=True))
        events.append(_parsed(row, "Custom.AppLog", t))
    return events


def test_demo_rules_fire_on_the_generators_suspicious_events():
    events = demo_events()
    with RuleEngine(RULES) as engine:
        results = list(engine.run_events(events))
        # rules/ also holds rules for managed types the demo does not generate (Okta, GCP, …): those see no event
        demo_types = {e["p_log_type"] for e in events}
        rule_ids = {r.rule_id for r in engine.rules if set(r.log_types) & demo_types}
    assert not [r.error for r in results if r.error]
    g = AlertGrouper.for_rules(RuleEngine(RULES).rules)
    g.add_all(results)
    summary = {rid: s for rid, s in g.summary().items() if rid in rule_ids}
    assert set(summary) == rule_ids
    for rid in rule_ids:
        assert summary[rid]["matches"] > 0, (rid, summary[rid])
    # quiet enough to be useful: suspicious events are 10 % here, every rule stays well under half
    signals = {"Panoptica.Policy.UnapprovedChange"}  # CreateAlert: false, noisy by design
    for rid, s in summary.items():
        assert rid in signals or s["matches"] < s["events"] / 2, (rid, s)


def test_engine_never_hangs_on_a_slow_rule_between_events(tmp_path):
    write_rule(tmp_path, "E.Slow", "import time\n\ndef rule(event):\n    time.sleep(event['s'])\n    return True\n")
    with RuleEngine(tmp_path, timeout=0.3) as engine:
        results = engine.run_event({"p_log_type": "Custom.T", "s": 3600})  # would hang the test if not cut
        assert "timed out" in results[0].error
        assert engine.run_event({"p_log_type": "Custom.T", "s": 0})[0].matched


def test_reload_says_which_files_appeared_and_which_disappeared(tmp_path):
    kept = write_rule(tmp_path, "E.Kept", "def rule(event):\n    return False\n")
    gone = write_rule(tmp_path, "E.Gone", "def rule(event):\n    return True\n")
    with RuleEngine(tmp_path) as engine:
        assert {r.rule_id for r in engine.rules} == {"E.Kept", "E.Gone"}
        gone.unlink()
        gone.with_suffix(".yml").unlink()
        write_rule(tmp_path, "E.New", "def rule(event):\n    return True\n")
        kept.write_text("def rule(event):\n    return True\n")
        bump_mtime(kept)
        summary = engine.reload()
        assert set(summary.removed) == {str(gone), str(gone.with_suffix(".yml"))}
        assert set(summary.added) == {str(tmp_path / "e_new.yml")}  # its .py is known once its spec names it
        assert str(kept) in summary.changed and str(kept) not in summary.added + summary.removed
        assert {r.rule_id for r in engine.rules} == {"E.Kept", "E.New"}
