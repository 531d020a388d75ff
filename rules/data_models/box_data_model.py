"""Box event types → the standard event types."""

import panther_event_type_helpers as event_type

_TYPES = {
    "LOGIN": event_type.SUCCESSFUL_LOGIN,
    "FAILED_LOGIN": event_type.FAILED_LOGIN,
    "NEW_USER": event_type.USER_ACCOUNT_CREATED,
    "DELETE_USER": event_type.USER_ACCOUNT_DELETED,
    "ADD_LOGIN_ACTIVITY_DEVICE": event_type.USER_ACCOUNT_MODIFIED,
    "GROUP_ADD_USER": event_type.USER_GROUP_MODIFIED,
    "ADMIN_LOGIN": event_type.SUCCESSFUL_LOGIN,
}


def get_event_type(event):
    return _TYPES.get(event.get("event_type"))
