"""Content signatures of Panther's managed log types: how `detect` recognises each one from its records.

One `Signature` per log type, written from Panther's documentation of that type (the keys and values every
record of it carries), never from where the objects sit in the bucket. JSON signatures name the keys a record
must have (dotted paths; a key that itself contains dots, such as Zeek's `id.orig_h`, is looked up whole
first), values some keys must hold, and the JSON kinds of some values. Text signatures are one regular
expression per line. A record takes the most specific signature it satisfies; two signatures that describe
the same layout (Apache combined and nginx's default access log) say so in `same_layout`.

Detection suggests a signature's log type only when the tool can load that schema (`available`), so it never
points at a schema that does not exist here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

_CLF_TIME = r"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]"
_QUOTED = r'"(?:[^"\\]|\\.)*"'  # a quoted field; servers escape a quote inside it as \"
_MISSING = object()


@dataclass(frozen=True)
class Signature:
    log_type: str  # Panther's managed log type, e.g. Okta.SystemLog
    title: str  # what users call it, e.g. "Okta System Log"
    format_id: str  # stable id in `detect --json`
    parser: str  # the Panther parser a custom schema would use: JSON, csv, fastmatch, regex
    keys: tuple[str, ...] = ()  # JSON: paths every record has (null counts as present)
    any_keys: tuple[tuple[str, ...], ...] = ()  # JSON: of each of these groups, at least one path is present
    equals: dict[str, tuple[str, ...]] = field(default_factory=dict)  # JSON: path -> allowed values
    kinds: dict[str, type | tuple[type, ...]] = field(default_factory=dict)  # JSON: path -> Python type(s)
    matching: dict[str, re.Pattern] = field(default_factory=dict)  # JSON: path -> a pattern its text contains
    pattern: re.Pattern | None = None  # text: a whole line matches
    what: str = ""  # text: the layout in words, for the reason
    same_layout: tuple[str, ...] = ()  # log types whose records look exactly like these
    confidence: float = 0.97
    # False for a variant of the type's logs that Panther's managed parser does not read (nginx's main format
    # with X-Forwarded-For has one column more than Nginx.Access takes): named, but never suggested
    managed_reads: bool = True

    @property
    def is_json(self) -> bool:
        return self.pattern is None

    @property
    def specificity(self) -> int:
        return len(self.keys) + len(self.any_keys) + 2 * len(self.equals) + len(self.kinds) + 2 * len(self.matching)

    def matches_json(self, value: dict) -> bool:
        for path in self.keys:
            if lookup(value, path) is _MISSING:
                return False
        for group in self.any_keys:
            if all(lookup(value, p) is _MISSING for p in group):
                return False
        for path, allowed in self.equals.items():
            if lookup(value, path) not in allowed:
                return False
        for path, kind in self.kinds.items():
            v = lookup(value, path)
            if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
                return False
        for path, rx in self.matching.items():
            v = lookup(value, path)
            if not isinstance(v, str) or not rx.search(v):
                return False
        return True

    def reason(self, n: int, total: int) -> str:
        if self.is_json:
            shown = list(self.keys) + [" or ".join(group) for group in self.any_keys]
            values = [f"{p}={v[0]!r}" for p, v in self.equals.items() if len(v) == 1]
            return (f"{n}/{total} records have {self.title} keys: {', '.join(shown)}"
                    + (f" ({', '.join(values)})" if values else ""))
        return f"{n}/{total} lines match the {self.title} layout ({self.what})"


def lookup(value: object, path: str) -> object:
    """The value at a dotted path, or _MISSING. A key containing dots is tried whole before splitting."""
    if isinstance(value, dict) and path in value:
        return value[path]
    head, dot, rest = path.partition(".")
    if not dot or not isinstance(value, dict) or head not in value:
        return _MISSING
    return lookup(value[head], rest)


def _j(log_type: str, title: str, keys: tuple[str, ...], **kw) -> Signature:
    return Signature(log_type, title, kw.pop("format_id", log_type.lower().replace(".", "_")), "JSON", keys=keys, **kw)


def _t(log_type: str, title: str, format_id: str, parser: str, pattern: str, what: str, **kw) -> Signature:
    return Signature(log_type, title, format_id, parser, pattern=re.compile(pattern), what=what, **kw)


_AZURE_ACTIVITY = ("Administrative", "ServiceHealth", "ResourceHealth", "Alert", "Autoscale", "Security",
                   "Recommendation", "Policy")

SIGNATURES: tuple[Signature, ...] = (
    # --- AWS ---------------------------------------------------------------------------------------------
    _j("AWS.CloudTrail", "CloudTrail", ("eventVersion", "eventSource", "eventName", "eventTime"), format_id="cloudtrail",
       confidence=0.99),
    _j("AWS.GuardDuty", "GuardDuty finding", ("schemaVersion", "accountId", "arn", "type", "resource", "service",
                                              "severity", "createdAt")),
    _j("AWS.SecurityFindingFormat", "AWS Security Finding (ASFF)", ("SchemaVersion", "ProductArn", "GeneratorId",
                                                                   "AwsAccountId", "Resources")),
    _j("AWS.WAFWebACL", "AWS WAF web ACL log", ("timestamp", "formatVersion", "webaclId", "terminatingRuleId", "action",
                                                "httpRequest")),
    _j("AWS.VPCDns", "Route 53 Resolver query log", ("query_timestamp", "query_name", "query_type", "rcode", "srcaddr",
                                                     "vpc_id")),
    _t("AWS.S3ServerAccess", "S3 server access log", "s3_access", "fastmatch",
       rf"^\S+ \S+ {_CLF_TIME} \S+ \S+ \S+ [A-Z0-9]+\.[A-Z0-9_.]+ \S+ (\"[^\"]*\"|-) (\d{{3}}|-) ",
       "bucket owner, bucket, [time], remote IP, requester, request id, operation"),
    _t("AWS.ALB", "ALB access log", "alb", "fastmatch",
       r"^(?:http|https|h2|grpcs|ws|wss) \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z \S+ \S+:\d+ \S+ "
       r"[-\d.]+ [-\d.]+ [-\d.]+ (?:\d{3}|-) (?:\d{3}|-) \d+ \d+ \"",
       "type, time, elb, client:port, target:port, timings, status codes"),
    _t("AWS.VPCFlow", "VPC flow log", "vpc_flow", "csv",
       r"^\d+ (?:\d{12}|unknown|-) (?:eni-[0-9a-f]+|-) \S+ \S+ \S+ \S+ \S+ \S+ \S+ (?:\d+|-) (?:\d+|-) "
       r"(?:ACCEPT|REJECT|-) (?:OK|NODATA|SKIPDATA)",
       "version, account-id, interface-id, addresses, ports, action, log-status", confidence=0.95),
    _j("Amazon.EKS.Audit", "Kubernetes audit event (EKS)", ("kind", "apiVersion", "auditID", "stage", "verb", "requestURI"),
       equals={"kind": ("Event",)}),
    # --- identity and SaaS -------------------------------------------------------------------------------
    _j("Okta.SystemLog", "Okta System Log", ("uuid", "published", "eventType", "actor", "client", "outcome")),
    # only the activity, data_access and system_event logs, as the schema's `managed.require` (gcplogs/auditlog.go)
    _j("GCP.AuditLog", "GCP audit log", ("logName", "receiveTimestamp", "protoPayload"),
       equals={"protoPayload.@type": ("type.googleapis.com/google.cloud.audit.AuditLog",)},
       matching={"logName": re.compile(r"/logs/cloudaudit\.googleapis\.com%2F(?:activity|data_access|system_event)$")}),
    _j("GitHub.Audit", "GitHub audit log", ("action", "actor"),
       any_keys=(("created_at", "@timestamp"), ("_document_id", "org", "business", "repo", "user")), kinds={"actor": str}),
    _j("GSuite.ActivityEvent", "Google Workspace activity event", ("kind", "id.applicationName", "id.time", "name"),
       equals={"kind": ("admin#reports#activity",)}),
    _j("OnePassword.ItemUsage", "1Password item usage", ("uuid", "timestamp", "used_version", "vault_uuid", "item_uuid",
                                                         "user", "client")),
    _j("Slack.AuditLogs", "Slack audit log", ("id", "date_create", "action", "actor", "entity", "context")),
    _j("Zoom.Operation", "Zoom operation log", ("time", "operator", "category_type", "action", "operation_detail")),
    _j("Box.Event", "Box event", ("type", "event_id", "event_type", "source"), equals={"type": ("event",)}),
    _j("Duo.Authentication", "Duo authentication log", ("txid", "isotimestamp", "result", "factor")),
    _j("Duo.Administrator", "Duo administrator log", ("action", "isotimestamp", "object", "username")),
    _j("Azure.Audit", "Entra ID audit log", ("time", "operationName", "category", "properties"),
       equals={"category": ("AuditLogs",)}),
    _j("Azure.MonitorActivity", "Azure activity log", ("time", "resourceId", "operationName", "category", "correlationId"),
       equals={"category": _AZURE_ACTIVITY}),
    _j("Notion.AuditLogs", "Notion audit log", ("event.id", "event.timestamp", "event.workspace_id", "event.type",
                                                "event.actor")),
    _j("Atlassian.Audit", "Atlassian organization audit log", ("id", "attributes.time", "attributes.action",
                                                               "attributes.actor")),
    _j("Gravitational.TeleportAudit", "Teleport audit log", ("event", "code", "time", "uid"), kinds={"event": str}),
    _j("GitLab.API", "GitLab API log", ("time", "severity", "duration_s", "status", "method", "path", "route", "host")),
    _j("Auth0.Events", "Auth0 log stream event", ("log_id", "data.date", "data.type")),
    # --- network, endpoint, web --------------------------------------------------------------------------
    _j("Cloudflare.HttpRequest", "Cloudflare HTTP request log", ("ClientIP", "ClientRequestHost", "EdgeStartTimestamp")),
    _j("Cloudflare.Firewall", "Cloudflare firewall event", ("Action", "ClientIP", "Datetime", "Source"),
       any_keys=(("RayID", "RayName", "RuleID"),)),
    _j("Crowdstrike.FDREvent", "CrowdStrike FDR event", ("event_simpleName", "aid")),
    _j("Crowdstrike.EventStreams", "CrowdStrike event stream", ("metadata.eventType", "metadata.customerIDString", "event")),
    _j("Osquery.Differential", "osquery differential result", ("name", "hostIdentifier", "calendarTime", "action", "columns"),
       equals={"action": ("added", "removed")}),
    _j("Zeek.DNS", "Zeek DNS log", ("ts", "uid", "id.orig_h", "id.resp_h", "query")),
    # Zeek's default TSV layout: dns.log rows (ts uid orig_h orig_p resp_h resp_p proto trans_id …), and the
    # two header lines that say the object is a dns.log
    _t("Zeek.DNS", "Zeek DNS log (TSV)", "zeek_dns_tsv", "csv",
       r"^(?:\d{9,10}\.\d+\t\S+\t[0-9A-Fa-f.:]+\t\d+\t[0-9A-Fa-f.:]+\t\d+\t(?:udp|tcp|unknown_transport)\t"
       r"|#path\tdns$|#fields\tts\tuid\tid\.orig_h\tid\.orig_p\tid\.resp_h\tid\.resp_p\tproto\ttrans_id\t)",
       "Zeek's tab-separated dns.log: ts, uid, originator and responder address and port, proto, trans_id"),
    _t("CiscoUmbrella.DNS", "Cisco Umbrella DNS log", "ciscoumbrella_dns", "csv",
       r'^"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}","[^"]*","[^"]*","[^"]*","[^"]*","(?:Allowed|Blocked)","\d+ \([^)]*\)",'
       r'"[A-Z]+","[^"]*"', "quoted timestamp, identities, internal and external IP, Allowed/Blocked, query type, rcode, domain"),
    _t("Syslog.RFC5424", "syslog (RFC 5424)", "syslog_5424", "regex",
       r"^<\d{1,3}>\d{1,2} (?:-|\d{4}-\d{2}-\d{2}T\S+) \S+ \S+ \S+ \S+ (?:-|\[)",
       "<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD", confidence=0.95),
    # BSD syslog: Mmm dd hh:mm:ss, or the RFC 3339 stamp rsyslog and syslog-ng write in the same slot; the tag
    # is optional, as Panther's parser takes it (never `<PRI>1 `: that is RFC 5424, tried first)
    _t("Syslog.RFC3164", "syslog (RFC 3164)", "syslog_3164", "regex",
       r"^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\S*) \S+ \S",
       "Mmm dd hh:mm:ss (or an RFC 3339 time) host tag: message", confidence=0.9),
    # Panther's Nginx.Access reads nginx's `combined` format only, exactly ten space-separated columns
    # (nginxlogs/access.go); the `main` format's X-Forwarded-For column is recognised but needs a custom schema
    _t("Nginx.Access", "nginx access log (main format, with X-Forwarded-For)", "nginx_access", "regex",
       rf"^\S+ - \S+ {_CLF_TIME} {_QUOTED} \d{{3}} \d+ {_QUOTED} {_QUOTED} {_QUOTED}\s*$",
       "nginx's main format: combined plus X-Forwarded-For", managed_reads=False, confidence=0.93),
    _t("Apache.AccessCombined", "Apache/nginx combined access log", "apache_combined", "regex",
       rf"^\S+ \S+ \S+ {_CLF_TIME} {_QUOTED} \d{{3}} (?:\d+|-) {_QUOTED} {_QUOTED}",
       "CLF plus referer and user agent", same_layout=("Nginx.Access",), confidence=0.95),
    # nginx's combined format is Apache's combined layout with '-' as identity: the line above names it first
    # and offers Nginx.Access beside Apache.AccessCombined; this one says which lines Nginx.Access reads
    _t("Nginx.Access", "nginx access log (combined format)", "nginx_combined", "regex",
       rf"^\S+ - \S+ {_CLF_TIME} {_QUOTED} \d{{3}} \d+ {_QUOTED} {_QUOTED}\s*$",
       "nginx's combined format", same_layout=("Apache.AccessCombined",), confidence=0.93),
    _t("Apache.AccessCommon", "Apache common access log", "apache_common", "regex",
       rf"^\S+ \S+ \S+ {_CLF_TIME} {_QUOTED} \d{{3}} (?:\d+|-)\s*$", "CLF", confidence=0.93),
)

BY_FORMAT_ID = {s.format_id: s for s in SIGNATURES}
BY_LOG_TYPE: dict[str, Signature] = {}
for _s in sorted(SIGNATURES, key=lambda s: not s.managed_reads):  # stable: else in SIGNATURES order
    BY_LOG_TYPE.setdefault(_s.log_type, _s)  # a type written both as JSON and as text: its JSON signature
# Zeek's header lines that say nothing about which log it is: not a record of any format
_ZEEK_META = re.compile(r"^#(?:separator|set_separator|empty_field|unset_field|open|close|types)\b")


def is_metadata_line(line: str) -> bool:
    """A line that is no record (Zeek's TSV header lines other than #path and #fields)."""
    return line.startswith("#") and bool(_ZEEK_META.match(line))
_JSON = sorted((s for s in SIGNATURES if s.is_json), key=lambda s: -s.specificity)
_TEXT = [s for s in SIGNATURES if not s.is_json]


def match_json(value: dict) -> Signature | None:
    """The most specific JSON signature this object satisfies, or None."""
    for s in _JSON:
        if s.matches_json(value):
            return s
    return None


def match_text(line: str) -> Signature | None:
    """The first text signature whose layout this line has (SIGNATURES lists nginx's main format before the
    combined layout it extends, and combined before common)."""
    for s in _TEXT:
        if s.pattern is not None and s.pattern.match(line):
            return s
    return None


# Panther parser settings a custom schema for these layouts would start from (detect's `parser_config`)
_APACHE_HEAD = (r'\s*(?P<remote_host_ip_address>\S+)\s+(?P<client_identity_rfc_1413>\S+)\s+(?P<request_user>\S+)\s+'
                r'\[(?P<request_time>[^\]]+)\]\s+'
                r'"(?:(?P<request_method>[A-Za-z]+) (?P<request_uri>\S+)(?: (?P<request_protocol>[^"\s]+))?|(?:[^"\\]|\\.)*)"\s+')
_NGINX_COMBINED = (r'(?P<remoteAddr>\S+) - (?P<remoteUser>\S+) \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
                   r'(?P<status>\d{3}) (?P<bodyBytesSent>\d+) "(?P<httpReferer>(?:[^"\\]|\\.)*)" '
                   r'"(?P<httpUserAgent>(?:[^"\\]|\\.)*)"')
PARSER_PATTERNS = {
    "s3_access": ('%{bucketowner} %{bucket} [%{time}] %{remoteip} %{requester} %{requestid} %{operation} %{key} '
                  '"%{requesturi}" %{httpstatus} %{errorcode} %{bytessent} %{objectsize} %{totaltime} '
                  '%{turnaroundtime} "%{referrer}" "%{useragent}" %{versionid} %{hostid}'),
    # the regexes of the shipped schemas (schemas/Apache.*.yml, Nginx.Access.yml; a test keeps them equal): a
    # request line may be '-' or garbage and nginx writes unprintable bytes as \xHH, which fastmatch cannot take
    "apache_combined": (_APACHE_HEAD + r'(?P<response_status>\d{3})\s+(?P<response_size>\d+|-)\s+'
                        r'"(?P<referer>(?:[^"\\]|\\.)*)"\s+"(?P<user_agent>(?:[^"\\]|\\.)*)"\s*$'),
    "apache_common": _APACHE_HEAD + r'(?P<response_status>\d{3})\s+(?P<response_size>\d+|-)\s*$',
    "nginx_combined": _NGINX_COMBINED + "$",
    "nginx_access": _NGINX_COMBINED + r' "(?P<httpXForwardedFor>(?:[^"\\]|\\.)*)"\s*$',
    "alb": ('%{type} %{timestamp} %{elb} %{client} %{target} %{request_processing_time} %{target_processing_time} '
            '%{response_processing_time} %{elb_status_code} %{target_status_code} %{received_bytes} %{sent_bytes} '
            '"%{request}" "%{user_agent}" %{}'),
    "syslog_5424": r"^<(?P<priority>\d{1,3})>(?P<version>\d{1,2}) (?P<timestamp>\S+) (?P<hostname>\S+) "
                   r"(?P<appname>\S+) (?P<procid>\S+) (?P<msgid>\S+) (?P<structured_data>-|\[.*?\]) ?(?P<message>.*)$",
    "syslog_3164": r"^(?:<(?P<priority>\d{1,3})>)?(?P<timestamp>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\S+) "
                   r"(?P<hostname>[^\s\[\]]+) (?:(?P<tag>[^:\[\s]+)(?:\[(?P<procid>\d+)\])?: )?(?P<message>.*)$",
}


# every field a VPC flow log format may name (versions 2 to 8), for recognising a custom format by its header
_VPC_FIELDS = {"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
               "packets", "bytes", "start", "end", "action", "log-status", "vpc-id", "subnet-id", "instance-id",
               "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region", "az-id", "sublocation-type",
               "sublocation-id", "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
               "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
               "ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn",
               "ecs-task-arn", "ecs-task-id", "reject-reason"}


def is_vpc_header(s: str) -> bool:
    """A VPC flow log header line (its own format's field names), default or custom."""
    words = s.split()
    return len(words) >= 5 and all(w in _VPC_FIELDS for w in words) and bool({"srcaddr", "interface-id"} & set(words))


SHIPPED_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@cache
def shipped_log_types() -> frozenset[str]:
    """Log types whose schema file ships in this checkout's schemas/ (what detection suggests by default).

    Names come from the file names (`Okta.SystemLog.yml`); the schema tests load and validate every one of
    them. A caller with a config passes `workbench.schema.loadable_log_types(config.schema_dirs)` instead.
    """
    if not SHIPPED_SCHEMAS.is_dir():
        return frozenset()
    return frozenset(p.stem for p in SHIPPED_SCHEMAS.glob("*.yml") if not p.stem.endswith("_tests"))
