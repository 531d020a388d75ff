"""Someone stopped or deleted a CloudTrail trail."""

STOP_EVENTS = {"StopLogging", "DeleteTrail"}


def rule(event):
    return (
        event.get("eventSource") == "cloudtrail.amazonaws.com"
        and event.get("eventName") in STOP_EVENTS
        and not event.get("errorCode")
    )


def title(event):
    trail = event.deep_get("requestParameters", "name", default="<unknown trail>")
    return f"CloudTrail {event.get('eventName')} on {trail} by {event.deep_get('userIdentity', 'arn')}"


def dedup(event):
    return str(event.deep_get("requestParameters", "name"))


def alert_context(event):
    return {
        "trail": event.deep_get("requestParameters", "name"),
        "actor": event.deep_get("userIdentity", "arn"),
        "mfa_authenticated": event.deep_get("userIdentity", "sessionContext", "attributes", "mfaAuthenticated"),
        "source_ip": event.get("sourceIPAddress"),
        "region": event.get("awsRegion"),
    }
