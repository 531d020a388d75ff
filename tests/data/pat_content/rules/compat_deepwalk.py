def rule(event):
    return True

def title(event):
    return f"{event.deep_walk('a', 'b')} {event.deep_walk('a', 'b', return_val='first')} {event.deep_get('a', 'b')}"
