from panther_core.immutable import ImmutableList


def rule(event):
    return isinstance(event["tags"], ImmutableList) and event["tags"] == ["a"] and not isinstance(event, dict)

def alert_context(event):
    return {"tags": event["tags"], "copy": event["tags"].copy(), "set": {1}}
