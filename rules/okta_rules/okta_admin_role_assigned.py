"""An Okta administrator privilege was granted to a user."""

import panther_event_type_helpers as event_type


def rule(event):
    return event.udm("event_type") == event_type.ADMIN_ROLE_ASSIGNED and event.deep_get("outcome", "result") == "SUCCESS"


def _privilege(event):
    return event.deep_get("debugContext", "debugData", "privilegeGranted", default="<unknown privilege>")


def _targets(event):
    return [t.get("alternateId") for t in (event.get("target") or []) if t.get("alternateId")]


def title(event):
    who = ", ".join(_targets(event)) or "<unknown user>"
    return f"Okta: {event.udm('actor_user')} granted [{_privilege(event)}] to {who}"


def severity(event):
    return "HIGH" if "Super administrator" in _privilege(event) else "MEDIUM"


def alert_context(event):
    return {"actor": event.udm("actor_user"), "targets": _targets(event), "privilege": _privilege(event),
            "source_ip": event.udm("source_ip"), "user_agent": event.udm("user_agent")}
