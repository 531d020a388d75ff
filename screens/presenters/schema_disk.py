"""A schema file changed on disk while the editor holds unsaved edits: what differs, and the merge.

No widgets: `disk_change` reads the file and says how it differs from the editor (a unified diff from the
editor's text to the file's, and the top-level fields the file has that the editor lacks); `merge_disk_fields`
keeps every byte of the editor's text and appends those fields in its own indentation (`workbench.schema.merge`),
which is what "merge" means here: the user's edits stay, the other writer's new fields (Live's drift patch,
another editor) are added."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError


@dataclass(frozen=True)
class DiskChange:
    path: Path
    disk_text: str
    diff: list[str]  # unified diff from the editor's text to the file's
    new_fields: list[str]  # top-level fields the file declares and the editor does not: what a merge adds
    merge_note: str = ""  # why there is nothing to merge (the editor's or the file's text is not a valid schema)


def disk_change(path: Path, editor_text: str) -> DiskChange:
    """Raises OSError / UnicodeDecodeError when the file cannot be read."""
    disk_text = path.read_text(encoding="utf-8")
    diff = list(difflib.unified_diff(editor_text.splitlines(), disk_text.splitlines(), f"{path.name} (your edits)",
                                     f"{path.name} (on disk)", lineterm="", n=2))
    from workbench.schema import load_schema
    from workbench.schema.merge import new_fields

    try:
        mine = load_schema(editor_text)
    except WorkbenchError:
        return DiskChange(path, disk_text, diff, [], "your edits are not a valid schema yet, so nothing can be merged")
    try:
        theirs = load_schema(disk_text)
    except WorkbenchError:
        return DiskChange(path, disk_text, diff, [], "the file on disk is not a valid schema, so nothing can be merged")
    added = new_fields(mine, theirs)
    return DiskChange(path, disk_text, diff, added, "" if added else "the file declares no field your edits lack")


def merge_disk_fields(editor_text: str, disk_text: str) -> tuple[str, list[str]]:
    """(the editor's text with the file's new top-level fields appended, their names). Raises WorkbenchError."""
    from workbench.schema import load_schema
    from workbench.schema.merge import add_new_fields

    return add_new_fields(editor_text, load_schema(disk_text))
