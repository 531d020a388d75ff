"""Source definitions and settings, layered YAML file < environment < flags. The one place settings are read.

A config file looks like this (the demo writes one; a user writes the same for real AWS)::

    schemas: [schemas]            # directories of Panther schema YAML, relative to this file
    rules: rules                  # a panther-analysis style content directory
    sources:
      prod-logs:
        bucket: acme-security-logs
        region: us-east-1
        profile: security         # optional: a named AWS profile
        credentials_file: creds   # optional: a shared-credentials file holding that profile
        role_arn: arn:aws:iam::123456789012:role/log-reader   # optional: assumed for every call
        external_id: abc123       # optional
        endpoint: http://127.0.0.1:4566                       # optional: an S3-compatible endpoint
        topic_arn: arn:aws:sns:us-east-1:123456789012:logs-notifications
        queue_url: https://sqs.us-east-1.amazonaws.com/123456789012/panther-queue
        prefixes:                 # prefix -> log type(s); the first schema that parses a line wins
          AWSLogs/: AWS.CloudTrail
          Panoptica/: [Custom.Panoptica.Auth, Custom.Panoptica.FileAccess]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import WorkbenchError

ENV_PREFIX = "WORKBENCH_"
# environment variables that override every source's value of the same key
ENV_OVERRIDES = {
    "region": "WORKBENCH_REGION",
    "profile": "WORKBENCH_PROFILE",
    "endpoint": "WORKBENCH_ENDPOINT_URL",
    "role_arn": "WORKBENCH_ROLE_ARN",
    "external_id": "WORKBENCH_EXTERNAL_ID",
}
SOURCE_KEYS = {
    "bucket", "region", "profile", "role_arn", "external_id", "endpoint", "topic_arn", "queue_url",
    "prefixes", "kms_key", "description", "stream", "credentials_file",
}
TOP_KEYS = {"sources", "schemas", "rules", "keymap", "theme", "live", "replay"}


@dataclass(frozen=True, slots=True)
class PrefixMapping:
    prefix: str
    log_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """Where one stream of logs lives and how to reach it."""

    name: str
    bucket: str
    region: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    endpoint: str | None = None
    topic_arn: str | None = None
    queue_url: str | None = None
    kms_key: str | None = None
    stream: str = "auto"
    credentials_file: str | None = None  # an AWS shared-credentials file for `profile` (the demo writes one)
    prefixes: tuple[PrefixMapping, ...] = ()

    def log_types_for(self, key: str) -> tuple[str, ...]:
        """Log types of the longest configured prefix that `key` starts with (empty if none)."""
        best: PrefixMapping | None = None
        for m in self.prefixes:
            if key.startswith(m.prefix) and (best is None or len(m.prefix) > len(best.prefix)):
                best = m
        return best.log_types if best else ()


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None
    sources: dict[str, Source]
    schema_dirs: tuple[Path, ...] = ()
    rules_dir: Path | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # sections owned by other modules (live, replay)

    def source(self, name: str | None) -> Source:
        """The named source, or the only one when `name` is None."""
        if name is None:
            if len(self.sources) == 1:
                return next(iter(self.sources.values()))
            names = ", ".join(self.sources) or "none"
            raise WorkbenchError(f"Choose a source with --source NAME (this config has: {names}).")
        try:
            return self.sources[name]
        except KeyError:
            names = ", ".join(self.sources) or "none"
            raise WorkbenchError(f"No source named {name!r} in {self.path or 'the config'} (it has: {names}).") from None


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping value, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = _LinedDict()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    return mapping


class _LinedDict(dict):
    __slots__ = ("lines",)

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.lines: dict[Any, int] = {}


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _where(path: Path | None, mapping: Mapping, key: str) -> str:
    line = getattr(mapping, "lines", {}).get(key)
    name = str(path) if path else "config"
    return f"{name}:{line}" if line else name


def _reject_unknown(raw: Mapping, allowed: Set[str], path: Path | None, name: Callable[[str], str]) -> None:
    """One sentence, at its line, for the first key of `raw` that is not `allowed` (named by `name(key)`)."""
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise WorkbenchError(f"{_where(path, raw, unknown[0])}: unknown {name(unknown[0])}; expected one of: "
                             + ", ".join(sorted(allowed)) + ".")


def _text(value: Any, path: Path | None, mapping: Mapping, key: str, dotted: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise WorkbenchError(f"{_where(path, mapping, key)}: `{dotted}` must be a string, got {type(value).__name__}.")


def _prefixes(raw: Any, path: Path | None, parent: Mapping, dotted: str) -> tuple[PrefixMapping, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise WorkbenchError(
            f"{_where(path, parent, 'prefixes')}: `{dotted}` must map a prefix to a log type or a list of log types."
        )
    out = []
    for prefix, types in raw.items():
        if isinstance(types, str):
            types = [types]
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise WorkbenchError(
                f"{_where(path, raw, prefix)}: `{dotted}.{prefix}` must be a log type name or a list of names."
            )
        out.append(PrefixMapping(str(prefix or ""), tuple(types)))
    return tuple(out)


def _source(name: str, raw: Any, path: Path | None, parent: Mapping) -> Source:
    dotted = f"sources.{name}"
    if not isinstance(raw, Mapping):
        raise WorkbenchError(f"{_where(path, parent, name)}: `{dotted}` must be a mapping with at least `bucket`.")
    _reject_unknown(raw, SOURCE_KEYS, path, lambda key: f"key `{dotted}.{key}`")
    bucket = raw.get("bucket")
    if not isinstance(bucket, str) or not bucket:
        raise WorkbenchError(f"{_where(path, parent, name)}: `{dotted}.bucket` is required (the S3 bucket name).")
    values = {k: _text(raw.get(k), path, raw, k, f"{dotted}.{k}") for k in SOURCE_KEYS - {"prefixes", "bucket", "description"}}
    values["stream"] = values["stream"] or "auto"
    if values["credentials_file"] and path is not None:
        values["credentials_file"] = str((path.parent / values["credentials_file"]).resolve())
    return Source(name=str(name), bucket=bucket, prefixes=_prefixes(raw.get("prefixes"), path, raw, f"{dotted}.prefixes"),
                  **values)  # type: ignore[arg-type]  # the optional keys are str | None on Source too


def parse_config(text: str, path: Path | None = None) -> Config:
    """Build a Config from YAML text; every problem is one WorkbenchError naming the key and line."""
    try:
        raw = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path or 'config'}:{mark.line + 1}:{mark.column + 1}" if mark else str(path or "config")
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise WorkbenchError(f"{where}: not valid YAML ({problem}).") from None
    if raw is None:
        raw = _LinedDict()
    if not isinstance(raw, Mapping):
        raise WorkbenchError(f"{path or 'config'}: the config must be a mapping with a top-level `sources:` key.")
    _reject_unknown(raw, TOP_KEYS, path, lambda key: f"top-level key `{key}`")
    sources_raw = raw.get("sources") or {}
    if not isinstance(sources_raw, Mapping):
        raise WorkbenchError(f"{_where(path, raw, 'sources')}: `sources` must map a source name to its settings.")
    sources = {str(n): _source(str(n), s, path, sources_raw) for n, s in sources_raw.items()}
    base = path.parent if path else Path.cwd()
    schemas = raw.get("schemas") or []
    if isinstance(schemas, str):
        schemas = [schemas]
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise WorkbenchError(f"{_where(path, raw, 'schemas')}: `schemas` must be a directory or a list of directories.")
    rules = raw.get("rules")
    if rules is not None and not isinstance(rules, str):
        raise WorkbenchError(f"{_where(path, raw, 'rules')}: `rules` must be a directory path.")
    keymap = raw.get("keymap") or {}
    if not isinstance(keymap, Mapping) or not all(isinstance(v, str) for v in keymap.values()):
        raise WorkbenchError(f"{_where(path, raw, 'keymap')}: `keymap` must map an action name to a key, e.g. `quit: ctrl+q`.")
    theme = raw.get("theme")
    return Config(
        path=path,
        sources=sources,
        schema_dirs=tuple((base / s).resolve() for s in schemas),
        rules_dir=(base / rules).resolve() if rules else None,
        keymap={str(k): v for k, v in keymap.items()},
        theme=str(theme) if theme else None,
        extra={k: raw[k] for k in ("live", "replay") if k in raw},
    )


def load_config(path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None, **flags: Any) -> Config:
    """Read the config file (or $WORKBENCH_CONFIG), then apply environment and flag overrides to every source.

    `flags` take the same names as source keys (region, profile, endpoint, role_arn, external_id); None = unset.
    """
    env = os.environ if env is None else env
    path = path or env.get("WORKBENCH_CONFIG")
    if path is None:
        cfg = Config(path=None, sources={})
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise WorkbenchError(f"Config file {p} does not exist; pass --config FILE (the demo writes one).") from None
        except (OSError, UnicodeDecodeError) as e:
            raise WorkbenchError(f"Cannot read config file {p}: {e.__class__.__name__}.") from None
        cfg = parse_config(text, p)
    overrides = {k: env[v] for k, v in ENV_OVERRIDES.items() if env.get(v)}
    overrides.update({k: v for k, v in flags.items() if v is not None and k in ENV_OVERRIDES})
    if overrides:
        cfg = replace(cfg, sources={n: replace(s, **overrides) for n, s in cfg.sources.items()})  # type: ignore[arg-type]
    return cfg
