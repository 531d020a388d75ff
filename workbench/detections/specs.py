"""Read a content directory in the panther-analysis layout into validated specs.

Rules and scheduled rules are run; global helpers and data models support them; correlation rules,
policies and Simple Detections are listed as skipped with the reason. A file that fails validation is
reported on its own (`InvalidSpec`) and never stops the others from loading. Validation follows the
strictness of Panther's CLI: unknown keys and wrong types are errors (spec_validate.py); the files are
found by spec_walk.py and the specs are the dataclasses of spec_types.py.
"""


from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from workbench.detections.spec_cache import YamlCache
from workbench.detections.spec_types import Content, DataModelSpec, InvalidSpec, SkippedSpec
from workbench.detections.spec_validate import RULE_KEYS, SpecError, _check_keys, _data_model, _global, _rule
from workbench.detections.spec_walk import _Listings, _walk_yaml, support_dirs
from workbench.detections.yaml_error import YamlError

RUN_TYPES = ("rule", "scheduled_rule")
SKIP_REASONS = {
    "correlation_rule": "correlation rules are evaluated by Panther's backend, not locally",
    "policy": "policies evaluate cloud resources, not log events; not run by this workbench",
}
IGNORED_TYPES = {"scheduled_query", "saved_query", "lookup_table", "pack", "derived"}


def load_content(root: str | os.PathLike, *, cwd: Path | None = None,
                 defer_cache_write: list[Callable[[], None]] | None = None,
                 on_data_model: Callable[[DataModelSpec], None] | None = None) -> Content:
    """Load rules, data models and helpers from `root` (a directory or one YAML file).

    `defer_cache_write`: a list to append the parse cache's write to instead of writing it here (the
    caller runs it when it would otherwise wait, e.g. on the rule workers importing the rules).
    `on_data_model(spec)`: called for each data model as soon as it is read (they come first in the walk)."""
    root = Path(root).resolve()
    content = Content(root=root)
    if not root.exists():
        content.invalid.append(InvalidSpec(root, f"{root} does not exist"))
        return content
    files: list[tuple[Path, bool]] = []  # (file, only a support file: outside the content path)
    seen: set[str] = set()  # real paths as text: hashing a Path costs several times more
    inside = root if root.is_dir() else root.parent
    listings: dict[str, dict[str, os.DirEntry]] = {}
    for f, link in _walk_yaml(root, listings):
        real = f.resolve() if link else f  # os.walk-style walks never enter symlinked folders
        files.append((f, not real.is_relative_to(inside)) if real is not f else (f, False))
        seen.add(str(real))
    for d in support_dirs(root, cwd):
        if d.is_relative_to(inside) and root.is_dir():
            continue  # already walked
        for f, link in _walk_yaml(d, listings):
            real = f.resolve() if link else f
            if str(real) not in seen:
                files.append((f, not real.is_relative_to(inside)))
                seen.add(str(real))
    beside = _Listings(listings)
    rule_ids: dict[str, Path] = {}
    cache = YamlCache(root, len(files))
    try:
        cache.prefetch([f for f, _support in files])
        models = 0
        for f, support_only in files:
            _load_one(f, content, rule_ids, cache, support_only=support_only, files=beside)
            if on_data_model is not None and len(content.data_models) > models:
                for dm in content.data_models[models:]:
                    on_data_model(dm)
                models = len(content.data_models)
        if defer_cache_write is None:
            cache.save()
        else:
            cache.finish()
            defer_cache_write.append(cache.write)
    finally:
        cache.close()
    _check_data_model_conflicts(content)
    return content


def _may_be_spec(path: Path) -> bool:
    """Whether a YAML file that failed to load could be a Panther spec: one without `AnalysisType` anywhere
    (a schema's multi-document test file next to the rules) is not reported as an invalid spec."""
    try:
        return b"AnalysisType" in path.read_bytes()
    except OSError:
        return True


def _load_one(path: Path, content: Content, rule_ids: dict[str, Path], cache: YamlCache, *,
              support_only: bool, files: _Listings | None = None) -> None:
    try:
        raw = cache.load(path)
    except (YamlError, OSError) as e:
        if not support_only and _may_be_spec(path):
            content.invalid.append(InvalidSpec(path, str(e)))
        return
    if not isinstance(raw, Mapping) or "AnalysisType" not in raw:
        return  # not a Panther spec (e.g. a pack list or an unrelated YAML file)
    kind = raw.get("AnalysisType")
    content.files.append(path)
    try:
        if kind in RUN_TYPES:
            if support_only:
                return
            if "Detection" in raw and "Filename" not in raw:
                _check_keys(raw, RULE_KEYS)
                content.skipped.append(SkippedSpec(path, str(raw.get("RuleID")),
                                                   "Simple Detection (YAML `Detection:`) needs Panther's API to evaluate"))
                return
            spec = _rule(raw, path, files)
            if spec.rule_id in rule_ids:
                raise SpecError(f"RuleID {spec.rule_id!r} is already used by {rule_ids[spec.rule_id]}")
            rule_ids[spec.rule_id] = path
            content.rules.append(spec)
            content.files.append(spec.py_path)
        elif kind == "datamodel":
            dm = _data_model(raw, path, files)
            content.data_models.append(dm)
            if dm.py_path:
                content.files.append(dm.py_path)
        elif kind == "global":
            g = _global(raw, path, files)
            if not any(x.global_id == g.global_id for x in content.globals):
                content.globals.append(g)
                content.files.append(g.py_path)
        elif kind in SKIP_REASONS:
            if not support_only:
                ident = raw.get("RuleID") or raw.get("PolicyID") or path.stem
                content.skipped.append(SkippedSpec(path, str(ident), SKIP_REASONS[kind]))
        elif kind in IGNORED_TYPES:
            return
        else:
            raise SpecError(f"unknown AnalysisType {kind!r}")
    except SpecError as e:
        if not support_only or kind in ("datamodel", "global"):
            rid = raw.get("RuleID") if isinstance(raw.get("RuleID"), str) else None
            content.invalid.append(InvalidSpec(path, f"{path}: {e}", rid))


def _check_data_model_conflicts(content: Content) -> None:
    owner: dict[str, DataModelSpec] = {}
    keep = []
    for dm in content.data_models:
        clash = next((owner[lt] for lt in dm.log_types if dm.enabled and lt in owner), None)
        if clash is not None:
            content.invalid.append(InvalidSpec(dm.path, f"{dm.path}: Conflicting Enabled LogType: data model "
                                                        f"{dm.model_id!r} and {clash.model_id!r} both cover "
                                                        f"{', '.join(sorted(set(dm.log_types) & set(clash.log_types)))}"))
            continue
        if dm.enabled:
            for lt in dm.log_types:
                owner[lt] = dm
        keep.append(dm)
    content.data_models = keep
