"""Payments API requests failing with server errors; many in a short window is an outage or an attack."""


def rule(event):
    try:
        return int(event.get("status") or 0) >= 500
    except (TypeError, ValueError):
        return False


def title(event):
    return f"Payments: server errors from {event.get('service', 'payments-api')}"


def dedup(event):
    return str(event.get("service", "payments-api"))


def alert_context(event):
    return {"path": event.get("path"), "status": event.get("status"), "latency_ms": event.get("latency_ms"),
            "message": event.get("message"), "request_id": event.get("request_id")}
