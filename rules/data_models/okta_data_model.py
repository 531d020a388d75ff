"""Okta System Log → the standard fields: the actor's login name and what kind of event this is."""

import panther_event_type_helpers as event_type


def get_actor_user(event):
    return event.deep_get("actor", "alternateId") or event.deep_get("actor", "displayName")


def get_event_type(event):
    kind = event.get("eventType")
    result = event.deep_get("outcome", "result")
    if kind == "user.session.start":
        return event_type.SUCCESSFUL_LOGIN if result == "SUCCESS" else event_type.FAILED_LOGIN
    if kind == "user.session.end":
        return event_type.SUCCESSFUL_LOGOUT
    if kind == "user.account.privilege.grant":
        return event_type.ADMIN_ROLE_ASSIGNED
    if kind in ("user.mfa.factor.deactivate", "user.mfa.factor.reset_all"):
        return event_type.MFA_RESET if kind.endswith("reset_all") else event_type.MFA_DISABLED
    return None
