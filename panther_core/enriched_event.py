"""`PantherEvent`: the read-only, case-insensitive event object every detection function receives."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timezone
from typing import Any

from panther_core.data_model import DataModel
from panther_core.immutable import ImmutableCaseInsensitiveDict, _wrap, json_encoder
from panther_core.traversal import deep_get, deep_walk


class PantherEvent(ImmutableCaseInsensitiveDict):
    """One event; `data_model` (chosen from the event's p_log_type) backs `udm()`."""

    __slots__ = ("data_model",)

    json_encoder = staticmethod(json_encoder)

    def __init__(self, event: Mapping, data_model: DataModel | None = None):
        # shallow copy: later changes to the caller's dict do not show through
        super().__init__(dict(event))
        self.data_model = data_model

    @classmethod
    def _adopt(cls, event: dict, data_model: DataModel | None = None) -> PantherEvent:
        """Wrap a dict nobody else holds (freshly decoded) without the defensive copy."""
        self = cls.__new__(cls)
        self._container = event
        self._lower = None
        self._cache = None
        self.data_model = data_model
        return self

    def deep_get(self, *keys: Any, default: Any = None) -> Any:
        return deep_get(self, *keys, default=default)

    def deep_walk(self, *keys: Any, default: Any = None, return_val: str = "all") -> Any:
        return deep_walk(self, *keys, default=default, return_val=return_val)

    def udm(self, *keys: Any, default: Any = None) -> Any:
        """Read a unified field through the data model, falling back to `p_udm` and then the event itself."""
        dm = self.data_model
        if dm is not None and len(keys) == 1:
            key = keys[0]
            if key in dm.paths:
                _path, compiled = dm.paths[key]
                matches = compiled.find(self._container)
                if len(matches) > 1:
                    raise Exception(f"JSONPath [{compiled}] in DataModel [{dm.model_id}], matched multiple fields.")
                if not matches:
                    return default
                return _wrap(matches[0].value)
            if key in dm.methods:
                return dm.methods[key][1](ImmutableCaseInsensitiveDict(self._container))
        value = deep_get(self, "p_udm", *keys)
        if not value:
            value = deep_get(self, *keys)
        return value if value else default

    def udm_path(self, key: str) -> str | None:
        """The JSONPath or method name behind a data-model field."""
        if self.data_model is None:
            raise Exception("a data model hasn't been specified for this event")
        return self.data_model.path_of(key)

    def lookup(self, lookup_table_name: str, lookup_key: str) -> Any:
        """Lookup-table enrichment: mocked data in tests (`_mocked_lookup_data_`), else `p_enrichment`."""
        mocked = deep_get(self, "_mocked_lookup_data_", lookup_table_name, lookup_key)
        if mocked is not None:
            return mocked
        return deep_get(self, "p_enrichment", lookup_table_name, lookup_key)

    def event_time_epoch(self) -> int:
        """`p_event_time` as epoch seconds (UTC); 0 when absent or unreadable."""
        raw = self._container.get("p_event_time")
        if not raw:
            return 0
        try:
            from dateutil import parser

            t = parser.parse(str(raw))
        except (ValueError, OverflowError, ImportError):
            return 0
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)  # noqa: UP017 - the worker may run an older Python
        return int(t.timestamp())

    def raw_view(self) -> ImmutableCaseInsensitiveDict:
        return ImmutableCaseInsensitiveDict(self._container)

    def __repr__(self) -> str:
        return f"PantherEvent({self._container!r})"
