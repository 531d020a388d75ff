"""Browse & sample screen: the bucket's prefix tree (date partitions folded into ranges), the objects under
the highlighted prefix, a time window and sample size, and the sample grouped by detected format with each
group's reason and confidence, plus a histogram of the sampled objects' times. Listing and sampling run in
named thread workers; Escape cancels a running sample. The prefix tree and object list are the base class
(`browse_tree.py`); the words shown are in screens/presenters/browse_view.py."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Static, Tree
from textual.worker import Worker, WorkerState

from screens.flow.browse_tree import BrowseTreeScreen
from screens.presenters.browse_view import (
    GroupNote,
    group_label,
    mapping_hint,
    note_text,
    record_detail,
    record_text,
    sample_status,
)
from screens.presenters.detection_view import GroupView, group_views
from screens.presenters.next_steps import browse_next
from screens.shell import safe
from screens.shell.messages import SessionUpdate
from screens.widgets.histogram import TimeHistogram
from screens.widgets.table import Table
from workbench.errors import WorkbenchError
from workbench.model import Record

if TYPE_CHECKING:
    from textual.widgets.tree import TreeNode

    from workbench.config import Config, Source
    from workbench.prefix_mapping import MappingChange
    from workbench.source.formats import Detection
    from workbench.source.sampling import SampleResult

MAX_RECORDS_PER_GROUP = 50


class BrowseScreen(BrowseTreeScreen):
    HELP = """
Browse & sample: the tree on the left is the bucket (Enter or → expands; date folders are folded into a
date range). Highlight a prefix to list its objects (key, size, time) below the tree. Set the time window
(Since: 7d, 36h or 2024-05-01; Until: empty for now) and the number of objects, then press s to sample the
highlighted prefix. The sampled records appear on the right grouped by detected format, with the reason and
confidence; highlight a record to see its raw text. Escape cancels a running sample. When a group is a
Panther managed log type (Okta, GCP audit, GitHub audit, …), m maps its prefix to that type in the config's
prefixes: (the highlighted group, else the first one with a managed schema; comments in the file are kept).
Next: press 3 (Schema) to infer and edit a schema for the sample, then 4 (Events).
"""
    CSS_PATH = Path(__file__).with_name("browse.tcss")  # absolute: tests subclass the screen elsewhere
    HINT = "Highlight a prefix and press s to sample it; r goes to the records by format, Enter shows one in full."
    MAIN_PANE = "#prefix-tree"  # where Escape takes the focus from an input
    BINDINGS: ClassVar = [
        Binding("s", "sample", "Sample prefix", id="browse_sample"),
        Binding("escape", "cancel", "Cancel", id="browse_cancel", show=False),
        Binding("w", "focus_window", "Time window", id="browse_window", show=False),
        Binding("r", "focus_groups", "Records", id="browse_groups", tooltip="The sampled records, by format"),
        Binding("m", "map_prefix", "Map prefix to type", id="browse_map_prefix"),
        Binding("t", "focus_tree", "Tree", id="browse_tree", show=False),
        Binding("right", "expand", "Expand", id="browse_expand", show=False),
        Binding("left", "collapse", "Collapse", id="browse_collapse", show=False),
    ]

    @dataclass(eq=False)
    class SampleProgress(Message):
        done: int
        total: int

    @dataclass(eq=False)
    class SampleDone(Message):
        prefix: str
        result: SampleResult
        detections: list[Detection]
        views: list[GroupView]

    @dataclass(eq=False)
    class Mapped(Message):
        change: MappingChange
        source: Source
        config: Config
        detections: list[Detection]

    def __init__(self) -> None:
        super().__init__()
        self._cancel: threading.Event | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="browse-left"):
                yield Tree(safe.cell("bucket"), id="prefix-tree")
                yield Table(id="object-table", cursor_type="row")
            with Vertical(id="browse-right"):
                with Horizontal(id="sample-controls"):
                    yield Label("Since")
                    yield Input(value="14d", id="since", placeholder="7d / 2024-05-01")
                    yield Label("Until")
                    yield Input(value="", id="until", placeholder="now")
                    yield Label("Objects")
                    yield Input(value="40", id="limit", type="integer")
                    yield Button("Sample (s)", id="sample-button", variant="primary")
                yield Static(id="sample-status", classes="status")
                yield ProgressBar(id="sample-progress", show_eta=False, classes="-hidden")
                yield TimeHistogram("sampled objects", id="sample-histogram")
                yield Tree(safe.cell("groups"), id="group-tree")
                with VerticalScroll(id="record-detail"):
                    yield Static(id="record-text")

    def on_mount(self) -> None:
        self.query_one("#prefix-tree").border_title = safe.content("Prefixes")
        self.query_one("#object-table").border_title = safe.content("Objects")
        self.query_one("#group-tree").border_title = safe.content("Sample by detected format")
        self.query_one("#record-detail").border_title = safe.content("Record")
        groups = self.query_one("#group-tree", Tree)
        groups.show_root = False
        table = self.query_one("#object-table", DataTable)
        table.add_columns("Key", "Size", "Time")
        self._reset_tree()
        self._show_sample()

    def session_changed(self, names: set[str]) -> None:
        if "source" in names:
            self._reset_tree()
            self._show_sample()

    # -- sampling --------------------------------------------------------------------------------------------
    def action_sample(self) -> None:
        if self.session.source is None:
            safe.notify(self.app, "No source selected: pick one on the Sources screen (key 1).", severity="warning")
            return
        try:
            since, until = self._window()
            limit_text = self.query_one("#limit", Input).value.strip() or "40"
            limit = int(limit_text)
            if limit <= 0:
                raise ValueError
        except WorkbenchError as e:
            safe.notify(self.app, e, severity="warning")
            return
        except ValueError:
            safe.notify(self.app, "Objects must be a positive whole number, e.g. 40.", severity="warning")
            return
        bar = self.query_one("#sample-progress", ProgressBar)
        bar.remove_class("-hidden")
        bar.update(total=None, progress=0)
        self._cancel = threading.Event()
        self.query_one("#sample-status", Static).update(
            safe.join(("Sampling ", "bold"), f"s3://{self.session.source.bucket}/{self._prefix}",
                      f"  ({limit} objects) — Escape cancels"))
        self.run_sample(self._prefix, since, until, limit, self._cancel)
        self.show_next()

    @on(Button.Pressed, "#sample-button")
    def _sample_pressed(self) -> None:
        self.action_sample()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_sample()

    def action_cancel(self) -> None:
        if self._cancel is not None and not self._cancel.is_set():
            self._cancel.set()
            self.workers.cancel_group(self, "sample")
            safe.notify(self.app, "Sample cancelled; showing what was read so far.")

    def action_focus_window(self) -> None:
        self.query_one("#since", Input).focus()

    def action_focus_groups(self) -> None:
        self.query_one("#group-tree", Tree).focus()

    def action_focus_tree(self) -> None:
        self.query_one("#prefix-tree", Tree).focus()

    def on_browse_screen_sample_progress(self, message: SampleProgress) -> None:
        self.query_one("#sample-progress", ProgressBar).update(total=message.total, progress=message.done)

    def on_browse_screen_sample_done(self, message: SampleDone) -> None:
        self.query_one("#sample-progress", ProgressBar).add_class("-hidden")
        self._cancel = None
        self.post_message(SessionUpdate(sample=message.result, detections=message.detections, prefix=message.prefix,
                                        events=[], parse_errors=[]))
        self._show_sample(message.result, message.views)

    def _status(self, result: SampleResult | None = None) -> None:
        source = self.session.source
        where = f"s3://{source.bucket}/{self._prefix}" if source else "(no source)"
        self.query_one("#sample-status", Static).update(sample_status(where, result))

    def _show_sample(self, result: SampleResult | None = None, views: list[GroupView] | None = None) -> None:
        result = result if result is not None else self.session.sample
        groups = self.query_one("#group-tree", Tree)
        groups.clear()
        self.query_one("#record-text", Static).update(safe.content(""))
        if result is None:
            self._status()
            self.query_one(TimeHistogram).set_times([])
            return
        from workbench.source.partitions import object_time

        self._status(result)
        self.query_one(TimeHistogram).set_times(object_time(r.key, r.last_modified) for r in result.objects)
        if views is None:
            views = group_views(result, self.session.detections)
        for view in views:
            self._add_group(groups, view)
        for failure in result.failures[:50]:
            groups.root.add_leaf(safe.join(("✗ ", "bold red"), failure.message))

    def _add_group(self, groups: Tree, view: GroupView) -> None:
        node = groups.root.add(group_label(view), expand=False, data=view)
        why = view.reason or "(no reason given)"
        node.add_leaf(safe.join(("why: ", "bold"), why), data=GroupNote("why", why, view))
        if view.suggestion:
            node.add_leaf(safe.join(("suggests: ", "bold"), view.suggestion),
                          data=GroupNote("suggests", view.suggestion, view))
        hint = mapping_hint(view.detection)
        if hint:
            node.add_leaf(safe.join(("m ", "bold"), hint))
        for record in view.records[:MAX_RECORDS_PER_GROUP]:
            node.add_leaf(safe.cell(record.text, limit=300), data=record)
        if len(view.records) > MAX_RECORDS_PER_GROUP:
            node.add_leaf(safe.join((f"… {len(view.records) - MAX_RECORDS_PER_GROUP} more", "dim")))
        if len(groups.root.children) == 1:
            node.expand()

    @on(Tree.NodeSelected, "#group-tree")
    def _record_selected(self, event: Tree.NodeSelected) -> None:
        """Enter on a record: it in full, then every record of its group (the tree shows the first few)."""
        record, parent = event.node.data, event.node.parent
        if isinstance(record, GroupNote):
            self._open_note(record)
            return
        view = parent.data if parent is not None else None
        if not isinstance(record, Record) or not isinstance(view, GroupView):
            return
        from screens.modals.detail import DetailScreen

        self.app.push_screen(DetailScreen(*record_detail(record, view)))

    def _open_note(self, note: GroupNote) -> None:
        from screens.modals.detail import DetailScreen

        self.app.push_screen(DetailScreen(f"{note.view.format} · {note.view.pattern}", note_text(note)))

    @on(Tree.NodeHighlighted, "#group-tree")
    def _record_highlighted(self, event: Tree.NodeHighlighted) -> None:
        self._pick_group(event.node)
        record = event.node.data
        if isinstance(record, GroupNote):  # the whole reason, wrapped, where a record's text would show
            self.query_one("#record-text", Static).update(note_text(record))
            return
        if record is None or not hasattr(record, "text"):
            return
        self.query_one("#record-text", Static).update(record_text(record))

    def _pick_group(self, node: TreeNode | None) -> None:
        """The detected group the user moved to (its node or a record in it) is what Schema starts from."""
        if not self.query_one("#group-tree", Tree).has_focus:
            return  # the tree's own cursor placement while filling it is no choice
        while node is not None and not isinstance(node.data, GroupView):
            node = node.parent
        view = node.data if node is not None else None
        detection = view.detection if isinstance(view, GroupView) else None
        if detection is not None and detection is not self.session.detection:
            self.post_message(SessionUpdate(detection=detection))

    def next_step(self) -> str:
        s = self.session
        mappable = next((d.managed_schema for d in s.detections if mapping_hint(d).startswith("maps ")), None)
        return browse_next(source=s.source is not None, sampling=self._cancel is not None,
                           records=len(s.sample.records) if s.sample is not None else None, mappable=mappable,
                           schema=s.schema is not None)

    # -- mapping a detected prefix to its managed log type ---------------------------------------------------
    def _chosen_view(self) -> GroupView | None:
        """The group under the cursor (or the group of the record under it), else the first mappable one."""
        node = self.query_one("#group-tree", Tree).cursor_node
        while node is not None and not isinstance(node.data, GroupView):
            node = node.parent
        view = node.data if node is not None else None
        if isinstance(view, GroupView) and mapping_hint(view.detection):
            return view
        views = group_views(self.session.sample, self.session.detections) if self.session.sample else []
        return next((v for v in views if mapping_hint(v.detection)), None)

    def action_map_prefix(self) -> None:
        config_path = self.session.config.path
        if config_path is None:
            safe.notify(self.app, "This session has no config file to write the mapping to.", severity="warning")
            return
        from workbench.prefix_mapping import literal_prefix

        view = self._chosen_view()
        detection = view.detection if view is not None else None
        log_type = detection.managed_schema if detection is not None else None
        if detection is None or not log_type:
            safe.notify(self.app, "No group of this sample is a managed log type this tool can load.", severity="warning")
            return
        self.map_prefix(literal_prefix(detection.pattern), log_type, config_path)

    def on_browse_screen_mapped(self, message: Mapped) -> None:
        self.post_message(SessionUpdate(config=message.config, source=message.source, detections=message.detections))
        safe.notify(self.app, message.change.describe())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "sample" and event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.query_one("#sample-progress", ProgressBar).add_class("-hidden")
            self._cancel = None
            self._status()
            self.show_next()

    # -- workers ---------------------------------------------------------------------------------------------
    @work(thread=True, group="sample", exclusive=True, exit_on_error=False, description="Sample")
    def run_sample(self, prefix: str, since: datetime | None, until: datetime | None, limit: int,
                   cancel: threading.Event) -> None:
        from workbench.source.sampling import sample

        source = self.session.require_source()
        result = sample(self.session.aws(), source, prefix=prefix or None, since=since, until=until,
                        limit=limit, progress=lambda d, t: self.post_message(self.SampleProgress(d, t)), cancel=cancel)
        detections = _detect(result, self.session.config, source)
        self.post_message(self.SampleDone(prefix, result, detections, group_views(result, detections)))

    @work(thread=True, group="browse-map", exclusive=True, exit_on_error=False, description="Map prefix")
    def map_prefix(self, prefix: str, log_type: str, config_path: Path) -> None:
        from dataclasses import replace

        from workbench.config import load_config
        from workbench.prefix_mapping import apply_mapping

        config, source = self.session.config, self.session.require_source()
        change = apply_mapping(config_path, source.name, prefix, log_type)
        # only the prefixes come from the file again: flags and environment given at start-up still apply
        fresh = load_config(config_path).source(source.name)
        source = replace(source, prefixes=fresh.prefixes)
        config = replace(config, sources={**config.sources, source.name: source})
        detections = _detect(self.session.sample, config, source) if self.session.sample is not None else []
        self.post_message(self.Mapped(change, source, config, detections))


def _detect(result: SampleResult, config: Config, source: Source) -> list[Detection]:
    """Detect a sample's groups, suggesting only the managed schemas the config's schema directories load."""
    from workbench.schema import loadable_log_types
    from workbench.source.formats import detect_groups

    return detect_groups(result, source=source, available=loadable_log_types(config.schema_dirs))

