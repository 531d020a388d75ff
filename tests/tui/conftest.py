"""Fixtures shared by the Pilot tests of the Rules screen: demo events to run the rules over, and a private
copy of the shipped rules that a test may edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def auth_events(demo):
    """Custom.Panoptica.Auth events parsed with the shipped schema from a sample of the demo."""
    from workbench.parse import parsers_for_source
    from workbench.source.sampling import sample

    result = sample(demo.aws, demo.source, prefix="Panoptica/auth/", limit=40)
    parse = parsers_for_source(demo.config, demo.source)
    events = [e for e in map(parse, result.records) if isinstance(e, dict)]
    assert events
    return events


@pytest.fixture
def rules_copy(tmp_path):
    """A private copy of the shipped rules, so a test can edit a rule file."""
    dst = tmp_path / "rules"
    shutil.copytree(REPO / "rules", dst)
    return dst
