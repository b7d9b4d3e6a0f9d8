"""Fixtures for the IO tests."""

from __future__ import annotations

import pytest

from tests.io.sample_data import canonical, sample_trajectories
from trajforge.schema import Trajectory


@pytest.fixture
def samples() -> list[Trajectory]:
    """Rich sample trajectories, as they read back from JSON."""
    return [canonical(t) for t in sample_trajectories()]
