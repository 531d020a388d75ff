def rule(event):
    return event.udm("source_ip") == "1.2.3.4" and event.udm("actor_user") == "bob"

def title(event):
    return f"{event.udm('tag')} {event.udm('nothing', default='dflt')} {event.udm('plain')}"
