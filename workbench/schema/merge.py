"""Adding an inferred schema's new fields to a hand-written one without rewriting the rest of its text.

The saved file keeps every byte it had (comments, order, quoting, its own types and descriptions); only the
top-level fields it does not declare are appended to its `fields:` list, in the inferred schema's order and in
the file's own list indentation."""

from __future__ import annotations

import re

from workbench.errors import WorkbenchError
from workbench.schema.dump import dump_schema
from workbench.schema.load import load_schema
from workbench.schema.model import Schema

_TOP_KEY = re.compile(r"^[A-Za-z_]\w*\s*:")


def new_fields(saved: Schema, inferred: Schema) -> list[str]:
    """Names of the inferred schema's top-level fields that the saved schema lacks, in inferred order."""
    have = {f.name for f in saved.fields}
    return [f.name for f in inferred.fields if f.name not in have]


def add_new_fields(saved_text: str, inferred: Schema) -> tuple[str, list[str]]:
    """(`saved_text` with the new top-level fields of `inferred` appended to its `fields:` list, their names).

    Raises WorkbenchError when the saved text is not a valid schema or has no top-level `fields:` list."""
    saved = load_schema(saved_text)
    names = new_fields(saved, inferred)
    if not names:
        return saved_text, []
    wanted = set(names)
    block = dump_schema(Schema(inferred.name, tuple(f for f in inferred.fields if f.name in wanted)))
    items = block.split("fields:\n", 1)[1].splitlines()
    lines = saved_text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"^fields\s*:\s*(#.*)?$", line)), None)
    if start is None:
        raise WorkbenchError("The saved schema has no top-level `fields:` list to add to; edit it by hand.")
    end = start + 1
    indent = None
    while end < len(lines) and (not lines[end].strip() or not _TOP_KEY.match(lines[end])):
        if indent is None and lines[end].lstrip().startswith("- "):
            indent = lines[end][: len(lines[end]) - len(lines[end].lstrip())]
        end += 1
    while end > start + 1 and not lines[end - 1].strip():  # keep blank lines after the list where they were
        end -= 1
    pad = indent or ""
    out = lines[:end] + [pad + item if item else item for item in items] + lines[end:]
    text = "\n".join(out) + ("\n" if saved_text.endswith("\n") else "")
    load_schema(text)  # the result must still be a valid schema
    return text, names
