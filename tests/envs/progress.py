"""Whether an episode got anywhere: some goal check improved on the task's initial state."""

from __future__ import annotations

from trajforge.envs.base import Environment, check_score
from trajforge.schema import Outcome, Task


def progressed(env: Environment, task: Task, outcome: Outcome) -> bool:
    """Whether some check of ``outcome`` scores above its score on the initial state."""
    start = env.start_scores(task)
    return any(check_score(c) > s for c, s in zip(outcome.checks, start, strict=True))
