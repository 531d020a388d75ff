def rule(event):
    if event.get("rule_error"):
        return event["missing"]
    return event.get("hit", True)

def title(event):
    return 1 / event.get("zero", 1) and "title"

def description(event):
    return None

def reference(event):
    return ["not", "text"]

def runbook(event):
    raise RuntimeError("runbook broke")

def alert_context(event):
    raise KeyError("ctx")

def severity(event):
    return "extreme"
