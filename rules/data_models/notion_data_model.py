"""Notion audit events → the standard fields: a person's e-mail, or the bot's id, as the actor."""

import panther_event_type_helpers as event_type


def get_actor_user(event):
    actor = event.deep_get("event", "actor", default={}) or {}
    return event.deep_get("event", "actor", "person", "email") or actor.get("id")


def get_event_type(event):
    kind = event.deep_get("event", "type")
    if kind == "user.login":
        return event_type.SUCCESSFUL_LOGIN
    if kind == "user.logout":
        return event_type.SUCCESSFUL_LOGOUT
    return None
