"""GET requests for objects refused with 403 AccessDenied: probing, or a broken reader."""


def _anonymous(event):
    return event.get("requester") in (None, "", "-")


def rule(event):
    return (
        str(event.get("httpstatus")) == "403"
        and event.get("errorcode") == "AccessDenied"
        and str(event.get("operation", "")).startswith("REST.GET")
    )


def title(event):
    who = "an anonymous requester" if _anonymous(event) else event.get("requester")
    return f"S3 GET denied on {event.get('bucket')} for {who} from {event.get('remoteip')}"


def dedup(event):
    return f"{event.get('bucket')}:{event.get('remoteip')}"


def severity(event):
    # anonymous probing of a private bucket is more interesting than a misconfigured role
    return "MEDIUM" if _anonymous(event) else "DEFAULT"


def alert_context(event):
    return {
        "bucket": event.get("bucket"),
        "key": event.get("key"),
        "requester": event.get("requester"),
        "remote_ip": event.get("remoteip"),
        "operation": event.get("operation"),
        "user_agent": event.get("useragent"),
    }
