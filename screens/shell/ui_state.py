"""Small UI choices remembered between runs (theme, tips hidden) in `ui-state.json` beside the config file.

Not in the config itself: that is the user's own text. Without a config file nothing is remembered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_FILE = "ui-state.json"


def state_path(config_path: Path | None) -> Path | None:
    return config_path.parent / STATE_FILE if config_path is not None else None


def load_state(config_path: Path | None) -> dict[str, Any]:
    path = state_path(config_path)
    try:
        state = json.loads(path.read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def save_state(config_path: Path | None, **changes: Any) -> None:
    from workbench.files import atomic_write

    path = state_path(config_path)
    if path is None:
        return
    state = {**load_state(config_path), **changes}
    try:
        atomic_write(path, json.dumps(state, indent=2) + "\n")
    except OSError:
        pass  # a read-only config folder: the choice is simply not remembered
