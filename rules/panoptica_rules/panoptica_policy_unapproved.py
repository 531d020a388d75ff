"""A policy change without an approver or a change ticket. A signal: recorded for correlation, no alert."""


def rule(event):
    return not event.get("approved_by") or not event.get("ticket")


def alert_context(event):
    return {
        "policy_arn": event.deep_get("policy", "arn"),
        "actor_arn": event.get("actor_arn"),
        "change_id": event.get("change_id"),
    }
