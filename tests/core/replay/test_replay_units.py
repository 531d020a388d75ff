"""Replay's pure parts: cutting objects into tasks, merging partial results in any order, the results file."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.aws import AwsSession
from workbench.config import parse_config
from workbench.detections.grouping import AlertGrouper
from workbench.detections.results import RuleResult
from workbench.errors import WorkbenchError
from workbench.model import ObjectRef
from workbench.replay.checkpoint import CheckpointWriter, ReplayKey, read_checkpoint
from workbench.replay.options import options_from_config
from workbench.replay.plan import _outer_prefixes, group_tasks, task_target_bytes
from workbench.replay.tally import ObjectOutcome, RuleSamples, TaskResult, Totals


def ref(i: int, size: int) -> ObjectRef:
    return ObjectRef("b", f"k/{i:05d}", size)


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=200), st.integers(min_value=1, max_value=8000))
def test_tasks_keep_every_object_once_in_order_and_stay_near_the_target(sizes, target):
    refs = [ref(i, s) for i, s in enumerate(sizes)]
    tasks = group_tasks(refs, target)
    assert [r for t in tasks for r in t.refs] == refs
    assert [t.task_id for t in tasks] == list(range(len(tasks)))
    for t in tasks:
        # a task only exceeds the target when one object alone does
        assert t.bytes <= target or len(t.refs) == 1


def test_tasks_are_bounded_in_objects_too():
    tasks = group_tasks([ref(i, 0) for i in range(2500)], 1 << 30, max_objects=1000)
    assert [len(t.refs) for t in tasks] == [1000, 1000, 500]


def test_target_leaves_several_tasks_per_worker_within_bounds():
    assert task_target_bytes(10 * 1024 ** 3, 2) == 64 * 1024 * 1024  # capped
    assert task_target_bytes(1000, 4) == 1024 * 1024  # floor
    assert task_target_bytes(160 * 1024 * 1024, 2) == 5 * 1024 * 1024
    assert task_target_bytes(1, 1, override=123) == 123


def test_nested_prefixes_are_listed_once():
    assert _outer_prefixes(["AWSLogs/", "Panoptica/auth/", "Panoptica/", "app/"]) == ["AWSLogs/", "Panoptica/", "app/"]
    assert _outer_prefixes(["a/", ""]) == [""]


def _result(rule_id: str, matched: bool, t: str, dedup: str = "d", error: str | None = None) -> RuleResult:
    return RuleResult(rule_id, matched, title="T", dedup=dedup, error=error, event={"p_event_time": t})


def _task(task_id: int, times: list[str], dedup: str) -> TaskResult:
    g = AlertGrouper({"R": (60, 2), "Q": (60, 1)})
    for t in times:
        g.add(_result("R", True, t, dedup))
        g.add(_result("Q", False, t, error="rule: ValueError: x" if t.endswith("1") else None))
    samples = {"R": RuleSamples([{"time": t, "key": f"k{task_id}", "index": i} for i, t in enumerate(times)][:2])}
    return TaskResult(task_id, [ObjectOutcome(f"k{task_id}", "e", 100, len(times), 1)], g, samples)


def test_totals_do_not_depend_on_the_order_tasks_finish_in():
    tasks = [
        _task(0, ["2024-05-01 10:00:00.000000000", "2024-05-01 10:10:00.000000001"], "alice"),
        _task(1, ["2024-05-01 10:50:00.000000000", "2024-05-01 11:30:00.000000000"], "alice"),
        _task(2, ["2024-05-01 09:00:00.000000001"], "bob"),
    ]
    seen = []
    for order in itertools.permutations(tasks):
        totals = Totals(sample_limit=3)
        totals.add_rules({"R": (60, 2), "Q": (60, 1), "Never": (60, 1)})
        for t in order:
            totals.merge(t)
        seen.append((totals.objects, totals.events, totals.parse_errors, totals.rules_json()))
    assert all(s == seen[0] for s in seen)
    objects, events, parse_errors, rules = seen[0]
    assert (objects, events, parse_errors) == (3, 5, 3)
    # alice: 10:00, 10:10, 10:50 in one 60-minute window (3 ≥ threshold 2), 11:30 opens another (1 < 2); bob: 1
    assert rules["R"]["matches"] == 5 and rules["R"]["dedup_groups"] == 3 and rules["R"]["alerts"] == 1
    assert rules["Q"]["errors"] == 2 and rules["Q"]["matches"] == 0
    assert rules["Never"]["matches"] == 0
    assert rules["R"]["matches_per_day"] == {"2024-05-01": 5} and rules["Never"]["matches_per_day"] == {}
    assert [s["time"] for s in rules["R"]["alerts_sample"]] == sorted(s["time"] for s in rules["R"]["alerts_sample"])


def test_results_file_round_trips_and_ignores_a_cut_off_last_line(tmp_path: Path):
    path = tmp_path / "r.jsonl"
    key = ReplayKey("demo", "b", "2024-05-01T00:00:00+00:00", None, "/rules", ("R",))
    w = CheckpointWriter(path, key, append=False)
    first = _task(0, ["2024-05-01 10:00:00.000000000"], "alice")
    w.add(first)
    w.add(_task(1, ["2024-05-01 11:00:00.000000000"], "bob"))
    w.close()
    with open(path, "ab") as fh:
        fh.write(b'{"task": 2, "objects": [{"key": "k2"')  # the process died mid-write
    cp = read_checkpoint(path)
    assert cp is not None and cp.key == key
    assert [r.task_id for r in cp.results] == [0, 1]
    assert cp.done_keys() == {("k0", "e"), ("k1", "e")}
    again = Totals()
    again.merge(cp.results[0])
    direct = Totals()
    direct.merge(first)
    assert again.rules_json() == direct.rules_json()
    # appending after a crash starts on a fresh line
    w = CheckpointWriter(path, key, append=True)
    w.add(_task(3, ["2024-05-01 12:00:00.000000000"], "carol"))
    w.close()
    assert [r.task_id for r in read_checkpoint(path).results] == [0, 1, 3]


def test_a_file_that_is_not_a_results_file_is_refused(tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(WorkbenchError, match="not a replay results file"):
        read_checkpoint(path)
    assert read_checkpoint(tmp_path / "missing.jsonl") is None


def test_replay_section_of_the_config(tmp_path: Path):
    cfg = parse_config("sources: {s: {bucket: b}}\nreplay: {workers: 3, task_mb: 2, scheduler: 'tcp://h:8786', "
                       "results: out/r.jsonl}\n", tmp_path / "workbench.yaml")
    opts = options_from_config(cfg)
    assert opts == {"workers": 3, "task_bytes": 2 * 1024 * 1024, "scheduler": "tcp://h:8786",
                    "results_path": (tmp_path / "out/r.jsonl").resolve()}
    with pytest.raises(WorkbenchError, match=r"replay\.cores"):
        options_from_config(parse_config("sources: {s: {bucket: b}}\nreplay: {cores: 2}\n"))


def test_task_payloads_name_the_credentials_but_never_carry_them(tmp_path: Path, monkeypatch):
    """What Dask ships to workers: source names, profile, role ARN, endpoint, a credentials *path* — no keys."""
    import pickle
    import secrets

    from workbench.replay.task import TaskSpec

    secret = secrets.token_hex(20)
    (tmp_path / "creds").write_text(f"[p]\naws_access_key_id = AKIA{secrets.token_hex(8).upper()}\n"
                                    f"aws_secret_access_key = {secret}\n")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    cfg = parse_config("sources: {s: {bucket: b, profile: p, credentials_file: creds, "
                       "role_arn: 'arn:aws:iam::123456789012:role/r', endpoint: 'http://127.0.0.1:1'}}\n",
                       tmp_path / "workbench.yaml")
    source = cfg.source("s")
    assert AwsSession(source).base_session.get_credentials().secret_key == secret  # readable where it runs
    payload = pickle.dumps(TaskSpec(0, (ref(0, 10),), cfg, source, str(tmp_path / "rules")))
    assert secret.encode() not in payload
    assert str((tmp_path / "creds").resolve()).encode() in payload  # where a worker finds them, if it can


def test_objects_written_after_until_are_left_out_unless_their_partition_ended_by_then():
    from datetime import UTC, datetime, timedelta

    from workbench.model import ObjectRef
    from workbench.replay.plan import written_in_window

    until = datetime(2026, 6, 1, 12, tzinfo=UTC)
    later, earlier = until + timedelta(seconds=10), until - timedelta(seconds=10)
    # the partition --until lies in keeps filling: objects written after it are not this window's
    assert not written_in_window(ObjectRef("b", "app/2026-06-01/new.json", 10, later), until)
    assert written_in_window(ObjectRef("b", "app/2026-06-01/old.json", 10, earlier), until)
    # a late copy of an earlier day (backfill) is still that day's data
    assert written_in_window(ObjectRef("b", "app/2026-05-30/backfill.json", 10, later), until)
    # no date in the key: LastModified is all there is
    assert not written_in_window(ObjectRef("b", "flat/x.json", 10, later), until)
    assert written_in_window(ObjectRef("b", "flat/x.json", 10, later), None)


def test_events_outside_the_window_are_not_run():
    from workbench.replay.task import in_window_events

    def ev(t: str) -> dict:
        return {"p_event_time": t, "p_parse_time": "2026-06-01 13:00:00.000000000"}

    events = [ev("2026-05-31 23:59:59.000000000"), ev("2026-06-01 00:00:00.000000000"),
              ev("2026-06-01 11:59:59.999999999"), ev("2026-06-01 12:00:00.000000000"),
              ev("2026-06-01 13:00:00.000000000")]  # the last has no event time of its own: it stays
    kept = in_window_events(events, "2026-06-01 00:00:00.000000000", "2026-06-01 12:00:00.000000000")
    assert kept == [events[1], events[2], events[4]]
    assert in_window_events(events, None, None) is events
