"""Write a panther-analysis-shaped content repository of about 900 rules and 3,000 unit tests.

For `bench_rules_pat.py --path DIR` on a repository of realistic size without network access: rule
folders per log type, global helpers that import each other, data models with Path (simple and
JSONPath) and Method mappings, rules that import helpers and the standard library, compile regexes at
import, read fields with `get`/`deep_get`/`deep_walk`/`udm`, and tests with mocks. Every test passes
under Panther's CLI and ours. Same `--seed`, same repository.

    python benchmarks/gen_rules_repo.py [--out benchmarks/.content-big] [--rules 900] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# log type -> (folder, action field path, actor path, ip path, list field path to a list of {name: …})
LOG_TYPES = {
    "AWS.CloudTrail": ("aws_cloudtrail_rules", ("eventName",), ("userIdentity", "arn"),
                       ("sourceIPAddress",), ("resources",)),
    "Okta.SystemLog": ("okta_rules", ("eventType",), ("actor", "alternateId"), ("client", "ipAddress"),
                       ("target",)),
    "GCP.AuditLog": ("gcp_audit_rules", ("protoPayload", "methodName"),
                     ("protoPayload", "authenticationInfo", "principalEmail"),
                     ("protoPayload", "requestMetadata", "callerIp"), ("protoPayload", "authorizationInfo")),
    "GSuite.Reports": ("gsuite_reports_rules", ("id", "applicationName"), ("actor", "email"), ("ipAddress",),
                       ("events",)),
    "Azure.Audit": ("azure_rules", ("operationName",), ("identity", "claims", "name"), ("callerIpAddress",),
                    ("properties", "targetResources")),
    "GitHub.Audit": ("github_rules", ("action",), ("actor",), ("actor_ip",), ("teams",)),
    "Slack.AuditLogs": ("slack_rules", ("action",), ("actor", "user", "email"), ("context", "ip_address"),
                        ("entity", "channels")),
    "Zoom.Activity": ("zoom_rules", ("action",), ("operator",), ("ip_address",), ("participants",)),
    "OneLogin.Events": ("onelogin_rules", ("event_type_id",), ("user_name",), ("ipaddr",), ("roles",)),
    "Box.Event": ("box_rules", ("event_type",), ("created_by", "login"), ("ip_address",), ("source", "items")),
    "Crowdstrike.FDREvent": ("crowdstrike_rules", ("event_simpleName",), ("UserName",), ("aip",),
                             ("event", "parents")),
    "Duo.Authentication": ("duo_rules", ("result",), ("user", "name"), ("access_device", "ip"), ("factors",)),
    "Atlassian.Audit": ("atlassian_rules", ("attributes", "action"), ("attributes", "actor", "email"),
                        ("attributes", "location", "ip"), ("attributes", "context")),
    "Auth0.Events": ("auth0_rules", ("data", "type"), ("data", "user_name"), ("data", "ip"),
                     ("data", "details", "scopes")),
    "Notion.AuditLogs": ("notion_rules", ("event", "type"), ("event", "actor", "person", "email"),
                         ("event", "ip_address"), ("event", "details", "pages")),
    "Microsoft365.Audit.General": ("microsoft_rules", ("Operation",), ("UserId",), ("ClientIP",),
                                   ("ExtendedProperties",)),
    "Tailscale.Audit": ("tailscale_rules", ("action",), ("actor", "loginName"), ("origin", "ip"),
                        ("target", "tags")),
    "Teleport.Audit": ("teleport_rules", ("event",), ("user",), ("addr", "remote"), ("roles",)),
    "Asana.Audit": ("asana_rules", ("event_type",), ("actor", "email"), ("context", "client_ip_address"),
                    ("details", "groups")),
    "Kubernetes.Audit": ("kubernetes_rules", ("verb",), ("user", "username"), ("sourceIPs",),
                         ("objectRef", "subresources")),
}
MODELED = list(LOG_TYPES)[:12]  # log types with a data model
WORDS = ("create", "delete", "update", "attach", "detach", "disable", "enable", "grant", "revoke", "login",
         "logout", "export", "download", "share", "invite", "reset", "rotate", "suspend", "approve", "deny")
OBJECTS = ("user", "role", "policy", "key", "token", "bucket", "group", "app", "device", "session", "secret",
           "member", "webhook", "repo", "channel", "rule", "trail", "snapshot", "network", "admin")
IPS = ("203.0.113.7", "198.51.100.23", "192.0.2.44", "10.0.0.5", "172.16.4.9", "185.220.101.7")


def _set(event: dict, path: tuple[str, ...], value) -> None:
    d = event
    for k in path[:-1]:
        d = d.setdefault(k, {})
    d[path[-1]] = value


def camel(word: str, obj: str) -> str:
    return word.capitalize() + obj.capitalize()


def base_event(rng: random.Random, log_type: str, action: str) -> dict:
    _folder, action_p, actor_p, ip_p, list_p = LOG_TYPES[log_type]
    event: dict = {}
    _set(event, action_p, action)
    _set(event, actor_p, f"{rng.choice(('ana', 'bo', 'cy', 'dee', 'eli'))}@example.com")
    _set(event, ip_p, rng.choice(IPS))
    names = [o for o in OBJECTS if o != "secret"]  # a "secret" target is what some rules exempt
    _set(event, list_p, [{"name": rng.choice(names), "id": rng.randrange(10**6)} for _ in range(rng.randint(1, 4))])
    # filler of realistic size and shape: nested objects, arrays, numbers, nulls, booleans
    event["metadata"] = {"request_id": f"{rng.getrandbits(64):016x}", "region": rng.choice(("us-east-1", "eu-west-1")),
                         "tags": [rng.choice(WORDS) for _ in range(rng.randint(0, 5))], "retries": rng.randint(0, 3),
                         "sampled": rng.random() < 0.5, "parent": None,
                         "client": {"userAgent": f"sdk/{rng.randint(1, 3)}.{rng.randint(0, 30)}", "os": "linux"}}
    for i in range(rng.randint(2, 10)):
        event[f"field{i}"] = rng.choice((rng.randrange(10**9), f"value-{rng.getrandbits(32):x}", None, True,
                                         [rng.randrange(100) for _ in range(3)]))
    event.update({"p_log_type": log_type, "p_event_time": "2026-11-22 04:00:00.000000000",
                  "p_row_id": f"{rng.getrandbits(56):014x}", "p_source_label": "bench"})
    return event


HELPERS = {
    "panther_base_helpers": '''
        """Generic helpers shared by every rule folder."""
        import fnmatch
        import ipaddress
        import json
        import re
        from datetime import datetime

        EMAIL = re.compile(r"^[^@\\s]+@([^@\\s]+)$")
        INTERNAL_NETWORKS = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


        def pattern_match(value, pattern):
            return isinstance(value, str) and fnmatch.fnmatch(value, pattern)


        def pattern_match_list(value, patterns):
            return any(pattern_match(value, p) for p in patterns)


        def is_internal_ip(ip):
            try:
                addr = ipaddress.ip_address(ip)
            except (TypeError, ValueError):
                return False
            return any(addr in net for net in INTERNAL_NETWORKS)


        def email_domain(email):
            m = EMAIL.match(email or "")
            return m.group(1).lower() if m else ""


        def to_json(value):
            return json.dumps(value, default=str, sort_keys=True)


        def parse_time(text):
            try:
                return datetime.fromisoformat(str(text)[:19])
            except ValueError:
                return None


        def key_value_list(items, key="name"):
            return [i.get(key) for i in items or [] if hasattr(i, "get")]
        ''',
    "panther_aws_helpers": '''
        """AWS-specific helpers (on top of the generic ones)."""
        from panther_base_helpers import is_internal_ip

        ACCOUNT_NAMES = {"111122223333": "production", "444455556666": "staging"}


        def aws_rule_context(event):
            return {
                "eventName": event.get("eventName"),
                "sourceIPAddress": event.get("sourceIPAddress"),
                "internal": is_internal_ip(event.get("sourceIPAddress")),
                "userIdentity": event.deep_get("userIdentity", "arn"),
            }


        def lookup_aws_account_name(account_id):
            return ACCOUNT_NAMES.get(account_id, account_id)
        ''',
    "panther_identity_helpers": '''
        """Helpers for identity-provider log types (Okta, OneLogin, Duo, Auth0…)."""
        from panther_base_helpers import email_domain, pattern_match_list

        ADMIN_PATTERNS = ["*admin*", "*root*", "*owner*"]


        def is_external(email, corporate="example.com"):
            domain = email_domain(email)
            return bool(domain) and domain != corporate


        def is_privileged(name):
            return pattern_match_list(str(name).lower(), ADMIN_PATTERNS)


        def identity_context(event, actor):
            return {"actor": actor, "domain": email_domain(actor), "privileged": is_privileged(actor)}
        ''',
}


def write_helpers(root: Path) -> None:
    d = root / "global_helpers"
    d.mkdir(parents=True)
    for name, code in HELPERS.items():
        (d / f"{name}.py").write_text(textwrap.dedent(code).lstrip())
        (d / f"{name}.yml").write_text(f"AnalysisType: global\nGlobalID: {name}\nFilename: {name}.py\n"
                                       f"Description: {name.replace('_', ' ')}\n")


def write_data_models(root: Path) -> None:
    d = root / "data_models"
    d.mkdir(parents=True)
    for lt in MODELED:
        _folder, action_p, actor_p, ip_p, list_p = LOG_TYPES[lt]
        name = lt.lower().replace(".", "_") + "_data_model"
        ip_path = "$." + ".".join(ip_p)
        list_path = "$." + ".".join(list_p) + "[0].name"  # a JSONPath beyond plain field chains
        (d / f"{name}.py").write_text(textwrap.dedent(f'''
            """Unified fields for {lt}."""


            def get_actor_user(event):
                actor = event.deep_get({", ".join(repr(k) for k in actor_p)}, default="")
                return actor.split("@", 1)[0] if actor else None


            def get_event_type(event):
                return str(event.deep_get({", ".join(repr(k) for k in action_p)})).lower()
            ''').lstrip())
        (d / f"{name}.yml").write_text(
            f"AnalysisType: datamodel\nDataModelID: Standard.{lt}\nDisplayName: {lt}\nEnabled: true\n"
            f"Filename: {name}.py\nLogTypes:\n  - {lt}\nMappings:\n"
            f"  - Name: source_ip\n    Path: {ip_path}\n"
            f"  - Name: actor_user\n    Method: get_actor_user\n"
            f"  - Name: event_type\n    Method: get_event_type\n"
            f"  - Name: first_target\n    Path: {list_path}\n")


def rule_code(lt: str, action: str, kind: int, allowed: list[str]) -> str:
    _folder, action_p, actor_p, ip_p, list_p = LOG_TYPES[lt]
    a = ", ".join(repr(k) for k in action_p)
    actor = ", ".join(repr(k) for k in actor_p)
    ip = ", ".join(repr(k) for k in ip_p)
    lst = ", ".join(repr(k) for k in list_p)
    modeled = lt in MODELED
    imports = ["from panther_base_helpers import is_internal_ip, pattern_match"]
    if lt == "AWS.CloudTrail":
        imports.append("from panther_aws_helpers import aws_rule_context")
    elif kind % 3 == 0:
        imports.append("from panther_identity_helpers import identity_context, is_privileged")
    if kind % 5 == 0:
        imports.insert(0, "import re")
    body = [*imports, "", f"ACTIONS = {{{action!r}, {action.upper()!r}}}",
            f"ALLOWED_ACTORS = {allowed!r}"]
    if kind % 5 == 0:
        body.append(f"PATTERN = re.compile(r'^{action[:3]}.*', re.IGNORECASE)")
    body += ["", "", "def allowed_actor(actor):", "    return actor in ALLOWED_ACTORS", "", "", "def rule(event):"]
    body.append(f"    if event.deep_get({a}) not in ACTIONS:")
    body.append("        return False")
    if kind % 5 == 0:
        body.append(f"    if not PATTERN.match(str(event.deep_get({a}))):")
        body.append("        return False")
    if kind % 4 == 1:
        body.append(f"    targets = event.deep_walk({lst}, 'name', default=[])")
        body.append("    if 'secret' in (targets if isinstance(targets, list) else [targets]):")
        body.append("        return False")
    body.append(f"    return not allowed_actor(event.deep_get({actor}))")
    body += ["", "", "def title(event):"]
    if modeled and kind % 2 == 0:
        body.append(f"    return f\"{lt}: {{event.udm('actor_user')}} did {action} from {{event.udm('source_ip')}}\"")
    else:
        body.append(f"    return f\"{lt}: {{event.deep_get({actor}, default='<unknown>')}} did {action}\"")
    if kind % 3 != 2:
        body += ["", "", "def dedup(event):", f"    return str(event.deep_get({actor}))"]
    if kind % 4 == 0:
        body += ["", "", "def severity(event):", f"    if is_internal_ip(event.deep_get({ip})):",
                 "        return 'LOW'", "    return 'DEFAULT'"]
    body += ["", "", "def alert_context(event):"]
    if lt == "AWS.CloudTrail":
        body.append("    return aws_rule_context(event)")
    elif kind % 3 == 0:
        body.append(f"    ctx = identity_context(event, event.deep_get({actor}))")
        body.append("    ctx['privileged'] = is_privileged(ctx['actor'])")
        body.append("    return ctx")
    else:
        body.append(f"    return {{'actor': event.deep_get({actor}), 'ip': event.deep_get({ip}), "
                    f"'remote': pattern_match(event.deep_get({ip}), '203.*')}}")
    return "\n".join(body) + "\n"


def tests_yaml(rng: random.Random, lt: str, action: str, kind: int, allowed: list[str]) -> tuple[str, int]:
    _folder, _action_p, actor_p, _ip_p, list_p = LOG_TYPES[lt]
    cases = []
    hit = base_event(rng, lt, action)
    cases.append(("matches", True, hit, None))
    miss = base_event(rng, lt, "describe" + action)
    cases.append(("other action", False, miss, None))
    for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
        ev = base_event(rng, lt, action.upper())
        which = rng.random()
        if which < 0.3:
            _set(ev, actor_p, allowed[0])
            cases.append(("allowed actor", False, ev, None))
        elif which < 0.4 and kind % 4 == 1:
            _set(ev, list_p, [{"name": "app"}, {"name": "secret"}])
            cases.append(("secret target", False, ev, None))
        elif which < 0.55:
            cases.append(("mocked allow-list", False, ev, [{"objectName": "allowed_actor", "returnValue": True}]))
        else:
            cases.append(("upper-case action", True, ev, None))
    lines = ["Tests:"]
    n = 0
    for name, expected, log, mocks in cases:
        n += 1
        lines.append(f"  - Name: {name} {n}")
        lines.append(f"    ExpectedResult: {'true' if expected else 'false'}")
        if mocks:
            lines.append("    Mocks:")
            for m in mocks:
                lines.append(f"      - objectName: {m['objectName']}\n        returnValue: {json.dumps(m['returnValue'])}")
        lines.append("    Log:")
        lines.append(textwrap.indent(json.dumps(log, indent=2), "      "))
    return "\n".join(lines) + "\n", n


def generate(out: Path, n_rules: int, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    write_helpers(out)
    write_data_models(out)
    # CloudTrail gets a quarter of the rules, as in panther-analysis; the rest spread over the others
    weights = [len(LOG_TYPES) if lt == "AWS.CloudTrail" else 1 for lt in LOG_TYPES]
    total_tests = 0
    used: set[str] = set()
    for i in range(n_rules):
        lt = rng.choices(list(LOG_TYPES), weights)[0]
        folder = LOG_TYPES[lt][0]
        while True:
            action = camel(rng.choice(WORDS), rng.choice(OBJECTS)) + str(rng.randrange(100))
            if (lt, action) not in used:
                used.add((lt, action))
                break
        kind = rng.randrange(60)
        allowed = sorted(rng.sample(("ci@example.com", "bot@example.com", "ops@example.com"), 2))
        name = f"{folder[:-6]}_{action.lower()}_{i}"
        d = out / "rules" / folder
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{name}.py").write_text(rule_code(lt, action, kind, allowed))
        tests, n = tests_yaml(rng, lt, action, kind, allowed)
        total_tests += n
        sev = rng.choice(("Info", "Low", "Medium", "High", "Critical"))
        (d / f"{name}.yml").write_text(
            f"AnalysisType: rule\nFilename: {name}.py\nRuleID: \"{lt.split('.')[0]}.{action}.{i}\"\n"
            f"DisplayName: \"{lt}: {action}\"\nEnabled: {'false' if i % 17 == 0 else 'true'}\n"
            f"LogTypes:\n  - {lt}\nTags:\n  - {folder}\n  - {rng.choice(WORDS)}\nSeverity: {sev}\n"
            f"Description: Detects {action} in {lt} by anyone outside the allow-list.\n"
            f"Runbook: Ask the actor whether the {action} was intended.\n"
            f"Reference: https://docs.example.com/{folder}/{action.lower()}\n"
            f"DedupPeriodMinutes: {rng.choice((60, 360, 1440))}\n{tests}")
    return n_rules, total_tests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "benchmarks" / ".content-big"))
    ap.add_argument("--rules", type=int, default=900)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rules, tests = generate(Path(args.out), args.rules, args.seed)
    print(f"{args.out}: {rules} rules, {tests} test cases, {len(LOG_TYPES)} log types, "
          f"{len(MODELED)} data models, {len(HELPERS)} global helpers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
