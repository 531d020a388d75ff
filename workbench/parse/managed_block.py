"""The parser side of a shipped schema's declarative `managed:` block (workbench.schema.managed says what each
key means): wrap a compiled schema's decode and finish steps with key folding, `require` checks and payload
indicators. Steps that need code per log type (syslog priorities, AWS payload walks) are workbench.parse.managed;
a schema may use both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from workbench.parse.values import _Bad, _short
from workbench.schema import Schema
from workbench.schema.managed import key_folder, payload_indicators, requirement

Decode = Callable[[Any, list], Any]
Finish = Callable[[dict | None, list, str, str], dict]


def wrap(schema: Schema, decode: Decode, finish: Finish) -> tuple[Decode, Finish]:
    """(decode, finish) doing what the schema's `managed:` block asks, around the compiled ones."""
    block = schema.managed or {}
    if block.get("caseInsensitiveKeys"):
        fold = key_folder(schema.fields)

        def folded(raw: Any, ind: list, _decode=decode) -> Any:
            return _decode(fold(raw) if type(raw) is dict else raw, ind)

        decode = folded
    if block.get("require"):
        check = requirement(block)

        def checked(raw: Any, ind: list, _decode=decode) -> Any:
            event = _decode(raw, ind)
            reason = check(event) if type(event) is dict else None
            if reason:
                raise _Bad(_short(orjson.dumps(raw).decode() if type(raw) is dict else raw), reason)
            return event

        decode = checked
    if block.get("indicators"):
        scan = payload_indicators(block)

        def finished(event: dict | None, ind: list, bucket: str, key: str, _finish=finish) -> dict:
            if event is not None:
                scan(event, ind)
            return _finish(event, ind, bucket, key)

        finish = finished
    return decode, finish
