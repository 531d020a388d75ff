"""The Kubernetes API answered a request from the anonymous user (other than health and version probes)."""

PROBES = ("/healthz", "/livez", "/readyz", "/version")


def rule(event):
    if event.udm("username") != "system:anonymous":
        return False
    return not (event.udm("requestURI") or "").startswith(PROBES)


def title(event):
    return f"EKS: anonymous {event.udm('verb')} of {event.udm('requestURI')} from {event.udm('source_ip')}"


def severity(event):
    # an answered (2xx) anonymous request means the cluster grants anonymous access
    return "HIGH" if event.deep_get("responseStatus", "code", default=0) < 400 else "LOW"


def alert_context(event):
    return {"verb": event.udm("verb"), "requestURI": event.udm("requestURI"), "source_ips": event.udm("sourceIPs"),
            "user_agent": event.udm("userAgent"), "status": event.deep_get("responseStatus", "code")}
