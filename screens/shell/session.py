"""The one session object the App holds: what the user has chosen and loaded so far.

Screens read it (`self.app.session`) and never write it directly: they post `SessionUpdate(...)` and the App
applies the change on the UI thread, then publishes `app.session_changed` with the names of the fields that
changed. Screens subscribe to that signal to refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from workbench.config import Config, Source

if TYPE_CHECKING:
    from workbench.aws import AwsSession
    from workbench.parse import ParseError
    from workbench.schema import Schema
    from workbench.source.formats import Detection


@dataclass(eq=False)
class Session:
    """Shared state for every screen. Fields hold plain core objects (no widgets)."""

    config: Config
    source: Source | None = None
    prefix: str | None = None  # the prefix the user is browsing / sampled
    sample: Any = None  # workbench.source.sampling.SampleResult of the last sample
    detections: list[Detection] = field(default_factory=list)  # the format groups of that sample
    detection: Detection | None = None  # the one of them the user highlighted on Browse (what Schema starts from)
    log_type: str | None = None  # the schema/log type the user is working on
    schema: Schema | None = None  # the schema in use (inferred, edited or loaded)
    events: list[dict] = field(default_factory=list)  # parsed events (with p_ fields) of the sample
    parse_errors: list[ParseError] = field(default_factory=list)  # of those events' records
    extra: dict[str, Any] = field(default_factory=dict)  # room for later screens (rules results, live state)

    def apply(self, changes: dict[str, Any]) -> set[str]:
        """Set the given fields; returns the names whose value actually changed. Unknown names are a bug."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise AttributeError(f"Session has no field(s) {', '.join(sorted(unknown))}")
        changed = set()
        for name, value in changes.items():
            if getattr(self, name) is not value:
                setattr(self, name, value)
                changed.add(name)
        return changed

    _aws: AwsSession | None = field(default=None, repr=False)

    @property
    def source_name(self) -> str:
        return self.source.name if self.source else ""

    def require_source(self) -> Source:
        """The current source; with none selected, a WorkbenchError (a worker shows it as a plain notification)."""
        if self.source is None:
            from workbench.errors import WorkbenchError

            raise WorkbenchError("No source selected: pick one on the Sources screen (key 1).")
        return self.source

    def aws(self) -> AwsSession:
        """The `workbench.aws.AwsSession` of the current source (one per source, created on first use)."""
        from workbench.aws import AwsSession

        source = self.require_source()
        if self._aws is None or self._aws.source is not source:
            self._aws = AwsSession(source)
        return self._aws
