"""A Panoptica login without MFA from a known-bad IP, or from a new device with a high risk score."""

from workbench_helpers import is_suspicious_ip

RISK_THRESHOLD = 80


def _risk(event):
    # `context` is embedded JSON in the raw log; the parser has already decoded it into an object
    return event.deep_get("context", "risk_score", default=0) or 0


def rule(event):
    if event.deep_get("actor", "mfa") is True:
        return False
    if is_suspicious_ip(event.udm("source_ip")):
        return True
    return _risk(event) >= RISK_THRESHOLD and event.deep_get("context", "new_device") is True


def title(event):
    user = event.udm("actor_user") or "<unknown user>"
    verb = "logged in" if event.get("outcome") == "success" else "tried to log in"
    return f"Panoptica: {user} {verb} without MFA from {event.udm('source_ip')}"


def dedup(event):
    return f"{event.udm('actor_user')}:{event.udm('source_ip')}"


def severity(event):
    # a successful login is worse than an attempt
    return "HIGH" if event.get("outcome") == "success" else "DEFAULT"


def alert_context(event):
    return {
        "user": event.deep_get("actor", "email"),
        "source_ip": event.udm("source_ip"),
        "country": event.deep_get("client", "geo", "country"),
        "outcome": event.get("outcome"),
        "failure_reason": event.get("failure_reason"),
        "method": event.get("method"),
        "risk_score": _risk(event),
        "device_id": event.deep_get("context", "device_id"),
        "new_device": event.deep_get("context", "new_device"),
        "user_agent": event.udm("user_agent"),
    }
