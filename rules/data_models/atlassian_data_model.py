"""Atlassian organization audit actions → the standard event types."""

import panther_event_type_helpers as event_type

_TYPES = {
    "user_login": event_type.SUCCESSFUL_LOGIN,
    "user_logout": event_type.SUCCESSFUL_LOGOUT,
    "user_created": event_type.USER_ACCOUNT_CREATED,
    "added_org_admin": event_type.ADMIN_ROLE_ASSIGNED,
    "group_granted_admin_access": event_type.ADMIN_ROLE_ASSIGNED,
    "twosv_disabled_for_user": event_type.MFA_DISABLED,
    "group_created": event_type.USER_GROUP_CREATED,
    "group_deleted": event_type.USER_GROUP_DELETED,
    "user_granted_role": event_type.USER_ROLE_MODIFIED,
    "user_revoked_role": event_type.USER_ROLE_DELETED,
}


def get_event_type(event):
    return _TYPES.get(event.deep_get("attributes", "action"))
