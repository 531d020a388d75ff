"""SVG snapshots (pytest-textual-snapshot) of each screen in a stable state.

The screens run with their AWS workers replaced by fixed data (a snapshot must not depend on the clock or a
server), so these pin layout and rendering; behaviour is covered by the Pilot tests on the demo.
Regenerate after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.widgets import DataTable, Input
from tuikit import settle, tables_measured, wait_for

from screens.app import WorkbenchApp
from screens.flow.browse import BrowseScreen
from screens.flow.events import EventsScreen
from screens.flow.live import LiveScreen
from screens.flow.replay import ReplayScreen
from screens.flow.rules import RulesScreen
from screens.flow.schema import SchemaScreen
from screens.flow.sources import SourcesScreen
from screens.widgets.checklist import Checklist
from workbench.config import parse_config
from workbench.live.buffer import LiveBuffer, LiveItem, RateMeter
from workbench.model import ObjectRef, Record
from workbench.source.checks import CHECKS, CheckResult, PrefixCount
from workbench.source.formats import Detection
from workbench.source.prefixes import Children, Folder
from workbench.source.sampling import ObjectSummary, SampleResult

SIZE = (140, 40)
SIZES = {"small": (80, 24), "large": (200, 50)}
REPO = Path(__file__).resolve().parents[2]
CONFIG = parse_config(f"""
schemas: {REPO / "schemas"}
rules: {REPO / "rules"}
sources:
  demo:
    bucket: wb-demo-logs
    region: us-east-1
    role_arn: arn:aws:iam::123456789012:role/workbench-demo-reader
    queue_url: https://sqs.us-east-1.amazonaws.com/123456789012/panther-queue
    topic_arn: arn:aws:sns:us-east-1:123456789012:panther-topic
    prefixes:
      Panoptica/auth/: Custom.Panoptica.Auth
      AWSLogs/: AWS.CloudTrail
""")
T0 = datetime(2024, 5, 1, tzinfo=UTC)


class StillSources(SourcesScreen):
    def count_objects(self) -> None:
        for row in (PrefixCount("AWSLogs/", 140, 719_086, False), PrefixCount("Panoptica/", 257, 1_113_625, False)):
            self.post_message(self.OverviewRow("demo", row))
        self.post_message(self.OverviewRow("demo", None, done=True))

    def run_checks(self) -> None:
        for name, _check, fix in CHECKS:
            ok = name != "Bucket notification"
            self.post_message(self.CheckDone("demo", CheckResult(name, ok, f"{name}: fine." if ok else
                                             "No ObjectCreated notification covers prefix(es) AWSLogs/.",
                                             "" if ok else fix)))
        self.post_message(self.CheckDone("demo", None))


def fixed_sample() -> tuple[SampleResult, list[Detection]]:
    refs = [ObjectRef("wb-demo-logs", f"Panoptica/auth/2024-05-0{d}/111122223333/auth-{d}.json.gz", 2048, T0)
            for d in range(1, 8)]
    records = [Record(r.bucket, r.key, i + 1,
                      f'{{"ts":"2024-05-0{n + 1}T0{i}:00:00Z","event_type":"auth",'
                      f'"outcome":"{"failure" if i % 3 == 0 else "success"}"}}')
               for n, r in enumerate(refs) for i in range(3)]
    result = SampleResult(objects=refs, records=records, list_calls=3, listed=98, bytes_read=14_336, elapsed=0.5,
                          summaries={r.key: ObjectSummary(r, "gzip", "lines", None, 3) for r in refs})
    detection = Detection("Panoptica/auth/{date}/{account}/*.json.gz", "JSON lines", "json", 0.97,
                          "all 21 sampled lines are JSON objects with a stable key set", "JSON", None, 7, 21,
                          log_types=("Custom.Panoptica.Auth",))
    return result, [detection]


class StillBrowse(BrowseScreen):
    def list_children(self, node, prefix: str) -> None:
        folders = [Folder("AWSLogs/", "AWSLogs", None), Folder("Panoptica/", "Panoptica", None)]
        if prefix == "":
            self.post_message(self.Children(node, Children("", folders)))

    def list_objects(self, prefix: str, window) -> None:
        result, _ = fixed_sample()
        self.post_message(self.Objects(prefix, result.objects, False))

    def run_sample(self, *args) -> None:
        pass


def fixed_events(n: int = 40) -> list[dict]:
    out = []
    for i in range(n):
        t = T0 + timedelta(minutes=17 * i)
        out.append({"p_event_time": t.strftime("%Y-%m-%d %H:%M:%S.000000000"), "p_log_type": "Custom.Panoptica.Auth",
                    "ts": t.strftime("%Y-%m-%d %H:%M:%S.000000000"), "outcome": "failure" if i % 4 == 0 else "success",
                    "actor": {"email": f"user{i % 5}@acme-corp.example", "mfa": i % 2 == 0},
                    "client": {"ip": f"198.51.100.{i % 7}"},
                    "p_any_ip_addresses": [f"198.51.100.{i % 7}"], "p_any_emails": [f"user{i % 5}@acme-corp.example"],
                    "p_row_id": f"row{i:04d}"})
    return out


def fixed_live_items() -> list[LiveItem]:
    t = T0.timestamp()
    items = []
    for i, e in enumerate(fixed_events(12)):
        key = f"Panoptica/auth/2024-05-01/111122223333/live-{i}.json.gz"
        rules = ("Panoptica.Auth.RepeatedFailures",) if e["outcome"] == "failure" else ()
        items.append(LiveItem(i * 2 + 1, "event", "Custom.Panoptica.Auth", "wb-demo-logs", key, event=e, rules=rules,
                              arrived=t + i))
        if rules:
            items.append(LiveItem(i * 2 + 2, "alert", "Custom.Panoptica.Auth", "wb-demo-logs", key, event=e,
                                  rule_id=rules[0], title=f"Failed logins for {e['actor']['email']}",
                                  severity="MEDIUM", dedup=e["actor"]["email"], arrived=t + i))
    items.append(LiveItem(99, "parse_error", "AWS.CloudTrail", "wb-demo-logs", "AWSLogs/1/CloudTrail/x.json.gz",
                          line=3, reason="eventTime: not a timestamp", text='{"eventTime": "yesterday"}', arrived=t + 13))
    return items


class StillLive(LiveScreen):
    """A tail that never touches AWS: a buffer filled once, in poll mode."""

    def _start(self) -> None:
        self._running = True
        buffer = LiveBuffer(1000)
        items = fixed_live_items()
        buffer.extend(items)
        # rates as of a fixed clock, so the side panel does not depend on when the snapshot is taken
        buffer.log_types, buffer.rules, buffer.events_per_second = RateMeter(), RateMeter(), RateMeter(max_keys=1)
        for item in items:
            if item.kind == "event":
                buffer.log_types.add(item.log_type, now=item.arrived)
                buffer.events_per_second.add("events", now=item.arrived)
            elif item.kind == "alert":
                buffer.rules.add(item.rule_id, now=item.arrived)
        tail = SimpleNamespace(mode="poll", status=("info", "poll: listing new objects every 5 s (no topic)"),
                               rules_note="rules on: 14 enabled", buffer=buffer,
                               drift=SimpleNamespace(report=list), stop=lambda: None)
        self.post_message(self.Started(tail))

    def _refresh_side(self, tail, now: float | None = None) -> None:
        super()._refresh_side(tail, now=T0.timestamp() + 14)


class SnapshotApp(WorkbenchApp):
    # a toast in a snapshot stays until it is taken: at the default 5 s a loaded machine could snapshot after it left
    NOTIFICATION_TIMEOUT = 3600
    MODES = {"sources": StillSources, "browse": StillBrowse, "schema": SchemaScreen,  # noqa: RUF012
             "events": EventsScreen, "rules": RulesScreen, "live": StillLive, "replay": ReplayScreen}


def still_app(start: str) -> SnapshotApp:
    app = SnapshotApp(CONFIG, start=start)
    result, detections = fixed_sample()
    app.session.sample, app.session.detections, app.session.prefix = result, detections, "Panoptica/auth/"
    app.session.events = fixed_events()
    return app


def _loaded(app: SnapshotApp) -> bool:
    """The screen shows what its start-up work produced (not only that its workers ended: their results are
    messages handled later)."""
    screen = app.screen
    if isinstance(screen, RulesScreen):  # the rules ran and both tables hold the run
        run = screen.run_result
        return (run is not None and not screen._running
                and screen.query_one("#rules-table", DataTable).row_count == len(run.specs)
                and screen.query_one("#rules-results", DataTable).row_count == len(screen.results))
    if isinstance(screen, SourcesScreen):  # the checks ended with their toast, the prefixes are counted
        return (not screen.query_one(Checklist).running and len(app._notifications) > 0
                and screen.query_one("#prefix-table", DataTable).row_count == 2)
    return True


async def _steady(pilot) -> None:
    for node in pilot.app.screen.query(Input):
        node.cursor_blink = False
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    await wait_for(pilot, lambda: _loaded(pilot.app), f"{type(pilot.app.screen).__name__} loaded")
    await tables_measured(pilot.app, pilot)


def test_sources_snapshot(snap_compare):
    assert snap_compare(still_app("sources"), terminal_size=SIZE, run_before=_steady)


def test_browse_snapshot(snap_compare):
    async def expand_groups(pilot):
        await _steady(pilot)
        await pilot.press("r", "down", "down", "down", "down")
        await _steady(pilot)

    assert snap_compare(still_app("browse"), terminal_size=SIZE, run_before=expand_groups)


def test_events_snapshot(snap_compare):
    async def move(pilot):
        await _steady(pilot)
        await pilot.press("down", "down", "right", "right", "right")
        await _steady(pilot)

    assert snap_compare(still_app("events"), terminal_size=SIZE, run_before=move)


def test_help_snapshot(snap_compare):
    async def open_help(pilot):
        await _steady(pilot)
        await pilot.press("question_mark")
        await _steady(pilot)

    assert snap_compare(still_app("events"), terminal_size=SIZE, run_before=open_help)


SCREENS = ("sources", "browse", "schema", "events", "rules", "live", "replay")


@pytest.fixture
def utc(monkeypatch):
    """Live lines show arrival times in local time: pin the zone."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("mode", SCREENS)
def test_every_screen_at_both_sizes(snap_compare, mode, size, utc):
    """Every screen usable at 80×24 and comfortable at 200×50: nothing the user needs is cut, the footer
    (the screen's main keys and ?) is whole."""
    async def steady(pilot):
        await _steady(pilot)
        await settle(pilot.app, pilot)
        await tables_measured(pilot.app, pilot)
        await _steady(pilot)

    assert snap_compare(still_app(mode), terminal_size=SIZES[size], run_before=steady)
