"""Repeated failed Okta sign-ins for one account from one address (counted by Threshold per dedup group)."""

import panther_event_type_helpers as event_type


def rule(event):
    return event.udm("event_type") == event_type.FAILED_LOGIN


def dedup(event):
    return f"{event.udm('actor_user')}:{event.udm('source_ip')}"


def title(event):
    return f"Okta: repeated failed sign-ins for {event.udm('actor_user')} from {event.udm('source_ip')}"


def alert_context(event):
    return {"actor": event.udm("actor_user"), "source_ip": event.udm("source_ip"),
            "reason": event.deep_get("outcome", "reason"), "user_agent": event.udm("user_agent")}
