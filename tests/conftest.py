"""Shared fixtures. `demo` is the real embedded AWS (moto's server in a child process), seeded once per session.
`s3_server` is the same history on each S3 implementation the tests run against: moto (the demo) and s3rver
(Node, installed on demand from npm; skipped with the reason when that cannot be done here).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from livekit import config_file, content, live_config  # noqa: F401  (live-mode fixtures, shared by tests/demo and tests/tui)

from workbench.aws import AwsSession
from workbench.config import Config, Source, load_config
from workbench.demo.runtime import Demo, start_demo
from workbench.demo.seed import DemoSpec, clients

# No timing thresholds in tests: hypothesis's per-example deadline and its "input generation is slow" check
# measure this machine's load, not the code (a first draw took 1.06 s once while CI ran on two busy cores).
settings.register_profile("workbench", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("workbench")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))  # the s3rver launcher lives with the benchmarks that also use it


@dataclass
class DemoFixture:
    demo: Demo
    spec: DemoSpec
    config: Config
    source: Source
    aws: AwsSession

    @property
    def endpoint(self) -> str:
        return self.demo.endpoint

    @property
    def config_path(self) -> Path:
        return self.demo.config_path

    @property
    def info(self):
        return self.demo.info

    def clients(self):
        """Plain boto3 clients (s3, sns, sqs, iam, kms, sts) on the demo endpoint, outside the tool's own session."""
        return clients(self.endpoint)

    @property
    def s3(self):
        return self.clients()["s3"]


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> DemoFixture:
    """The seeded demo, without the live generator (tests put their own objects, deterministically)."""
    spec = DemoSpec()
    d = start_demo(tmp_path_factory.mktemp("demo"), spec, rate=None)
    try:
        cfg = load_config(d.config_path)
        src = cfg.source("demo")
        yield DemoFixture(d, spec, cfg, src, AwsSession(src))
    finally:
        d.stop()


@dataclass
class S3Server:
    """One S3 implementation holding the demo history: what tests that must hold on every server get."""

    name: str  # "moto" or "s3rver"
    endpoint: str
    spec: DemoSpec
    config: Config
    source: Source  # S3 only: no topic or queue, so live mode polls
    aws: AwsSession
    s3: object  # a plain boto3 S3 client with the server's credentials
    keys: list[str]  # every seeded key


@pytest.fixture(scope="session")
def _s3rver(tmp_path_factory):
    from s3rver_peer import PeerUnavailable, start_peer

    try:
        peer = start_peer(tmp_path_factory.mktemp("s3rver"), DemoSpec())
    except PeerUnavailable as e:
        pytest.skip(f"s3rver variant skipped: {e}")
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(scope="session", params=["moto", pytest.param("s3rver", marks=pytest.mark.s3rver)])
def s3_server(request) -> S3Server:
    """The demo history on moto and on s3rver: a test using it runs once per server."""
    from workbench.demo.seed import history

    if request.param == "moto":
        d: DemoFixture = request.getfixturevalue("demo")
        src = replace(d.source, topic_arn=None, queue_url=None)
        return S3Server("moto", d.endpoint, d.spec, d.config, src, AwsSession(src), d.s3,
                        [p.key for p in history(d.spec)])
    peer = request.getfixturevalue("_s3rver")
    cfg = load_config(peer.config_path)
    src = cfg.source("peer")
    return S3Server("s3rver", peer.endpoint, peer.spec, cfg, src, AwsSession(src), peer.s3(), peer.keys)
