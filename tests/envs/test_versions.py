"""Every environment records its own version in the tasks it makes, so that replaying data made
with another version says so."""

from __future__ import annotations

import pytest

from trajforge.envs.registry import ENVIRONMENT_CLASSES, ENVIRONMENTS


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_tasks_carry_the_environment_s_version(name: str) -> None:
    cls = ENVIRONMENT_CLASSES[name]
    for difficulty in sorted(cls.difficulty_levels) or [1]:
        task = cls.generate_task(3, difficulty)
        assert (task.environment, task.environment_version) == (name, cls.version)
