def rule(event):
    return event["a.b"] == 1 and event.deep_get("a", "b") == 2

def title(event):
    return f"{event.get('A.B')} {event.deep_get('a.b')} {event.deep_walk('a.b')} {event.deep_walk('A.b')} {'a.B' in event}"
