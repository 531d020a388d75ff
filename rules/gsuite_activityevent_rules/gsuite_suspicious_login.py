"""Google flagged a Workspace login as suspicious (a login event whose is_suspicious parameter is true)."""


def rule(event):
    if event.deep_get("id", "applicationName") != "login":
        return False
    return event.deep_get("parameters", "is_suspicious") is True


def title(event):
    return f"Google Workspace: suspicious {event.get('name')} for {event.udm('actor_user')} from {event.udm('source_ip')}"


def severity(event):
    # a suspicious login that succeeded is worse than one that failed
    return "HIGH" if event.get("name") == "login_success" else "MEDIUM"


def alert_context(event):
    return {"actor": event.udm("actor_user"), "source_ip": event.udm("source_ip"), "event": event.get("name"),
            "login_type": event.deep_get("parameters", "login_type")}
