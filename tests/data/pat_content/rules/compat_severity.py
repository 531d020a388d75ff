def rule(event):
    return event["hit"]

def severity(event):
    return event["sev"]
