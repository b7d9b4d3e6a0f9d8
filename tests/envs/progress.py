"""Partial credit after part of a task: progress earns some, an idle prefix earns nothing."""

from __future__ import annotations

from trajforge.envs.base import Environment, check_score
from trajforge.schema import Outcome, Task


def is_partial_credit(env: Environment, task: Task, outcome: Outcome) -> bool:
    """Check the outcome of an unfinished task: partial credit strictly between 0 and 1 when
    some check scores above its start, else a failure scoring 0. Whether it was partial."""
    start = env.start_scores(task)
    if not any(check_score(c) > s for c, s in zip(outcome.checks, start, strict=True)):
        assert (outcome.status, outcome.score) == ("failure", 0.0), outcome.checks
        return False
    assert outcome.status == "partial", outcome.checks
    assert outcome.score is not None
    assert 0 < outcome.score < 1
    return True
