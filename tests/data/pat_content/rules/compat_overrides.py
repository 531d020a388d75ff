def rule(event):
    return True

def severity(event):
    return event.get("sev", "DEFAULT")

def destinations(event):
    return event.get("dest")
