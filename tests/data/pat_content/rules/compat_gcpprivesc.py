def rule(event):
    perms = event.deep_walk("protoPayload", "authorizationInfo", "permission", default=[])
    granted = event.deep_walk("protoPayload", "authorizationInfo", "granted", return_val="last")
    return "iam.serviceAccounts.getAccessToken" in perms and granted is True

def title(event):
    return f"{event.deep_walk('protoPayload', 'authorizationInfo', 'permission')}"
