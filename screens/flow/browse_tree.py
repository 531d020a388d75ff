"""The left half of the Browse & sample screen: the bucket's prefix tree (listed one level at a time, date
partitions folded into one range node) and the objects under the highlighted prefix, each listing in a named
thread worker. `BrowseScreen` (screens/flow/browse.py) builds on it with the sample; this class also reads
the time window (Since / Until), which filters both the object list and the sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message
from textual.widgets import DataTable, Input, Tree
from textual.worker import get_current_worker

from screens.flow.base import WorkbenchScreen
from screens.presenters.browse_view import date_fold_label, folder_label
from screens.shell import safe
from workbench.errors import WorkbenchError
from workbench.files import human_size

if TYPE_CHECKING:
    from textual.widgets.tree import TreeNode

    from workbench.model import ObjectRef
    from workbench.source.prefixes import Children, Folder

FOLD_DATES = 6  # more date folders than this at one level are folded into one "date range" node
MAX_OBJECT_ROWS = 300


class BrowseTreeScreen(WorkbenchScreen):
    @dataclass(eq=False)
    class Children(Message):
        node: TreeNode
        children: Children

    @dataclass(eq=False)
    class Objects(Message):
        prefix: str
        refs: list[ObjectRef]
        more: bool

    def __init__(self) -> None:
        super().__init__()
        self._prefix = ""  # the highlighted prefix: its objects are listed, `s` samples it

    def _status(self) -> None:
        """Show the highlighted prefix in the status line."""
        raise NotImplementedError("BrowseScreen has the status line")

    # -- tree ------------------------------------------------------------------------------------------------
    def _reset_tree(self) -> None:
        tree = self.query_one("#prefix-tree", Tree)
        tree.clear()
        source = self.session.source
        if source is None:
            tree.root.set_label(safe.cell("no source selected"))
            return
        tree.root.set_label(safe.cell(f"s3://{source.bucket}/", "bold"))
        tree.root.data = {"prefix": "", "loaded": False}
        self._prefix = self.session.prefix or ""
        tree.root.expand()
        self._load_node(tree.root)
        tree.focus()

    def _load_node(self, node: TreeNode[dict]) -> None:
        data = node.data or {}
        if data.get("loaded") or "folders" in data:
            return
        data["loaded"] = True
        node.set_label(safe.join(node.label, ("  listing…", "dim")))
        self.list_children(node, data["prefix"])

    @on(Tree.NodeExpanded, "#prefix-tree")
    def _expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data or {}
        if "folders" in data and not data.get("added"):
            data["added"] = True
            for folder in data["folders"]:
                self._add_folder(event.node, folder)
        else:
            self._load_node(event.node)

    @on(Tree.NodeHighlighted, "#prefix-tree")
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data or {}
        prefix = data.get("prefix")
        if prefix is None or (prefix == self._prefix and self.query_one("#object-table", DataTable).row_count):
            return
        self._prefix = prefix
        self._status()
        self.list_objects(prefix, self._window(quiet=True))

    def _add_folder(self, parent: TreeNode[dict], folder: Folder) -> None:
        parent.add(folder_label(folder), data={"prefix": folder.prefix, "loaded": False})

    def on_browse_tree_screen_children(self, message: Children) -> None:
        tree = self.query_one("#prefix-tree", Tree)
        node = message.node
        if node.tree is not tree or (node is not tree.root and node.parent is None):
            return
        c = message.children
        label = str(node.label).removesuffix("  listing…")  # str() of a Text label is its plain text
        node.set_label(safe.join((label, "bold" if node is tree.root else "")))
        dates = c.date_folders
        others = [f for f in c.folders if f.kind is None]
        for folder in others:
            self._add_folder(node, folder)
        if len(dates) > FOLD_DATES:
            node.add(date_fold_label(dates), data={"prefix": c.prefix, "folders": dates})
        else:
            for folder in dates:
                self._add_folder(node, folder)
        if c.objects:
            node.add_leaf(safe.join((f"{len(c.objects)}{'+' if c.truncated else ''} objects here", "dim")),
                          data={"prefix": c.prefix})
        if not c.folders and not c.objects:
            node.add_leaf(safe.join(("(empty)", "dim")))

    def action_expand(self) -> None:
        tree = self.focused
        if isinstance(tree, Tree) and tree.cursor_node is not None and tree.cursor_node.allow_expand:
            tree.cursor_node.expand()

    def action_collapse(self) -> None:
        tree = self.focused
        if isinstance(tree, Tree) and tree.cursor_node is not None:
            node = tree.cursor_node
            if node.is_expanded and node.allow_expand:
                node.collapse()
            elif (node.parent is not None and node.parent is not tree.root) or tree.show_root:
                tree.action_cursor_parent()

    # -- objects ---------------------------------------------------------------------------------------------
    def on_browse_tree_screen_objects(self, message: Objects) -> None:
        if message.prefix != self._prefix:
            return
        from workbench.source.partitions import object_time

        table = self.query_one("#object-table", DataTable)
        table.clear()
        for ref in message.refs:
            t = object_time(ref.key, ref.last_modified)
            table.add_row(safe.cell(ref.key[len(message.prefix):] or ref.key), safe.cell(human_size(max(ref.size, 0))),
                          safe.cell(t.strftime("%Y-%m-%d %H:%M") if t else "?"))
        more = "+" if message.more else ""
        table.border_title = safe.content(f"Objects under {message.prefix or '/'}: {len(message.refs)}{more}")

    def _window(self, quiet: bool = False) -> tuple[datetime | None, datetime | None]:
        """The Since / Until inputs as times (None, None after a warning when `quiet` and they do not parse)."""
        from workbench.source.window import parse_time

        try:
            since = parse_time(self.query_one("#since", Input).value.strip() or None)
            until = parse_time(self.query_one("#until", Input).value.strip() or None)
        except WorkbenchError as e:
            if not quiet:
                raise
            safe.notify(self.app, e, severity="warning")
            return None, None
        return since, until

    # -- workers ---------------------------------------------------------------------------------------------
    @work(thread=True, group="browse-tree", exclusive=False, exit_on_error=False, description="List prefix")
    def list_children(self, node: TreeNode[dict], prefix: str) -> None:
        from workbench.source.prefixes import list_children

        self.post_message(self.Children(node, list_children(self.session.aws(), self.session.require_source(), prefix)))

    @work(thread=True, group="browse-objects", exclusive=True, exit_on_error=False, description="List objects")
    def list_objects(self, prefix: str, window: tuple[datetime | None, datetime | None]) -> None:
        from workbench.source.s3 import list_objects

        worker = get_current_worker()
        since, until = window
        refs: list[ObjectRef] = []
        more = False
        for ref in list_objects(self.session.aws(), self.session.require_source(), prefix=prefix, since=since, until=until):
            if worker.is_cancelled:
                return
            if len(refs) >= MAX_OBJECT_ROWS:
                more = True
                break
            refs.append(ref)
        self.post_message(self.Objects(prefix, refs, more))
