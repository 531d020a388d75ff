"""Counters, string sets and dictionaries shared between rule calls, kept in process memory.

The function names and arguments follow Panther's documented caching helpers. Entries may carry an
expiry (`epoch_seconds`); expired entries read as empty. State lives as long as the rule worker process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import datetime
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


def _expire(key: str, epoch_seconds: float | int | None) -> None:
    if epoch_seconds is not None:
        _EXPIRY[key] = float(epoch_seconds)


def clear() -> None:
    """Forget everything (used between unit-test runs)."""
    _STORE.clear()
    _EXPIRY.clear()


def ttl_expired(key: str) -> bool:
    return not _live(key)


def set_key_expiration(key: str, epoch_seconds: float | int) -> None:
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
    """Count one occurrence of `key`; True once the count within the expiry window reaches `threshold`."""
    hits = increment_counter(key, 1, time.time() + expiry_seconds if get_counter(key) == 0 else _EXPIRY.get(key))
    if hits >= threshold:
        reset_counter(key)
        return True
    return False


def check_account_age(key: str) -> bool:
    """True if the account named by `key` was recorded as created within the last week (`put_string_set`)."""
    created = get_string_set(key)
    if not created:
        return False
    try:
        stamp = datetime.fromisoformat(next(iter(created)))
    except ValueError:
        return False
    return (time.time() - stamp.timestamp()) < 7 * 86400
