def rule(event):
    return True

def alert_context(event):
    if event["kind"] == "big":
        return {"x": "y" * 250000}
    if event["kind"] == "list":
        return [1]
    return {"nested": event.get("n"), "n": 1.5, "none": None}
