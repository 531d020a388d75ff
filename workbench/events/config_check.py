"""The source's prefix → log type mapping checked up front: one finding per prefix, never one per line.

`check_mapping` needs no AWS: a prefix mapped to a log type that has no schema (with the close match when it
is a typo), overlapping prefixes, a source with no prefixes. `unmapped_prefixes` groups listed keys that no
mapped prefix covers by their top folder, so "18,171 unreadable lines" becomes one line naming the folder
and the mapping to add. `sources check`, `parse`, `rules run`, `tail`, `replay` and the Sources screen
print the same findings.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.config import Config, Source
from workbench.errors import WorkbenchError
from workbench.wording import plural


@dataclass(frozen=True, slots=True)
class MappingProblem:
    kind: str  # no_schema | overlap | unmapped | no_prefixes
    prefix: str
    message: str
    suggestion: str = ""

    def line(self) -> str:
        return f"{self.message}" + (f"; {self.suggestion}" if self.suggestion else "")

    def to_json(self) -> dict:
        return {"kind": self.kind, "prefix": self.prefix, "message": self.message, "suggestion": self.suggestion}


def available_log_types(config: Config) -> set[str]:
    from workbench.schema import load_schema_dir

    return set(load_schema_dir(config.schema_dirs)) if config.schema_dirs else set()


def check_mapping(config: Config, source: Source, available: Iterable[str] | None = None) -> list[MappingProblem]:
    """Problems of `source.prefixes` alone (no listing): missing schemas and overlapping prefixes."""
    names = set(available) if available is not None else available_log_types(config)
    out: list[MappingProblem] = []
    if not source.prefixes:
        out.append(MappingProblem("no_prefixes", "", f"source {source.name!r} maps no prefix to a log type",
                                  "add `prefixes: {PREFIX/: LogType}` to the source"))
    dirs = ", ".join(str(d) for d in config.schema_dirs) or "no schema directory is configured"
    for m in source.prefixes:
        for t in m.log_types:
            if t in names:
                continue
            close = difflib.get_close_matches(t, sorted(names), n=1, cutoff=0.6)
            if close:
                hint = f"did you mean {close[0]}?"
            else:
                hint = f"write one (`workbench infer --prefix {m.prefix or '…'} --name {t}`) into {dirs}"
            out.append(MappingProblem("no_schema", m.prefix, f"prefix {m.prefix!r} is mapped to {t}, which has no schema",
                                      hint))
    prefixes = sorted(m.prefix for m in source.prefixes)
    for outer in prefixes:
        for inner in prefixes:
            if inner != outer and inner.startswith(outer):
                out.append(MappingProblem(
                    "overlap", inner, f"prefix {inner!r} lies inside prefix {outer!r}",
                    f"keys under it use only its log types ({', '.join(source.log_types_for(inner)) or 'none'}), "
                    f"not {outer!r}'s; remove one if that is not meant"))
    return out


def mapped_prefix(source: Source, key: str) -> str | None:
    """The longest mapped prefix `key` starts with (the one whose log types apply), or None."""
    best = None
    for m in source.prefixes:
        if key.startswith(m.prefix) and (best is None or len(m.prefix) > len(best)):
            best = m.prefix
    return best


def top_folder(key: str) -> str:
    head, sep, _ = key.partition("/")
    return head + sep if sep else key


def unmapped_prefixes(source: Source, keys: Iterable[str]) -> dict[str, int]:
    """Keys no mapped prefix covers, counted by their top folder."""
    counts: Counter[str] = Counter()
    for k in keys:
        if not source.log_types_for(k):
            counts[top_folder(k)] += 1
    return dict(counts)


def unmapped_problems(counts: dict[str, int]) -> list[MappingProblem]:
    return [MappingProblem("unmapped", p, f"{plural(n, 'object')} under {p!r} match no mapped prefix "
                           "and were not parsed", f"map it: `prefixes: {{{p}: LogType}}` (`workbench detect "
                           f"--prefix {p}` suggests the log type, `--apply` maps it)")
            for p, n in sorted(counts.items())]


def unusable_log_types(source: Source, available: set[str]) -> dict[str, str]:
    """prefix -> why its objects cannot be parsed (mapped to a log type without a schema)."""
    out = {}
    for m in source.prefixes:
        missing = [t for t in m.log_types if t not in available]
        if missing:
            out[m.prefix] = f"no schema named {', '.join(missing)}"
    return out


def unmapped_folders(aws, source: Source, *, max_calls: int = 50) -> dict[str, int]:
    """Folders (and root keys) of the bucket that no mapped prefix covers, with the objects seen directly
    in them (a lower bound: each listing stops at one page). Walks down only where a mapped prefix lies
    deeper, so a bucket with one mapped top folder costs one or two calls."""
    from workbench.source.prefixes import list_children

    mapped = [m.prefix for m in source.prefixes]
    if not mapped or "" in mapped:
        return {}
    out: dict[str, int] = {}
    todo, calls = [""], 0
    while todo and calls < max_calls:
        folder = todo.pop(0)
        calls += 1
        children = list_children(aws, source, folder)
        loose = [o for o in children.objects if not source.log_types_for(o.key)]
        if loose:
            out[folder or "(bucket root)"] = len(loose)
        for f in children.folders:
            if any(f.prefix.startswith(p) for p in mapped):
                continue  # covered
            if any(p.startswith(f.prefix) for p in mapped):
                todo.append(f.prefix)  # a mapped prefix lies deeper: look inside
            else:
                out[f.prefix] = out.get(f.prefix, 0) or -1  # -1: objects not counted, the folder is enough
    return out


def mapping_checks(config: Config, source: Source, aws=None) -> list:
    """The mapping findings as checklist lines (`CheckResult`): a log type without a schema fails; overlapping
    prefixes and unmapped folders are reported (ok None) with what to do."""
    from workbench.source.checks import CheckResult

    results = []
    try:
        problems = check_mapping(config, source)
    except WorkbenchError as e:  # a missing schema directory or a bad schema file: the finding, not a crash
        problems = []
        results.append(CheckResult("prefix mapping", False, f"schemas not loaded: {e}",
                                   "fix `schemas:` in the config or the file named"))
    for p in problems:
        ok = None if p.kind == "overlap" else False
        results.append(CheckResult("prefix mapping", ok, p.message, p.suggestion))
    if aws is not None:
        try:
            folders = unmapped_folders(aws, source)
        except Exception as e:  # a listing failure is already the "list" check's finding
            folders = {}
            results.append(CheckResult("unmapped objects", None, f"not checked: {e}"))
        for folder, n in sorted(folders.items()):
            what = f"{plural(n, 'object')} directly under" if n > 0 else "objects under"
            results.append(CheckResult("unmapped objects", None, f"{what} {folder!r} match no mapped prefix and are "
                                       "not parsed", f"map it in `prefixes:` if it holds logs (`workbench detect "
                                       f"--prefix {folder if folder != '(bucket root)' else ''}` suggests the log type, "
                                       "`--apply` maps it)"))
    if not results:
        results.append(CheckResult("prefix mapping", True, f"{len(source.prefixes)} prefix(es), each mapped to log types "
                                   "with a schema, none inside another"))
    return results
