"""A GCP project or organization admin role was granted to an identity outside the company's domains."""

import panther_event_type_helpers as event_type

COMPANY_DOMAINS = ("acme.io", "acme-prod.iam.gserviceaccount.com")


def _external(member):
    # members look like "user:alice@acme.io", "serviceAccount:x@p.iam.gserviceaccount.com", "group:...", "domain:..."
    identity = member.split(":", 1)[-1]
    return "@" in identity and not identity.lower().endswith(COMPANY_DOMAINS)


def rule(event):
    if event.udm("event_type") != event_type.ADMIN_ROLE_ASSIGNED:
        return False
    return any(_external(m) for m in event.udm("user") or [])


def title(event):
    outsiders = [m for m in event.udm("user") or [] if _external(m)]
    return (f"GCP: {event.udm('actor_user')} granted {', '.join(event.udm('assigned_admin_role') or [])} "
            f"on {event.deep_get('protoPayload', 'resourceName')} to {', '.join(outsiders)}")


def alert_context(event):
    return {"actor": event.udm("actor_user"), "roles": event.udm("assigned_admin_role"), "members": event.udm("user"),
            "resource": event.deep_get("protoPayload", "resourceName"), "source_ip": event.udm("source_ip")}
