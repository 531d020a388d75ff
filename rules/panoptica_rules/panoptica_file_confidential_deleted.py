"""A file labelled confidential was deleted."""


def rule(event):
    return event.get("action") == "delete" and "confidential" in event.deep_get("file", "labels", default=[])


def title(event):
    return f"Panoptica: {event.deep_get('user', 'email')} deleted confidential {event.deep_get('file', 'path')}"


def dedup(event):
    return str(event.deep_get("user", "email"))


def alert_context(event):
    return {
        "user": event.deep_get("user", "email"),
        "file": event.deep_get("file", "path"),
        "sha256": event.deep_get("file", "sha256"),
        "source_ip": event.get("src_ip"),
    }
