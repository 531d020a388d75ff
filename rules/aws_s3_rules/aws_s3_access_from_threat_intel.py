"""Any S3 request from an address on the threat-intel list, whatever its outcome."""

from workbench_helpers import is_suspicious_ip


def rule(event):
    return is_suspicious_ip(event.get("remoteip"))


def title(event):
    return f"S3 request to {event.get('bucket')} from threat-intel address {event.get('remoteip')}"


def dedup(event):
    return str(event.get("remoteip"))


def severity(event):
    # a request that succeeded means data may have left
    return "HIGH" if str(event.get("httpstatus")).startswith("2") else "DEFAULT"


def alert_context(event):
    return {"bucket": event.get("bucket"), "key": event.get("key"), "operation": event.get("operation"),
            "status": event.get("httpstatus"), "remote_ip": event.get("remoteip"), "requester": event.get("requester")}
