"""GCP audit log → the standard fields. IAM changes are read from the policy delta Cloud IAM records in
serviceData (one binding delta per role and member added or removed)."""

import panther_event_type_helpers as event_type

ADMIN_ROLES = ("roles/owner", "roles/editor", "roles/resourcemanager.organizationAdmin", "roles/iam.securityAdmin")


def _added_bindings(event):
    deltas = event.deep_get("protoPayload", "serviceData", "policyDelta", "bindingDeltas", default=[]) or []
    return [d for d in deltas if hasattr(d, "get") and d.get("action") == "ADD"]  # rules see immutable mappings


def get_iam_roles(event):
    roles = sorted({d.get("role") for d in _added_bindings(event) if d.get("role")})
    return roles or None


def get_modified_users(event):
    members = sorted({d.get("member") for d in _added_bindings(event) if d.get("member")})
    return members or None


def get_event_type(event):
    if event.deep_get("protoPayload", "methodName") == "SetIamPolicy":
        if any(d.get("role") in ADMIN_ROLES for d in _added_bindings(event)):
            return event_type.ADMIN_ROLE_ASSIGNED
        return event_type.USER_ROLE_MODIFIED
    return None
