"""Counters, string sets and dictionaries shared between rule calls, kept in process memory.

The function names and arguments follow Panther's documented caching helpers. Entries may carry an
expiry (`epoch_seconds`); expired entries read as empty. State lives as long as the rule worker process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

_STORE: dict[str, Any] = {}
_EXPIRY: dict[str, float] = {}


def _live(key: str) -> bool:
    exp = _EXPIRY.get(key)
    if exp is not None and exp <= time.time():
        _STORE.pop(key, None)
        _EXPIRY.pop(key, None)
        return False
    return key in _STORE


DEFAULT_TTL = 90 * 86400  # Panther's store keeps an entry 90 days unless told otherwise


def _expiry(epoch_seconds: Any) -> int:
    """An expiry as Panther's helpers read one: text and floats become whole seconds, a value under 10⁹ is
    seconds from now, anything else (None) the 90-day default."""
    if isinstance(epoch_seconds, str):
        epoch_seconds = float(epoch_seconds)
    if isinstance(epoch_seconds, float):
        epoch_seconds = int(epoch_seconds)
    now = int(time.time())
    if not isinstance(epoch_seconds, int):
        return now + DEFAULT_TTL
    return now + epoch_seconds if epoch_seconds < 1_000_000_000 else epoch_seconds


def _expire(key: str, epoch_seconds: Any) -> None:
    _EXPIRY[key] = float(_expiry(epoch_seconds))


def clear() -> None:
    """Forget everything (used between unit-test runs)."""
    _STORE.clear()
    _EXPIRY.clear()


def ttl_expired(response: Any) -> bool:
    """Panther's form: a store response (`{"Item": {"expiresAt": …}}`) whose expiry has passed. A key
    (this store's own form) is expired when it holds nothing live."""
    if isinstance(response, str):
        return not _live(response)
    expiration = response.get("Item", {}).get("expiresAt", 0)
    return bool(expiration) and float(expiration) <= time.time()


def set_key_expiration(key: str, epoch_seconds: Any) -> None:
    _expire(key, epoch_seconds)


# --- counters ----------------------------------------------------------------------------------------------

def get_counter(key: str, force_ttl_check: bool = False) -> int:
    return int(_STORE.get(key, 0)) if _live(key) else 0


def increment_counter(key: str, val: int = 1, epoch_seconds: float | int | None = None) -> int:
    value = get_counter(key) + int(val)
    _STORE[key] = value
    _expire(key, epoch_seconds)
    return value


def reset_counter(key: str) -> None:
    _STORE.pop(key, None)
    _EXPIRY.pop(key, None)


# --- string sets -------------------------------------------------------------------------------------------

def get_string_set(key: str, force_ttl_check: bool = False) -> set[str]:
    return set(_STORE.get(key, ())) if _live(key) else set()


def put_string_set(key: str, val: Iterable[str], epoch_seconds: float | int | None = None) -> None:
    if isinstance(val, str):
        val = [val]
    _STORE[key] = set(val)
    _expire(key, epoch_seconds)


def add_to_string_set(key: str, val: str | Iterable[str], epoch_seconds: float | int | None = None) -> set[str]:
    items = {val} if isinstance(val, str) else set(val)
    current = get_string_set(key) | items
    _STORE[key] = current
    _expire(key, epoch_seconds)
    return set(current)


def remove_from_string_set(key: str, val: str | Iterable[str]) -> set[str]:
    items = {val} if isinstance(val, str) else set(val)
    current = get_string_set(key) - items
    _STORE[key] = current
    return set(current)


def reset_string_set(key: str) -> None:
    reset_counter(key)


# --- dictionaries ------------------------------------------------------------------------------------------

def put_dictionary(key: str, val: dict, epoch_seconds: float | int | None = None) -> None:
    if not isinstance(val, dict):
        raise TypeError("put_dictionary: val must be a dict")
    # stored as JSON text, so what comes back is a copy and must be JSON-serialisable, as in Panther
    _STORE[key] = json.dumps(val)
    _expire(key, epoch_seconds)


def get_dictionary(key: str, force_ttl_check: bool = False) -> dict:
    return json.loads(_STORE[key]) if _live(key) else {}


# --- convenience helpers -----------------------------------------------------------------------------------

def evaluate_threshold(key: str, threshold: int = 10, expiry_seconds: int = 3600) -> bool:
    """Count one occurrence of `key` (expiring `expiry_seconds` from now); True, and the count reset, once it
    reaches `threshold`."""
    hits = increment_counter(key, epoch_seconds=expiry_seconds)
    if hits >= threshold:
        reset_counter(key)
        return True
    return False


def check_account_age(key: Any) -> bool:
    """True if a new-account rule recorded `key` (a non-empty string) with `put_string_set`/`add_to_string_set`."""
    if isinstance(key, str) and key != "":
        return bool(get_string_set(key, force_ttl_check=True))
    return False
