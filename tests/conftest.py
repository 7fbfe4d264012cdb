"""Shared fixtures of the test suite: the probe exercise and a clean environment."""

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURE_GRADERS = TESTS / "fixtures" / "graders"


@pytest.fixture
def probe_graders(monkeypatch):
    """Point the catalogue at the test exercises (the probe), not the real ones."""
    monkeypatch.setenv("GRADE_GRADERS_DIR", str(FIXTURE_GRADERS))
    return FIXTURE_GRADERS
