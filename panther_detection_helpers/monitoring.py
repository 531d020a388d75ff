"""`wrap`: the decorator Panther's helpers put on their functions for metrics. Locally there are no metrics,
so it returns the function's plain wrapper (name and docstring kept)."""

import functools
from collections.abc import Callable
from typing import Any


def wrap(name: str, tags: Any = None) -> Callable[..., Any]:
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        return wrapper

    return decorator
