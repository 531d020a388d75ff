def rule(event):
    return True

def title(event):
    return "not shown for signals"

def alert_context(event):
    return {"a": 1}
