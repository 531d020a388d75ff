"""SVG snapshots (pytest-textual-snapshot) of each screen in a stable state.

The screens run with their AWS workers replaced by fixed data (a snapshot must not depend on the clock or a
server), so these pin layout and rendering; behaviour is covered by the Pilot tests on the demo.
Regenerate after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import Input

from screens.app import WorkbenchApp
from screens.flow.browse import BrowseScreen
from screens.flow.events import EventsScreen
from screens.flow.sources import SourcesScreen
from workbench.config import parse_config
from workbench.model import ObjectRef, Record
from workbench.source.checks import CHECKS, CheckResult, PrefixCount
from workbench.source.formats import Detection
from workbench.source.prefixes import Children, Folder
from workbench.source.sampling import ObjectSummary, SampleResult

SIZE = (140, 40)
CONFIG = parse_config("""
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
                      f'{{"ts":"2024-05-0{n + 1}T0{i}:00:00Z","event_type":"auth","outcome":"{"failure" if i % 3 == 0 else "success"}"}}')
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


class SnapshotApp(WorkbenchApp):
    MODES = {"sources": StillSources, "browse": StillBrowse, "events": EventsScreen}  # noqa: RUF012


def still_app(start: str) -> SnapshotApp:
    app = SnapshotApp(CONFIG, start=start)
    result, detections = fixed_sample()
    app.session.sample, app.session.detections, app.session.prefix = result, detections, "Panoptica/auth/"
    app.session.events = fixed_events()
    return app


async def _steady(pilot) -> None:
    for node in pilot.app.screen.query(Input):
        node.cursor_blink = False
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_sources_snapshot(snap_compare):
    assert snap_compare(still_app("sources"), terminal_size=SIZE, run_before=_steady)


def test_browse_snapshot(snap_compare):
    async def expand_groups(pilot):
        await _steady(pilot)
        await pilot.press("g", "down", "down", "down", "down")
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
