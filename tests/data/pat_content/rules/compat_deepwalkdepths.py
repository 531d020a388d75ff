def rule(event):
    return event.deep_walk("top", "mid", "leaf") is not None

def title(event):
    return " | ".join(repr(x) for x in (
        event.deep_walk("top", "mid", "leaf"),
        event.deep_walk("top", "mid", "leaf", return_val="first"),
        event.deep_walk("top", "mid", "leaf", return_val="last"),
        event.deep_walk("top", "mid", "leaf", return_val="other"),
        event.deep_walk("one", "list"), event.deep_walk("one", "list", return_val="first"),
        event.deep_walk("top", "missing", default="dflt"), event.deep_walk("empty", default="dflt"),
        event.deep_walk("TOP", "mid"), event.deep_walk("nested"), event.deep_walk("nested", "k")))
