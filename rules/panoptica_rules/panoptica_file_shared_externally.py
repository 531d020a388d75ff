"""A file labelled confidential shared with someone outside the company."""

from workbench_helpers import is_external_email


def _external(event):
    return [r for r in event.get("shared_with") or [] if is_external_email(r)]


def rule(event):
    if event.get("action") != "share":
        return False
    labels = event.deep_get("file", "labels", default=[])
    return "confidential" in labels and bool(_external(event))


def title(event):
    who = event.deep_get("user", "email", default="someone")
    return f"Panoptica: {who} shared confidential {event.deep_get('file', 'path')} outside the company"


def dedup(event):
    return f"{event.deep_get('user', 'email')}:{event.deep_get('file', 'path')}"


def alert_context(event):
    return {
        "user": event.deep_get("user", "email"),
        "user_arn": event.deep_get("user", "arn"),
        "file": event.deep_get("file", "path"),
        "sha256": event.deep_get("file", "sha256"),
        "recipients": _external(event),
        "source_ip": event.get("src_ip"),
    }
