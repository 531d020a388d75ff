import json

from panther_core.enriched_event import PantherEvent
from panther_core.immutable import ImmutableCaseInsensitiveDict, ImmutableList, json_encoder


def rule(event):
    return isinstance(event, ImmutableCaseInsensitiveDict) and isinstance(event["l"], ImmutableList)

def title(event):
    items = event["l"]
    return (f"{items!r} {items[0:1]!r} {event['d']!r} {type(event.to_dict()).__name__} "
            f"{items.as_list()} {len(items)} {list(event.keys())}")

def description(event):
    return json.dumps(event["d"], default=json_encoder) + json.dumps(event, default=PantherEvent.json_encoder, sort_keys=True)

def runbook(event):
    return str(hash(event["l"]))

def reference(event):
    event["x"] = 1
    return "unreachable"

def alert_context(event):
    return {"raw": event.raw_view()["d"], "copy": event["l"].copy(), "walk": event.deep_walk("d")}
