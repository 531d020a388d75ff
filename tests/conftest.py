"""Shared fixtures. `demo` is the real embedded AWS (moto's server in a child process), seeded once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from workbench.aws import AwsSession
from workbench.config import Config, Source, load_config
from workbench.demo.runtime import Demo, start_demo
from workbench.demo.seed import DemoSpec, clients

REPO = Path(__file__).resolve().parents[1]


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
