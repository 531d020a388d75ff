"""Zoom operation logs → the standard event types, from the category and action Zoom records."""

import panther_event_type_helpers as event_type

_BY_CATEGORY = {
    "User": {"Add": event_type.USER_ACCOUNT_CREATED, "Delete": event_type.USER_ACCOUNT_DELETED,
             "Update": event_type.USER_ACCOUNT_MODIFIED},
    "User Group": {"Add": event_type.USER_GROUP_CREATED, "Update": event_type.USER_GROUP_MODIFIED,
                   "Delete": event_type.USER_GROUP_DELETED},
    "Role": {"Add": event_type.USER_ROLE_CREATED, "Update": event_type.USER_ROLE_MODIFIED,
             "Delete": event_type.USER_ROLE_DELETED},
}


def get_event_type(event):
    category, action = event.get("category_type"), event.get("action")
    detail = event.get("operation_detail") or ""
    if category == "User" and action == "Update" and "to Admin" in detail:
        return event_type.ADMIN_ROLE_ASSIGNED
    return _BY_CATEGORY.get(category, {}).get(action)
