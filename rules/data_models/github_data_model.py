"""GitHub audit log → the standard event types: membership, admin grants and two-factor changes."""

import panther_event_type_helpers as event_type


def get_event_type(event):
    action = event.get("action")
    if action in ("org.add_member", "business.add_member"):
        return event_type.ADMIN_ROLE_ASSIGNED if event.get("permission") == "admin" else event_type.USER_ACCOUNT_CREATED
    if action == "org.update_member" and event.get("permission") == "admin":
        return event_type.ADMIN_ROLE_ASSIGNED
    if action in ("org.remove_member", "business.remove_member"):
        return event_type.USER_ACCOUNT_DELETED
    if action == "org.disable_two_factor_requirement":
        return event_type.MFA_DISABLED
    return None
