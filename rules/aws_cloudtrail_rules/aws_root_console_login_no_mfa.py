"""The root user signed in to the console without MFA."""


def rule(event):
    return (
        event.get("eventName") == "ConsoleLogin"
        and event.deep_get("userIdentity", "type") == "Root"
        and event.deep_get("responseElements", "ConsoleLogin") == "Success"
        and event.deep_get("additionalEventData", "MFAUsed") != "Yes"
    )


def title(event):
    return (f"AWS root console login without MFA in account {event.get('recipientAccountId')} "
            f"from {event.get('sourceIPAddress')}")


def dedup(event):
    return f"{event.get('recipientAccountId')}:{event.get('sourceIPAddress')}"


def alert_context(event):
    return {
        "account": event.get("recipientAccountId"),
        "source_ip": event.get("sourceIPAddress"),
        "user_agent": event.get("userAgent"),
        "region": event.get("awsRegion"),
        "mfa_used": event.deep_get("additionalEventData", "MFAUsed"),
    }
