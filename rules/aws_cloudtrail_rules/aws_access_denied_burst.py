"""API calls refused with AccessDenied, grouped per principal: a burst means probing or a broken deploy."""


def rule(event):
    return event.get("errorCode") in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def title(event):
    return f"AWS: repeated access denied for {event.deep_get('userIdentity', 'arn', default='<unknown>')}"


def dedup(event):
    return str(event.deep_get("userIdentity", "arn"))


def alert_context(event):
    return {
        "principal": event.deep_get("userIdentity", "arn"),
        "event_source": event.get("eventSource"),
        "event_name": event.get("eventName"),
        "error_message": event.get("errorMessage"),
        "source_ip": event.get("sourceIPAddress"),
    }
