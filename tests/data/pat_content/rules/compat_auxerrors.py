def rule(event):
    return event["hit"]

def title(event):
    raise KeyError("boom")

def description(event):
    return "desc"

def reference(event):
    return 5

def runbook(event):
    return "run"

def unique(event):
    return None
