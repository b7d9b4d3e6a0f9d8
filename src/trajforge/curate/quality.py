"""How good a trajectory is, as one sortable key: which member of a duplicate cluster to keep."""

from __future__ import annotations

from typing import NamedTuple

from trajforge.schema import Trajectory

_STATUS_RANK = {"success": 3.0, "partial": 2.0, "failure": 1.0, "unknown": 0.0}

#: What a missing score or label mean counts as: below every real one.
MISSING = -1.0


class Quality(NamedTuple):
    """Greater is better, compared field by field: the outcome's score, then its status, then
    the mean value of the trajectory's and its steps' labels."""

    score: float
    status: float
    labels: float


def quality(trajectory: Trajectory) -> Quality:
    """The trajectory's quality key (missing score or labels rank below any present one)."""
    outcome = trajectory.outcome
    values = [label.value for label in trajectory.labels if label.value is not None]
    for step in trajectory.steps:
        values.extend(label.value for label in step.labels if label.value is not None)
    return Quality(
        MISSING if outcome.score is None else outcome.score,
        _STATUS_RANK[outcome.status],
        sum(values) / len(values) if values else MISSING,
    )
