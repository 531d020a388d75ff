"""The live generator: writes a new, current object every `rate` seconds, cycling through the demo formats.

Suspicious events are far more frequent than in history, so the demo rules visibly fire in live mode.
Each put travels the real notification path: S3 → SNS topic → the production SQS queue.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

from workbench.demo import data
from workbench.demo.seed import BUCKET, SOURCE_BUCKET, PutSpec, put_object

LIVE_SUSPICIOUS = 0.25
KINDS = ("auth", "cloudtrail", "file_access", "s3access", "policy_change", "app")


def live_object(rng: random.Random, kind: str, now: datetime) -> PutSpec:
    account = rng.choice(data.ACCOUNTS)
    start, span = now - timedelta(seconds=5), timedelta(seconds=5)
    tag = f"{now:%H%M%S}-{rng.getrandbits(32):08x}"
    if kind in data.PANOPTICA_TYPES:
        key = f"Panoptica/{kind}/{now:%Y-%m-%d}/{account}/{kind}-{tag}.json.gz"
        return PutSpec(key, data.panoptica_object(rng, kind, account, start, span, rng.randint(5, 15), LIVE_SUSPICIOUS))
    if kind == "cloudtrail":
        region = rng.choice(data.REGIONS)
        return PutSpec(data.cloudtrail_key(rng, account, region, now),
                       data.cloudtrail_object(rng, account, region, start, span, rng.randint(5, 15), LIVE_SUSPICIOUS), kms=True)
    if kind == "s3access":
        return PutSpec(data.s3_access_key(rng, account, "us-east-1", SOURCE_BUCKET, now),
                       data.s3_access_object(rng, SOURCE_BUCKET, account, start, span, rng.randint(5, 20), LIVE_SUSPICIOUS))
    return PutSpec(f"app/payments/dt={now:%Y-%m-%d}/payments-{tag}.csv.gz",
                   data.app_log_object(rng, start, span, rng.randint(5, 20), LIVE_SUSPICIOUS))


class LiveGenerator(threading.Thread):
    """Daemon thread; `stop()` ends it within one tick. Errors are counted, never raised (the server may be gone)."""

    def __init__(self, endpoint: str, *, rate: float = 2.0, seed: int = 7, kms_key_id: str | None = None,
                 region: str = "us-east-1"):
        super().__init__(name="demo-live-generator", daemon=True)
        from workbench.demo.seed import clients

        self.s3 = clients(endpoint, region)["s3"]
        self.rate = rate
        self.rng = random.Random(seed * 7919)
        self.kms_key_id = kms_key_id
        self.written = 0
        self.errors = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        i = 0
        while not self._stop_event.wait(self.rate):
            put = live_object(self.rng, KINDS[i % len(KINDS)], datetime.now(UTC))
            i += 1
            try:
                put_object(self.s3, BUCKET, put, self.kms_key_id)
                self.written += 1
            except Exception:
                self.errors += 1

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=5)
