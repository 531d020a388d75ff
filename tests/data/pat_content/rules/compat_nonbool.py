def rule(event):
    return event.get("v")
