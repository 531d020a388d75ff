"""Deterministic generators for the demo's log formats. Pure: bytes in memory, no AWS.

Every generator takes a `random.Random` and a point in time, so a seed plus an end date reproduce the
bucket byte for byte. Formats (and the log types the demo config maps them to):

- Panoptica NDJSON, three event types with different shapes and timestamp formats
  (Custom.Panoptica.Auth: `ts` RFC 3339; Custom.Panoptica.FileAccess: `timestamp` unix ms;
  Custom.Panoptica.PolicyChange: `event_time` "%Y-%m-%d %H:%M:%S"); nested objects, arrays, an
  embedded-JSON string (`context`), optional fields, IPs, ARNs, e-mails, hashes.
- CloudTrail files: `{"Records": [...]}` (AWS.CloudTrail).
- S3 server access log lines (AWS.S3ServerAccess), with `-` nulls and quoted fields.
- A payments application log: CSV with a header, `%d/%b/%Y:%H:%M:%S %z` timestamps (Custom.AppLog).

Some events are deliberately suspicious so the demo rules in `rules/` fire on history and on live data.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1")
PANOPTICA_TYPES = ("auth", "file_access", "policy_change")
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory", "trent")
DOMAIN = "acme-corp.example"
EXTERNAL_DOMAINS = ("gmail.com", "protonmail.com", "partner-co.example")
INTERNAL_NETS = ("10.0.", "10.12.", "172.20.")
PUBLIC_IPS = ("203.0.113.", "198.51.100.", "192.0.2.")
SUSPICIOUS_IPS = ("185.220.101.7", "45.155.205.233", "91.240.118.172")
USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "panoptica-cli/2.4.1 python/3.11",
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 botocore/2.4.5",
)
FILES = ("/finance/q3-forecast.xlsx", "/hr/salaries-2026.csv", "/eng/roadmap.md", "/legal/nda-template.docx",
         "/eng/secrets/deploy-keys.txt", "/sales/pipeline.xlsx", "/board/minutes-oct.pdf")


def gzip_bytes(data: bytes) -> bytes:
    """gzip with mtime 0, so the same content gives the same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def ndjson(events: list[dict]) -> bytes:
    return ("\n".join(json.dumps(e, separators=(",", ":")) for e in events) + "\n").encode()


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ip(rng: random.Random, *, suspicious: bool = False) -> str:
    if suspicious:
        return rng.choice(SUSPICIOUS_IPS)
    if rng.random() < 0.5:
        return rng.choice(INTERNAL_NETS) + f"{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return rng.choice(PUBLIC_IPS) + str(rng.randint(1, 254))


def _user(rng: random.Random) -> str:
    return rng.choice(USERS)


def _email(user: str) -> str:
    return f"{user}@{DOMAIN}"


def _times(rng: random.Random, start: datetime, span: timedelta, n: int) -> list[datetime]:
    seconds = max(1, int(span.total_seconds()))
    return sorted(start + timedelta(seconds=rng.randrange(seconds), microseconds=rng.randrange(1000) * 1000)
                  for _ in range(n))


def rfc3339_ms(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


# --- Panoptica ---------------------------------------------------------------------------------------------

def panoptica_auth(rng: random.Random, t: datetime, account: str, *, suspicious: bool = False) -> dict:
    user = "mallory" if suspicious else _user(rng)
    failed = suspicious or rng.random() < 0.08
    method = rng.choice(("password", "sso", "sso", "api_key"))
    event = {
        "ts": rfc3339_ms(t),
        "event_type": "auth",
        "event_id": _uuid(rng),
        "account_id": account,
        "actor": {
            "email": _email(user),
            "user_id": f"u-{USERS.index(user) + 1000}",
            "roles": rng.sample(["viewer", "dev", "admin", "billing"], k=rng.randint(1, 2)),
            "mfa": (not suspicious) and method != "api_key" and rng.random() < 0.9,
        },
        "outcome": "failure" if failed else "success",
        "method": method,
        "client": {
            "ip": _ip(rng, suspicious=suspicious),
            "user_agent": rng.choice(USER_AGENTS),
            "geo": {"country": rng.choice(("US", "US", "DE", "GB", "RU" if suspicious else "IE")),
                    "city": rng.choice(("Seattle", "Berlin", "London", "Dublin"))},
        },
        "session_id": f"s-{rng.getrandbits(48):012x}",
        "context": json.dumps({"risk_score": rng.randint(70, 99) if suspicious else rng.randint(0, 40),
                               "device_id": f"d-{rng.getrandbits(32):08x}", "new_device": suspicious}),
    }
    if failed:
        event["failure_reason"] = rng.choice(("bad_password", "mfa_timeout", "locked_out"))
    return event


def panoptica_file_access(rng: random.Random, t: datetime, account: str, *, suspicious: bool = False) -> dict:
    user = _user(rng)
    action = "share" if suspicious else rng.choice(("read", "read", "read", "write", "delete", "share"))
    path = rng.choice(FILES)
    event = {
        "timestamp": int(t.timestamp() * 1000),
        "event_type": "file_access",
        "id": _uuid(rng),
        "account": account,
        "user": {"email": _email(user), "arn": f"arn:aws:iam::{account}:user/{user}"},
        "action": action,
        "file": {
            "path": path,
            "size_bytes": rng.randint(200, 5_000_000),
            "sha256": f"{rng.getrandbits(256):064x}",
            "labels": ["confidential"] if "/finance" in path or "/hr" in path or "/board" in path else [],
        },
        "src_ip": _ip(rng),
        "bytes_transferred": rng.randint(0, 5_000_000),
        "duration_sec": round(rng.uniform(0.01, 9.0), 3),
    }
    if action == "share":
        domain = rng.choice(EXTERNAL_DOMAINS) if suspicious or rng.random() < 0.3 else DOMAIN
        event["shared_with"] = [f"{rng.choice(('jo', 'sam', 'kim', 'lee'))}@{domain}"]
    return event


def panoptica_policy_change(rng: random.Random, t: datetime, account: str, *, suspicious: bool = False) -> dict:
    role = rng.choice(("Admin", "PlatformEngineer", "SecurityAudit"))
    name = rng.choice(("data-lake-read", "ci-deploy", "billing-view", "break-glass"))
    actions = ["*"] if suspicious else rng.sample(["s3:GetObject", "s3:ListBucket", "kms:Decrypt", "sqs:ReceiveMessage"], k=2)
    event: dict[str, Any] = {
        "event_time": t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "event_type": "policy_change",
        "change_id": f"chg-{rng.getrandbits(40):010x}",
        "account_id": account,
        "actor_arn": f"arn:aws:iam::{account}:role/{role}",
        "policy": {
            "name": name,
            "arn": f"arn:aws:iam::{account}:policy/{name}",
            "version": rng.randint(1, 12),
            "statements": [{"effect": "Allow", "actions": actions,
                            "resources": ["*"] if suspicious else [f"arn:aws:s3:::acme-{name}/*"]}],
        },
        "source_ip": _ip(rng),
    }
    if rng.random() < 0.7:
        event["previous_version"] = max(1, event["policy"]["version"] - 1)
    if rng.random() < 0.5 and not suspicious:
        event["approved_by"] = _email(rng.choice(USERS))
        event["ticket"] = f"SEC-{rng.randint(1000, 9999)}"
    return event


PANOPTICA_MAKERS = {"auth": panoptica_auth, "file_access": panoptica_file_access, "policy_change": panoptica_policy_change}


def panoptica_object(rng: random.Random, event_type: str, account: str, start: datetime, span: timedelta,
                     n: int, suspicious_ratio: float = 0.03) -> bytes:
    make = PANOPTICA_MAKERS[event_type]
    events = [make(rng, t, account, suspicious=rng.random() < suspicious_ratio) for t in _times(rng, start, span, n)]
    return gzip_bytes(ndjson(events))


# --- CloudTrail --------------------------------------------------------------------------------------------

_CT_EVENTS = (
    ("s3.amazonaws.com", "GetObject", True, "AwsApiCall"),
    ("s3.amazonaws.com", "PutObject", False, "AwsApiCall"),
    ("sts.amazonaws.com", "AssumeRole", True, "AwsApiCall"),
    ("iam.amazonaws.com", "ListRoles", True, "AwsApiCall"),
    ("ec2.amazonaws.com", "DescribeInstances", True, "AwsApiCall"),
    ("kms.amazonaws.com", "Decrypt", True, "AwsApiCall"),
    ("signin.amazonaws.com", "ConsoleLogin", False, "AwsConsoleSignIn"),
)
_CT_SUSPICIOUS = (
    ("cloudtrail.amazonaws.com", "StopLogging", False, "AwsApiCall"),
    ("signin.amazonaws.com", "ConsoleLogin", False, "AwsConsoleSignIn"),  # root, no MFA
    ("iam.amazonaws.com", "CreateAccessKey", False, "AwsApiCall"),
)


def cloudtrail_record(rng: random.Random, t: datetime, account: str, region: str, *, suspicious: bool = False) -> dict:
    source, name, read_only, etype = rng.choice(_CT_SUSPICIOUS if suspicious else _CT_EVENTS)
    user = _user(rng)
    root = suspicious and name == "ConsoleLogin"
    identity = (
        {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account}
        if root else
        {"type": "AssumedRole", "principalId": f"AROA{rng.getrandbits(64):016X}:{user}",
         "arn": f"arn:aws:sts::{account}:assumed-role/Engineer/{user}", "accountId": account,
         "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
         "sessionContext": {
             "sessionIssuer": {"type": "Role", "principalId": f"AROA{rng.getrandbits(40):010X}",
                               "arn": f"arn:aws:iam::{account}:role/Engineer", "accountId": account, "userName": "Engineer"},
             "attributes": {"creationDate": rfc3339_ms(t - timedelta(minutes=rng.randint(1, 50)))[:19] + "Z",
                            "mfaAuthenticated": "true" if rng.random() < 0.8 else "false"}}}
    )
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": _ip(rng, suspicious=suspicious),
        "userAgent": rng.choice(USER_AGENTS),
        "requestParameters": None,
        "responseElements": None,
        "requestID": _uuid(rng),
        "eventID": _uuid(rng),
        "readOnly": read_only,
        "eventType": etype,
        "managementEvent": source != "s3.amazonaws.com",
        "recipientAccountId": account,
        "eventCategory": "Data" if source == "s3.amazonaws.com" else "Management",
    }
    if source == "s3.amazonaws.com":
        record["requestParameters"] = {"bucketName": "acme-prod-data", "key": f"exports/{rng.getrandbits(32):08x}.parquet"}
        record["resources"] = [{"type": "AWS::S3::Object",
                                "ARN": f"arn:aws:s3:::acme-prod-data/exports/x{rng.randint(1, 99)}.parquet"},
                               {"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::acme-prod-data"}]
    elif name == "AssumeRole":
        record["requestParameters"] = {"roleArn": f"arn:aws:iam::{account}:role/Deployer", "roleSessionName": user}
    elif name == "ConsoleLogin":
        record["responseElements"] = {"ConsoleLogin": "Success"}
        record["additionalEventData"] = {"LoginTo": "https://console.aws.amazon.com/console/home",
                                         "MobileVersion": "No", "MFAUsed": "No" if root else "Yes"}
    elif name == "StopLogging":
        record["requestParameters"] = {"name": f"arn:aws:cloudtrail:{region}:{account}:trail/org-trail"}
    elif name == "CreateAccessKey":
        record["requestParameters"] = {"userName": user}
        record["responseElements"] = {"accessKey": {"userName": user, "status": "Active",
                                                    "accessKeyId": f"AKIA{rng.getrandbits(64):016X}"}}
    if rng.random() < 0.05 and not suspicious:
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = f"User: {identity['arn']} is not authorized to perform: {source.split('.')[0]}:{name}"
    return record


def cloudtrail_object(rng: random.Random, account: str, region: str, start: datetime, span: timedelta, n: int,
                      suspicious_ratio: float = 0.02) -> bytes:
    records = [cloudtrail_record(rng, t, account, region, suspicious=rng.random() < suspicious_ratio)
               for t in _times(rng, start, span, n)]
    return gzip_bytes(json.dumps({"Records": records}, separators=(",", ":")).encode())


def cloudtrail_key(rng: random.Random, account: str, region: str, t: datetime) -> str:
    t = t.astimezone(UTC)
    return (f"AWSLogs/{account}/CloudTrail/{region}/{t:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{t:%Y%m%dT%H%M}Z_{rng.getrandbits(64):016x}.json.gz")


# --- S3 server access log ----------------------------------------------------------------------------------

_OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
_OPS = (("REST.GET.OBJECT", "GET", 200), ("REST.PUT.OBJECT", "PUT", 200), ("REST.HEAD.OBJECT", "HEAD", 200),
        ("REST.GET.BUCKET", "GET", 200), ("REST.DELETE.OBJECT", "DELETE", 204), ("REST.GET.OBJECT", "GET", 404))


def s3_access_line(rng: random.Random, t: datetime, bucket: str, account: str, *, suspicious: bool = False) -> str:
    op, verb, status = rng.choice(_OPS)
    if suspicious:
        op, verb, status = "REST.GET.OBJECT", "GET", 403
    key = f"exports/{rng.choice(('daily', 'weekly'))}/report {rng.randint(1, 99)}.csv" if op.endswith("OBJECT") else None
    enc_key = key.replace(" ", "%20") if key else "-"
    uri = (f"{verb} /{bucket}/{enc_key}?x-id={verb.title()}Object HTTP/1.1" if key
           else f"{verb} /{bucket}?list-type=2&prefix=exports%2F HTTP/1.1")
    anon = suspicious and rng.random() < 0.5
    requester = "-" if anon else f"arn:aws:sts::{account}:assumed-role/Engineer/{_user(rng)}"
    size = rng.randint(100, 900000)
    error = {403: "AccessDenied", 404: "NoSuchKey"}.get(status, "-")
    fields = [
        _OWNER, bucket, t.astimezone(UTC).strftime("[%d/%b/%Y:%H:%M:%S +0000]"), _ip(rng, suspicious=suspicious),
        requester, f"{rng.getrandbits(64):016X}", op, enc_key, f'"{uri}"', str(status), error,
        str(size) if status == 200 and verb == "GET" else "-", str(size) if key else "-",
        str(rng.randint(1, 400)), str(rng.randint(1, 50)) if status < 400 else "-",
        '"-"', f'"{rng.choice(USER_AGENTS)}"', "-",
        f"{rng.getrandbits(200):050x}=", "SigV4", "ECDHE-RSA-AES128-GCM-SHA256",
        "AuthHeader", f"{bucket}.s3.us-east-1.amazonaws.com", "TLSv1.2",
        "-", "Yes" if rng.random() < 0.2 else "-",
    ]
    return " ".join(fields)


def s3_access_object(rng: random.Random, bucket: str, account: str, start: datetime, span: timedelta, n: int,
                     suspicious_ratio: float = 0.03) -> bytes:
    lines = [s3_access_line(rng, t, bucket, account, suspicious=rng.random() < suspicious_ratio)
             for t in _times(rng, start, span, n)]
    return ("\n".join(lines) + "\n").encode()


def s3_access_key(rng: random.Random, account: str, region: str, bucket: str, t: datetime) -> str:
    t = t.astimezone(UTC)
    return f"s3-access/{account}/{region}/{bucket}/{t:%Y/%m/%d}/{t:%Y-%m-%d-%H-%M-%S}-{rng.getrandbits(64):016X}"


# --- Payments application log (CSV) ------------------------------------------------------------------------

APP_COLUMNS = ("timestamp", "level", "service", "request_id", "user_email", "client_ip", "method", "path",
               "status", "latency_ms", "amount_usd", "card_country", "message")


def app_log_row(rng: random.Random, t: datetime, *, suspicious: bool = False) -> list[str]:
    status = 402 if suspicious else rng.choice((200, 200, 200, 201, 400, 500))
    amount = round(rng.uniform(9500, 25000), 2) if suspicious else round(rng.uniform(1, 600), 2)
    level = "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"
    message = {200: "payment accepted", 201: "refund created", 400: "validation failed: card_expired",
               402: "payment declined: velocity limit", 500: "upstream timeout, retried"}[status]
    return [
        t.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"), level, "payments-api", _uuid(rng),
        _email(_user(rng)) if rng.random() < 0.9 else "", _ip(rng, suspicious=suspicious),
        "POST" if status != 200 or rng.random() < 0.7 else "GET", rng.choice(("/v1/charges", "/v1/refunds", "/v1/customers")),
        str(status), str(rng.randint(3, 2500)), f"{amount:.2f}",
        rng.choice(("US", "DE", "GB", "BR")) if not suspicious else rng.choice(("NG", "RU", "KP")), message,
    ]


def app_log_object(rng: random.Random, start: datetime, span: timedelta, n: int, suspicious_ratio: float = 0.03) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(APP_COLUMNS)
    for t in _times(rng, start, span, n):
        w.writerow(app_log_row(rng, t, suspicious=rng.random() < suspicious_ratio))
    return gzip_bytes(buf.getvalue().encode())


# --- Hostile objects ---------------------------------------------------------------------------------------

MARKUP_PAYLOAD = "[bold red]pwned[/] [@click=app.quit]click me[/] [link=https://evil.example]x[/link] [/]"
ANSI_PAYLOAD = "\x1b[2J\x1b[31mred\x1b[0m \x1b]0;owned-title\x07 \x1b]52;c;ZXZpbA==\x07 \u202egnp.exe\u202c \x00nul"


def hostile_objects(rng: random.Random, t: datetime, account: str) -> dict[str, bytes]:
    """Objects with hostile content inside the Panoptica auth prefix; every JSON line still parses."""
    import zstandard

    base = f"Panoptica/auth/{t:%Y-%m-%d}/{account}/"
    markup = panoptica_auth(rng, t, account)
    markup["actor"]["email"] = f"{MARKUP_PAYLOAD}@{DOMAIN}"
    markup["client"]["user_agent"] = ANSI_PAYLOAD
    markup["failure_reason"] = MARKUP_PAYLOAD
    long_line = panoptica_auth(rng, t, account)
    long_line["client"]["user_agent"] = "A" * 1_500_000
    bad_utf8 = (ndjson([panoptica_auth(rng, t, account)]).replace(b'"sso"', b'"s\xff\xfeo"')
                .replace(b'"password"', b'"pass\xc3(word"'))
    bad_utf8 += ndjson([panoptica_auth(rng, t, account)])
    zstd = zstandard.ZstdCompressor(level=3).compress(ndjson([panoptica_auth(rng, t, account) for _ in range(20)]))
    return {
        base + "hostile-markup-ansi.json.gz": gzip_bytes(ndjson([markup, panoptica_auth(rng, t, account)])),
        base + "hostile-long-line.json.gz": gzip_bytes(ndjson([long_line])),
        base + "hostile-invalid-utf8.json.gz": gzip_bytes(bad_utf8),
        base + "hostile-zstd-behind-gz.json.gz": zstd,
        base + "hostile-empty.json.gz": b"",
    }


def day_start(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
