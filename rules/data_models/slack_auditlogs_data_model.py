"""Slack audit log actions → the standard event types."""

import panther_event_type_helpers as event_type

_TYPES = {
    "user_login": event_type.SUCCESSFUL_LOGIN,
    "user_login_failed": event_type.FAILED_LOGIN,
    "user_logout": event_type.SUCCESSFUL_LOGOUT,
    "user_created": event_type.USER_ACCOUNT_CREATED,
    "user_deactivated": event_type.USER_ACCOUNT_DELETED,
    "role_change_to_admin": event_type.ADMIN_ROLE_ASSIGNED,
    "role_change_to_owner": event_type.ADMIN_ROLE_ASSIGNED,
}


def get_event_type(event):
    return _TYPES.get(event.get("action"))
