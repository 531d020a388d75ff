"""`PantherEvent`: the read-only, case-insensitive event object every detection function receives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from panther_core.data_model import NO_DATA_MODEL, DataModel
from panther_core.exceptions import PantherError
from panther_core.immutable import ImmutableCaseInsensitiveDict, _wrap, json_encoder
from panther_core.traversal import deep_walk


class PantherEvent(ImmutableCaseInsensitiveDict):
    """One event; `data_model` (chosen from the event's p_log_type) backs `udm()` and `udm_path()`."""

    # a plain function, as in Panther's: `PantherEvent.json_encoder` is the encoder, `event.json_encoder`
    # a bound method (which json.dumps cannot use)
    json_encoder = json_encoder

    def __init__(self, event: Mapping, data_model: DataModel | None = None):
        super().__init__(event)  # shallow copy: later changes to the caller's dict do not show through
        self.data_model = data_model
        self.lookup_function: Callable | None = None

    @classmethod
    def _adopt(cls, event: dict, data_model: DataModel | None = None) -> PantherEvent:
        """Wrap a dict nobody else holds (freshly decoded) without the defensive copy."""
        self = cls.__new__(cls)
        self._container = event
        self._lower = None
        self._cache = None
        self.data_model = data_model
        self.lookup_function = None
        return self

    def _add_lookup_function(self, lookup_function: Callable[[Any, str, str], Any]) -> None:
        self.lookup_function = lookup_function

    def lookup(self, lookup_name: str, lookup_key: str) -> Any:
        """Lookup-table data: the installed lookup function, else the test's `_mocked_lookup_data_`."""
        if self.lookup_function:
            return self.lookup_function(self, lookup_name, lookup_key)
        return self.deep_get("_mocked_lookup_data_", lookup_name, lookup_key)

    def deep_walk(self, *keys: Any, default: Any = None, return_val: str = "all") -> Any:
        return deep_walk(self._container, keys, default, return_val)

    def _path_match(self, key: Any) -> Any:
        """The one JSONPath match of the data model's Path mapping `key`; None if unmapped or no match."""
        model = self.data_model
        compiled = model.paths.get(key) if model else None
        if not compiled or model is None:
            return None
        matches = compiled.find(self._container)
        if len(matches) > 1:
            raise Exception(f"JSONPath [{compiled}] in DataModel [{model.data_model_id}], matched multiple fields.")
        return matches[0] if matches else None

    def udm(self, *keys: Any, default: Any = None) -> Any:
        """A unified field: the data model's Path or Method for one key; else `p_udm`, then the event itself.

        A key the data model maps but that finds nothing gives `default` without the fallbacks.
        """
        model = self.data_model
        if len(keys) == 1 and model:
            key = keys[0]
            match = self._path_match(key)
            if match:
                return _wrap(match.value)
            method = model.methods.get(key)
            if callable(method):
                return _wrap(method(ImmutableCaseInsensitiveDict(self._container)))
            if key in model.paths or key in model.methods:
                return default
        if keys:
            found = self.deep_get("p_udm", *keys)
            if not found:
                found = self.deep_get(*keys)
            if found:
                return found
        return default

    def udm_path(self, key: str) -> str | None:
        """Where a unified field comes from in this event: the matched path (no `$.`), or the method's name."""
        if not self.data_model:
            raise PantherError(NO_DATA_MODEL, self._container.get("p_log_type"))
        match = self._path_match(key)
        if match:
            return str(match.full_path)
        method = self.data_model.methods.get(key)
        if callable(method):
            return getattr(method, "__name__", repr(method))
        return None

    def event_time_epoch(self, force_utc: bool = True) -> int:
        """`p_event_time` as epoch seconds (read as UTC unless `force_utc` is False); 0 when absent or unreadable."""
        from dateutil import parser

        text = self.get("p_event_time") or ""
        if force_utc:
            text += " UTC"
        try:
            return int(parser.parse(text).timestamp())
        except parser.ParserError:
            return 0
