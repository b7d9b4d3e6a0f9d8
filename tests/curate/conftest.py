"""Shared inputs of the curation tests: trajforge's own trajectories of every environment."""

from __future__ import annotations

import pytest

from trajforge.schema import Trajectory
from trajforge.testing.planted import generated


@pytest.fixture(scope="session")
def clean() -> list[Trajectory]:
    """30 expert episodes (mistakes recovered, flaky tools) of each built-in environment, with
    nothing planted in them."""
    return generated(30, seed=11)
