"""Seed the embedded AWS like a production Panther S3 source, and write the workbench.yaml that points at it.

What a real onboarding has, created through the real API: a bucket with `days` of dated history in four
formats (one prefix SSE-KMS encrypted), hostile objects, an SNS topic with the production SQS queue
subscribed (raw message delivery off, with the queue policy AWS requires), the bucket notification for
`s3:ObjectCreated:*` (moto then sends `s3:TestEvent`), and an IAM role the config assumes.
History is uploaded *before* the notification is configured: the production consumer would have drained
it long ago, so the queue starts with only the TestEvent.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from workbench.demo import data
from workbench.files import atomic_write

ACCOUNT = "123456789012"  # moto's default account
BUCKET = "wb-demo-logs"
TOPIC = "panther-notifications-topic"
QUEUE = "panther-input-data-notifications-queue"
ROLE = "workbench-demo-reader"
KMS_ALIAS = "alias/workbench-demo-cloudtrail"
PROFILE = "workbench-demo"
SOURCE_BUCKET = "acme-prod-data"  # the bucket whose S3 access logs we store

LOG_TYPES = {
    "Panoptica/auth/": "Custom.Panoptica.Auth",
    "Panoptica/file_access/": "Custom.Panoptica.FileAccess",
    "Panoptica/policy_change/": "Custom.Panoptica.PolicyChange",
    "AWSLogs/": "AWS.CloudTrail",
    "s3-access/": "AWS.S3ServerAccess",
    "app/": "Custom.AppLog",
}
# share of each day's objects per format
MIX = (("panoptica", 0.45), ("cloudtrail", 0.25), ("s3access", 0.15), ("app", 0.15))


@dataclass(frozen=True)
class DemoSpec:
    days: int = 14
    objects_per_day: int = 40
    seed: int = 7
    region: str = "us-east-1"
    end: datetime = field(default_factory=lambda: data.day_start(datetime.now(UTC)))  # history ends before this


@dataclass(frozen=True)
class PutSpec:
    key: str
    body: bytes
    kms: bool = False


@dataclass
class DemoInfo:
    endpoint: str
    bucket: str
    region: str
    topic_arn: str
    queue_url: str
    role_arn: str
    kms_key_id: str
    config_path: Path
    objects: int
    keys_by_top: dict[str, int]


def clients(endpoint: str, region: str = "us-east-1", *, access_key: str = "testing", secret_key: str = "testing",
            services: tuple[str, ...] = ("s3", "sns", "sqs", "iam", "kms", "sts")):
    """Plain boto3 clients on the demo endpoint (dummy keys: moto checks no credentials; another local S3
    server may check its own)."""
    import boto3
    from botocore.config import Config

    kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
              config=Config(max_pool_connections=32, retries={"mode": "standard"}))
    return {name: boto3.client(name, **kw) for name in services}


def history(spec: DemoSpec) -> list[PutSpec]:
    """Every history object, deterministic for a spec."""
    rng = random.Random(spec.seed)
    puts: list[PutSpec] = []
    for d in range(spec.days, 0, -1):
        day = spec.end - timedelta(days=d)
        for kind, share in MIX:
            n = max(1, round(spec.objects_per_day * share))
            puts += list(_objects_for(kind, rng, day, n))
    hostile_day = spec.end - timedelta(days=max(1, spec.days // 2))
    puts += [PutSpec(k, b) for k, b in data.hostile_objects(rng, hostile_day + timedelta(hours=12), data.ACCOUNTS[0]).items()]
    return puts


def _slots(day: datetime, n: int) -> list[tuple[datetime, timedelta]]:
    span = timedelta(days=1) / n
    return [(day + span * i, span) for i in range(n)]


def _objects_for(kind: str, rng: random.Random, day: datetime, n: int):
    for i, (start, span) in enumerate(_slots(day, n)):
        account = data.ACCOUNTS[i % len(data.ACCOUNTS)]
        if kind == "panoptica":
            etype = data.PANOPTICA_TYPES[i % len(data.PANOPTICA_TYPES)]
            key = f"Panoptica/{etype}/{start:%Y-%m-%d}/{account}/{etype}-{start:%H%M%S}-{rng.getrandbits(32):08x}.json.gz"
            yield PutSpec(key, data.panoptica_object(rng, etype, account, start, span, rng.randint(40, 80)))
        elif kind == "cloudtrail":
            region = data.REGIONS[i % len(data.REGIONS)]
            yield PutSpec(data.cloudtrail_key(rng, account, region, start),
                          data.cloudtrail_object(rng, account, region, start, span, rng.randint(20, 50)), kms=True)
        elif kind == "s3access":
            yield PutSpec(data.s3_access_key(rng, account, "us-east-1", SOURCE_BUCKET, start),
                          data.s3_access_object(rng, SOURCE_BUCKET, account, start, span, rng.randint(50, 150)))
        else:
            key = f"app/payments/dt={start:%Y-%m-%d}/payments-{start:%H%M%S}-{rng.getrandbits(32):08x}.csv.gz"
            yield PutSpec(key, data.app_log_object(rng, start, span, rng.randint(50, 150)))


def put_object(s3, bucket: str, put: PutSpec, kms_key_id: str | None) -> None:
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if put.kms and kms_key_id else {}
    s3.put_object(Bucket=bucket, Key=put.key, Body=put.body, **extra)


def seed_history(s3, spec: DemoSpec, *, bucket: str = BUCKET, kms_key_id: str | None = None) -> list[PutSpec]:
    """Create `bucket` and upload the spec's whole history through the plain S3 API, so any S3 server (moto,
    another local implementation, a real bucket) holds the same partitioned multi-format objects.
    Without `kms_key_id` the CloudTrail prefix is stored unencrypted."""
    if spec.region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": spec.region})
    puts = history(spec)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda p: put_object(s3, bucket, p, kms_key_id), puts))
    return puts


def seed(endpoint: str, spec: DemoSpec, config_dir: Path, *, repo_root: Path | None = None) -> DemoInfo:
    c = clients(endpoint, spec.region)
    s3, sns, sqs, iam, kms = c["s3"], c["sns"], c["sqs"], c["iam"], c["kms"]
    key_id = kms.create_key(Description="workbench demo: CloudTrail objects")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=KMS_ALIAS, TargetKeyId=key_id)
    role_arn = iam.create_role(
        RoleName=ROLE,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}),
        Description="Read the demo log bucket, its KMS key and queue",
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName="read-logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]},
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["sqs:*", "sns:Subscribe", "sns:Unsubscribe", "sns:ListSubscriptionsByTopic"],
             "Resource": "*"}]}))

    puts = seed_history(s3, spec, kms_key_id=key_id)

    topic_arn = sns.create_topic(Name=TOPIC)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=QUEUE, Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]})})
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sns:Publish",
            "Resource": topic_arn, "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{BUCKET}"}}}]}))
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "false"})
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={
        "TopicConfigurations": [{"Id": "panther-notifications", "TopicArn": topic_arn, "Events": ["s3:ObjectCreated:*"]}]})

    tops: dict[str, int] = {}
    for p in puts:
        top = p.key.split("/", 1)[0]
        tops[top] = tops.get(top, 0) + 1
    config_path = write_config(config_dir, endpoint, spec.region, topic_arn, queue_url, role_arn, key_id, repo_root)
    return DemoInfo(endpoint, BUCKET, spec.region, topic_arn, queue_url, role_arn, key_id, config_path, len(puts), tops)


def find_repo_root() -> Path | None:
    """Where the shipped schemas/ and rules/ are: the checkout this package runs from (editable installs),
    else the copy a wheel carries in workbench/shipped/ (see setup.py)."""
    package = Path(__file__).resolve().parents[1]
    for root in (package.parent, package / "shipped"):
        if (root / "schemas").is_dir() and (root / "rules").is_dir():
            return root
    return None


def working_copy(shipped: Path, target: Path) -> Path:
    """The demo edits a copy of the shipped schemas/rules, so saving in the TUI never rewrites the checkout.

    An existing copy is kept as it is: it holds the user's edits from earlier demo runs (delete it to reset).
    """
    if not target.exists():
        import shutil

        shutil.copytree(shipped, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def write_config(config_dir: Path, endpoint: str, region: str, topic_arn: str, queue_url: str, role_arn: str,
                 kms_key_id: str, repo_root: Path | None = None) -> Path:
    config_dir.mkdir(parents=True, exist_ok=True)
    creds = config_dir / "aws-credentials"
    creds.write_text(f"[{PROFILE}]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    creds.chmod(0o600)
    repo_root = repo_root or find_repo_root()
    cfg: dict = {}
    if repo_root:
        cfg["schemas"] = [str(working_copy(repo_root / "schemas", config_dir / "schemas"))]
        cfg["rules"] = str(working_copy(repo_root / "rules", config_dir / "rules"))
    cfg["sources"] = {"demo": {
        "description": "Embedded demo: moto server seeded with 14 days of security logs",
        "bucket": BUCKET,
        "region": region,
        "endpoint": endpoint,
        "profile": PROFILE,
        "credentials_file": creds.name,
        "role_arn": role_arn,
        "external_id": "workbench-demo",
        "topic_arn": topic_arn,
        "queue_url": queue_url,
        "kms_key": kms_key_id,
        "prefixes": dict(LOG_TYPES),
    }}
    path = config_dir / "workbench.yaml"
    atomic_write(path, "# Written by `workbench demo`; the same format you write for real AWS (see README).\n"
                 + yaml.safe_dump(cfg, sort_keys=False))
    return path
