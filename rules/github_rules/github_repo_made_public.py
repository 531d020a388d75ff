"""A private or internal GitHub repository was made public."""


def rule(event):
    return event.get("action") == "repo.access" and event.get("visibility") == "public"


def title(event):
    return f"GitHub: {event.udm('actor_user')} made repository {event.get('repo')} public"


def alert_context(event):
    return {"actor": event.udm("actor_user"), "repo": event.get("repo"), "org": event.get("org"),
            "previous_visibility": event.get("previous_visibility"), "source_ip": event.udm("source_ip"),
            "country": event.deep_get("actor_location", "country_code")}
