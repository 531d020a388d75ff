def rule(event):
    return event.deep_get("a", "b") == 1

def title(event):
    return " | ".join(repr(x) for x in (
        event.deep_get("a", "B"), event.deep_get("a", "missing"), event.deep_get("a", "missing", default="dflt"),
        event.deep_get("a", "zero"), event.deep_get("a", "empty", default="dflt"), event.deep_get("a", "none", default="dflt"),
        event.deep_get("list", "x"), event.deep_get("a", "missing", "deeper", default={}), event.deep_get()))
