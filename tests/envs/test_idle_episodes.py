"""Doing nothing is a failure in every environment, never partial success."""

from __future__ import annotations

import pytest

from trajforge.envs.registry import ENVIRONMENT_CLASSES, ENVIRONMENTS


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_an_idle_episode_scores_zero(name: str) -> None:
    cls = ENVIRONMENT_CLASSES[name]
    scored = 0
    for task in cls.sample_tasks(40, seed=2):
        if not any(a for a in task.expected_actions if not cls.tools[a.name].read_only):
            continue  # a task whose right answer changes nothing (a refusal, a question)
        env = cls()
        env.reset(task)
        outcome = env.check(task)
        assert outcome.score == 0.0, (task.instruction, outcome.checks)
        assert outcome.status == "failure"
        scored += 1
    assert scored >= 10
