"""A policy change that allows every action on every resource."""


def _wildcard_statements(event):
    out = []
    for st in event.deep_get("policy", "statements", default=[]):
        if st.get("effect", "Allow") != "Allow":
            continue
        if "*" in (st.get("actions") or []) and "*" in (st.get("resources") or []):
            out.append(st)
    return out


def rule(event):
    return bool(_wildcard_statements(event))


def title(event):
    return (f"Panoptica: policy {event.deep_get('policy', 'name')} now allows * on * "
            f"(changed by {event.get('actor_arn')})")


def dedup(event):
    return str(event.deep_get("policy", "arn"))


def alert_context(event):
    return {
        "policy_arn": event.deep_get("policy", "arn"),
        "policy_version": event.deep_get("policy", "version"),
        "actor_arn": event.get("actor_arn"),
        "change_id": event.get("change_id"),
        "approved_by": event.get("approved_by"),
        "ticket": event.get("ticket"),
        "source_ip": event.get("source_ip"),
    }
