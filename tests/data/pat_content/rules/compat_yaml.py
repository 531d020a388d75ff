def rule(event):
    return event["a"] == "off" and event["b"] == "yes" and event["c"] == 644 and event["d"] == "2024-01-01"

def title(event):
    return f"{event['a']} {event['b']} {event['c']} {event['d']} {event['e']}"
