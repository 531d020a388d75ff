"""Unified fields for Custom.Panoptica.Auth: who logged in, from where, and whether it worked."""


def get_actor_user(event):
    email = event.deep_get("actor", "email", default="")
    return email.split("@", 1)[0] if email else None


def get_event_type(event):
    # the standard values of Panther's event-type helpers
    return "successful_login" if event.get("outcome") == "success" else "failed_login"
