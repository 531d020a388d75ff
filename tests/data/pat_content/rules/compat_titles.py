def rule(event):
    return True

def title(event):
    return event["t"] * event["n"]

def dedup(event):
    return event.get("d", "")
