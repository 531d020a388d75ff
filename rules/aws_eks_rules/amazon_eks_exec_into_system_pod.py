"""Someone opened an interactive exec or attach session into a pod in a Kubernetes system namespace."""

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


def rule(event):
    return (event.udm("resource") == "pods" and event.udm("subresource") in ("exec", "attach")
            and event.udm("verb") == "create" and event.udm("namespace") in SYSTEM_NAMESPACES
            and event.deep_get("responseStatus", "code", default=0) < 400)


def title(event):
    return (f"EKS: {event.udm('username')} opened {event.udm('subresource')} into "
            f"{event.udm('namespace')}/{event.udm('name')}")


def alert_context(event):
    return {"username": event.udm("username"), "pod": event.udm("name"), "namespace": event.udm("namespace"),
            "source_ips": event.udm("sourceIPs"), "user_agent": event.udm("userAgent"),
            "iam_arn": event.deep_get("user", "extra", "arn")}
