def rule(event):
    return True

def destinations(event):
    return event["d"]
