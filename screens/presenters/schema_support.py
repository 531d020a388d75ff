"""UI glue for the Schema screen (no widgets, no Textual): which sample records a schema is inferred from,
the schema's default name and file, what a save would do (new file, overwrite with a diff, fields to add), the
watch on the file behind the editor, and where each field sits in the YAML text (so the field panel and the
editor can follow each other).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.config import Source
    from workbench.infer import InferenceResult
    from workbench.schema import Schema

_SCHEMA_LINE = re.compile(r"^schema:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)
_NAME_ITEM = re.compile(r"^(\s*)-\s+name:\s*['\"]?([^'\"#]*?)['\"]?\s*(?:#.*)?$")
_KEY_LINE = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z]+):(.*)$")
_DATE_PART = re.compile(r"^(\d{4}([-/]?\d{2}){0,2}|[a-z]+=.*|\d+)$")


def _where(detection: Any) -> str:
    from workbench.prefix_mapping import literal_prefix

    return literal_prefix(detection.pattern) or "the bucket root"


@dataclass(slots=True)
class RecordGroup:
    """Sample records that one schema should describe: one configured log type, one detected format, or the
    whole sample; and what the editor starts from: inference, a saved schema, or Panther's managed schema of
    the detected format."""

    name: str  # the schema name proposed for them
    records: list = field(default_factory=list)
    configured: bool = False  # the name comes from the source's prefix -> log type mapping
    saved: Path | None = None  # open this saved schema instead of inferring one
    managed: Path | None = None  # start from this managed schema's file (renamed `name`) instead of inferring
    detection: Any = None  # the `workbench.source.formats.Detection` these records are, when detection says

    @property
    def label(self) -> str:
        if self.saved is not None:
            return f"{self.name} · open the saved {self.saved.name}"
        if self.managed is not None:
            return (f"{self.name} · start from Panther's {self.managed.stem} schema ({len(self.records):,} "
                    f"{self.detection.format} records in {_where(self.detection)})")
        if self.detection is not None and not self.configured:
            return (f"{self.name} · infer from {len(self.records):,} {self.detection.format} records in "
                    f"{_where(self.detection)}")
        how = "" if self.configured else " (name from the prefix)"
        return f"{self.name} · infer from {len(self.records):,} records{how}"

    @property
    def opens_file(self) -> Path | None:
        """The schema file whose text the editor starts from (None: the inferred schema)."""
        return self.saved or self.managed


def with_saved(groups: list[RecordGroup], schema_dirs) -> list[RecordGroup]:
    """Each group, followed by a twin that opens the saved schema of the same name when there is one."""
    out = []
    for g in groups:
        out.append(g)
        try:
            path, exists = schema_file(schema_dirs, g.name)
        except WorkbenchError:
            continue
        if exists:
            out.append(RecordGroup(g.name, g.records, g.configured, path))
    return out


def name_from_prefix(prefix: str) -> str:
    """`Panoptica/auth/` → `Custom.Panoptica.Auth`: a valid Panther custom schema name from a key prefix."""
    parts = []
    for segment in prefix.strip("/").split("/"):
        if not segment or _DATE_PART.match(segment):
            continue
        words = re.split(r"[^A-Za-z0-9]+", segment)
        word = "".join(w[:1].upper() + w[1:] for w in words if w)
        if word and word[0].isdigit():
            word = "X" + word
        if word:
            parts.append(word)
    return "Custom." + ".".join(parts or ["Logs"])


def record_groups(records: list, source: Source | None, prefix: str | None) -> list[RecordGroup]:
    """The sample split by configured log type (largest first), plus the whole sample when it is mixed."""
    by_type: dict[str, RecordGroup] = {}
    unmapped: list = []
    for r in records:
        types = source.log_types_for(r.key) if source is not None else ()
        if len(types) == 1:
            by_type.setdefault(types[0], RecordGroup(types[0], configured=True)).records.append(r)
        else:
            unmapped.append(r)
    groups = sorted(by_type.values(), key=lambda g: -len(g.records))
    if unmapped:
        groups.append(RecordGroup(name_from_prefix(prefix or ""), unmapped))
    if len(groups) > 1:
        groups.append(RecordGroup(name_from_prefix(prefix or "") + ("All" if unmapped else ""), list(records)))
    return groups


def detection_records(records: list, detection: Any, detections: list) -> list:
    """The sample records a detection describes: those of its key pattern, and of its format when the pattern
    holds several (a mixed prefix, or JSON shapes told apart by a discriminator field)."""
    from workbench.source.partitions import key_pattern

    mine = [r for r in records if key_pattern(r.key) == detection.pattern]
    if sum(1 for d in detections if d.pattern == detection.pattern) < 2:
        return mine
    from workbench.source.formats import label_records

    mine = [r for r, label in zip(mine, label_records(mine), strict=True) if label == detection.format_id]
    if detection.discriminator:
        import orjson

        (key, value), = detection.discriminator.items()

        def shape(r) -> str:
            try:
                v = orjson.loads(r.text)
            except orjson.JSONDecodeError:
                return "(missing)"
            got = v.get(key) if isinstance(v, dict) else None
            return got if isinstance(got, str) else "(missing)"

        mine = [r for r in mine if shape(r) == value]
    return mine


def start_name(log_type: str) -> str:
    """The name the editor gives a start from managed schema `log_type`: `Custom.<log_type>` (Panther wants
    custom types named Custom.…) when the schema file is the whole parser; the managed name itself when
    Panther's parser for it also runs code (workbench.parse.managed: a reshaping or indicator step), since a
    renamed copy would parse without it and tell the user less than the truth about the managed type."""
    from workbench.parse.managed import managed_steps

    if log_type.startswith("Custom.") or managed_steps(log_type) is not None:
        return log_type
    return f"Custom.{log_type}"


def managed_schema_file(schema_dirs, log_type: str) -> Path | None:
    """The file of managed schema `log_type`: the config's schema directories first, else the shipped one."""
    from workbench.source.signatures import SHIPPED_SCHEMAS

    try:
        path, exists = schema_file(schema_dirs, log_type)
    except WorkbenchError:
        exists = False
    if exists:
        return path
    shipped = SHIPPED_SCHEMAS / f"{log_type}.yml"
    return shipped if shipped.is_file() else None


def with_detected(groups: list[RecordGroup], records: list, detections: list, schema_dirs) -> list[RecordGroup]:
    """`groups` (from `record_groups`) with what format detection adds before the whole-sample group: each
    detection's records as a group of their own (unless a group already holds exactly them: that group is
    marked as the detection's), and for a detected format with a managed schema, a start from that schema."""
    whole = groups[-1:] if len(groups) > 1 else []  # record_groups ends with the whole sample when it is mixed
    out = groups[:len(groups) - len(whole)]
    managed: list[RecordGroup] = []
    for d in detections:
        mine = detection_records(records, d, detections)
        if not mine:
            continue
        ids = {id(r) for r in mine}
        same = next((g for g in out if len(g.records) == len(ids) and all(id(r) in ids for r in g.records)), None)
        if same is not None:
            same.detection = same.detection or d
        else:
            shared = sum(1 for other in detections if other.pattern == d.pattern) > 1
            name = d.log_types[0] if len(d.log_types) == 1 else _detected_name(d, shared)
            out.append(RecordGroup(name, mine, configured=len(d.log_types) == 1, detection=d))
        path = managed_schema_file(schema_dirs, d.managed_schema) if d.managed_schema else None
        if path is not None:
            managed.append(RecordGroup(start_name(d.managed_schema), mine, managed=path, detection=d))
    return out + managed + whole


def _detected_name(detection: Any, shared: bool) -> str:
    """`Custom.<Prefix>`, told apart from the other formats of a mixed prefix by the format or the JSON shape."""
    from workbench.prefix_mapping import literal_prefix

    name = name_from_prefix(literal_prefix(detection.pattern))
    words = list((detection.discriminator or {}).values()) or ([detection.format_id] if shared else [])
    for value in words:
        word = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", str(value)) if w)
        if word and not word[0].isdigit():
            name += "." + word
    return name


def group_for(groups: list[RecordGroup], detection: Any) -> int | None:
    """Index of the group that infers from `detection`'s records (not a saved file or a managed start)."""
    if detection is None:
        return None
    return next((i for i, g in enumerate(groups) if g.detection is detection and g.opens_file is None), None)


def starting_point(group: RecordGroup) -> tuple[InferenceResult | None, str]:
    """(inference over the group's records, the text the editor starts with): the inferred schema, or the
    saved file, or the managed schema renamed to the group's name. A file still opens when inference fails
    (its fields just have no statistics). Raises WorkbenchError when there is nothing to show."""
    from workbench.infer import custom_name_for, infer_schema
    from workbench.schema import dump_schema

    opens = group.opens_file
    try:
        # inferred from records, a managed type's schema is a custom one (the managed steps are not its)
        result = infer_schema(group.records, name=group.name if opens is not None else custom_name_for(group.name))
    except WorkbenchError:
        if opens is None:
            raise
        result = None
    if opens is None:
        assert result is not None  # inference failing without a file to open raised above
        return result, dump_schema(result.schema)
    try:
        text = opens.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise WorkbenchError(f"Cannot read {opens}: {e.__class__.__name__}.") from None
    return result, (rename_schema(text, group.name) if group.managed is not None else text)


def rename_schema(text: str, name: str) -> str:
    """`text` with its `schema:` line naming `name` (the first line when it has none)."""
    line = f"schema: {name}"
    new, n = re.subn(r"^schema:.*$", line, text, count=1, flags=re.MULTILINE)
    return new if n else f"{line}\n{text}"


def schema_file(schema_dirs, name: str) -> tuple[Path, bool]:
    """(file to save schema `name` in, whether it exists): the file already declaring that name, else a new one
    in the first schema directory."""
    dirs = [Path(d) for d in schema_dirs or ()]
    if not dirs:
        raise WorkbenchError("The config names no schema directory (`schemas:`); add one to save schemas.")
    for d in dirs:
        if not d.is_dir():
            continue
        for p in sorted(d.rglob("*")):
            if p.suffix not in (".yml", ".yaml") or p.stem.endswith("_tests") or not p.is_file():
                continue
            try:
                m = _SCHEMA_LINE.search(p.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
            if (m and m.group(1) == name) or (not m and p.stem == name):
                return p, True
    path = dirs[0] / f"{name}.yml"
    return path, path.exists()


def schema_tests_file(schema_path: Path) -> Path:
    """Where a schema's tests live: `<schema file stem>_tests.yml` beside it (never read as a schema)."""
    return schema_path.with_name(schema_path.stem + "_tests.yml")


def diff_against_file(path: Path, text: str) -> list[str]:
    """Unified diff lines from the file on disk to `text` (empty when equal or the file is new)."""
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return list(difflib.unified_diff(old.splitlines(), text.splitlines(), f"{path.name} (saved)",
                                     f"{path.name} (editor)", lineterm="", n=2))


@dataclass(frozen=True, slots=True)
class SavePlan:
    """What saving the editor's text would do."""

    path: Path  # the file the schema goes to
    exists: bool  # a file already declares this schema
    diff: list[str]  # unified diff from that file to the text (empty when the file is new or holds this text)
    added: list[str]  # top-level fields the saved schema lacks (empty when the saved file is not a valid schema)


def plan_save(schema_dirs, text: str, schema: Schema) -> SavePlan:
    """Where `text` (which declares `schema`) would be saved and how it differs from what is there.

    Raises WorkbenchError when the text names no usable schema or the config has no schema directory."""
    from workbench.schema import load_schema
    from workbench.schema.merge import new_fields

    path, exists = schema_file(schema_dirs, load_schema(text).name or "")
    if not exists:
        return SavePlan(path, False, [], [])
    diff = diff_against_file(path, text)
    if not diff:
        return SavePlan(path, True, [], [])
    try:
        added = new_fields(load_schema(path.read_text(encoding="utf-8")), schema)
    except (OSError, UnicodeDecodeError, WorkbenchError):
        added = []  # the saved file is not a valid schema: overwrite or keep, nothing to merge into
    return SavePlan(path, True, diff, added)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


class FileWatch:
    """The file behind the editor and its modification time when last seen, to notice changes made elsewhere
    (Live's drift patch, another editor). Polled: a timer calls `poll()`."""

    __slots__ = ("_path", "_seen")

    def __init__(self) -> None:
        self._path: Path | None = None
        self._seen: int | None = None

    def watch(self, path: Path | None) -> None:
        """Watch `path` from its state now (None: watch nothing)."""
        self._path, self._seen = path, (_mtime(path) if path is not None else None)

    @property
    def path(self) -> Path | None:
        return self._path

    def poll(self) -> str | None:
        """"changed" or "deleted" once per change seen since the last poll, else None."""
        if self._path is None:
            return None
        now = _mtime(self._path)
        if now == self._seen:
            return None
        self._seen = now
        return "deleted" if now is None else "changed"


def field_lines(text: str) -> list[tuple[int, str, int | None]]:
    """(1-based line of `- name:`, dotted field path, 1-based line of its `type:` or None), in text order.

    A light indentation scan rather than a YAML parse, so it keeps working while the text is being edited
    and is not valid YAML. Array element fields get `[]` after the array's name, as `walk_fields` names them.
    """
    out: list[tuple[int, str, int | None]] = []
    stack: list[list] = []  # [indent of "- name", full path, indent of its `element:` key or None]
    for i, line in enumerate(text.splitlines(), start=1):
        m = _NAME_ITEM.match(line)
        if m:
            indent = len(m.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            name = m.group(2)
            if stack:
                _indent, parent, element_indent = stack[-1]
                inside_element = element_indent is not None and element_indent < indent
                path = f"{parent}{'[]' if inside_element else ''}.{name}"
            else:
                path = name
            stack.append([indent, path, None])
            out.append((i, path, None))
            continue
        k = _KEY_LINE.match(line)
        if not k or not stack:
            continue
        indent, key = len(k.group(1)), k.group(2)
        if indent <= stack[-1][0]:
            continue
        if key == "element":
            stack[-1][2] = indent
        elif key == "type" and out and out[-1][1] == stack[-1][1] and out[-1][2] is None:
            out[-1] = (out[-1][0], out[-1][1], i)
    return out


def path_at_line(text: str, line: int) -> str | None:
    """The field whose block holds 1-based `line` (the nearest `- name:` at or above it)."""
    best = None
    for n, path, _t in field_lines(text):
        if n > line:
            break
        best = path
    return best


def set_field_type(text: str, path: str, new_type: str) -> tuple[str, int] | None:
    """`text` with the `type:` of field `path` replaced by `new_type`, and the 1-based line changed."""
    for _n, p, t in field_lines(text):
        if p == path and t is not None:
            lines = text.split("\n")
            lines[t - 1] = re.sub(r"(type:\s*)[^#\s]+", lambda m: m.group(1) + new_type, lines[t - 1], count=1)
            return "\n".join(lines), t
    return None
