"""A new IAM access key, unless the caller is known deployment automation.

`known_automation` is looked up per call so unit tests can replace it with a mock (see `Mocks:`).
"""

AUTOMATION_ROLES = {"Deployer", "terraform"}


def known_automation(role_name):
    return role_name in AUTOMATION_ROLES


def rule(event):
    if event.get("eventName") != "CreateAccessKey" or event.get("errorCode"):
        return False
    role = event.deep_get("userIdentity", "sessionContext", "sessionIssuer", "userName")
    return not known_automation(role)


def title(event):
    actor = event.deep_get("userIdentity", "arn")
    target = event.deep_get("requestParameters", "userName", default="itself")
    return f"IAM access key created for {target} by {actor}"


def dedup(event):
    return str(event.deep_get("userIdentity", "arn"))


def alert_context(event):
    return {
        "actor": event.deep_get("userIdentity", "arn"),
        "target_user": event.deep_get("requestParameters", "userName"),
        "access_key_id": event.deep_get("responseElements", "accessKey", "accessKeyId"),
        "source_ip": event.get("sourceIPAddress"),
        "account": event.get("recipientAccountId"),
    }
