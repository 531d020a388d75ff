"""Failed Panoptica logins, grouped per user: an alert needs five within the dedup window."""


def rule(event):
    return event.udm("event_type") == "failed_login"


def title(event):
    return f"Panoptica: repeated failed logins for {event.udm('actor_user')}"


def dedup(event):
    return str(event.udm("actor_user"))


def alert_context(event):
    return {
        "user": event.deep_get("actor", "email"),
        "source_ip": event.udm("source_ip"),
        "failure_reason": event.get("failure_reason"),
        "method": event.get("method"),
    }
