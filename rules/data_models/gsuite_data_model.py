"""Google Workspace activity events → the standard event types (login application and admin role grants)."""

import panther_event_type_helpers as event_type


def get_event_type(event):
    app, name = event.deep_get("id", "applicationName"), event.get("name")
    if app == "login":
        if name == "login_success":
            return event_type.SUCCESSFUL_LOGIN
        if name == "login_failure":
            return event_type.FAILED_LOGIN
        if name == "logout":
            return event_type.SUCCESSFUL_LOGOUT
    if app == "admin":
        if name == "ASSIGN_ROLE":
            return event_type.ADMIN_ROLE_ASSIGNED
        if name == "CREATE_USER":
            return event_type.USER_ACCOUNT_CREATED
        if name == "DELETE_USER":
            return event_type.USER_ACCOUNT_DELETED
    return None
