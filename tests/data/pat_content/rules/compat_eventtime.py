def rule(event):
    return event.event_time_epoch() > 0

def title(event):
    return str(event.event_time_epoch())
