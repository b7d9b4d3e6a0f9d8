"""How good a trajectory, or its continuation from a step on, is: the preference formats rank
and label with it.

A continuation's :class:`Quality` is three numbers in [0, 1], compared in order: the outcome
(the goal checks' score, else success 1 / partial 0.5 / failure 0), the trajectory's ``score``
label (trajforge grade), and the share of its steps that are not mistakes. :func:`prefer` walks
them: equal values pass to the next, one unknown on either side is skipped, and the first that
differs decides, if it differs by at least the margin; by less, neither is preferred.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import is_mistake
from trajforge.grade.aggregate import SOURCE as SCORE_SOURCE
from trajforge.grade.aggregate import outcome_component
from trajforge.schema import Trajectory

_SAME: Final = 1e-9


class Quality(NamedTuple):
    """What ranks a continuation, most important first (``None``: unknown)."""

    outcome: float | None
    score: float | None
    steps: float | None


def quality(trajectory: Trajectory, options: ExportOptions, start: int = 0) -> Quality:
    """The quality of ``trajectory`` from step ``start`` on (its outcome and score label are the
    whole trajectory's: a continuation ends as its trajectory does)."""
    steps = trajectory.steps[start:]
    good = sum(not is_mistake(step, options) for step in steps)
    return Quality(
        outcome=outcome_component(trajectory),
        score=score_label(trajectory, options),
        steps=good / len(steps) if steps else None,
    )


def score_label(trajectory: Trajectory, options: ExportOptions) -> float | None:
    """The value of the trajectory's ``score`` label, if a counted source gave one."""
    for label in trajectory.labels:
        if label.name == "score" and label.source.id == SCORE_SOURCE.id:
            return label.value if label.source.kind in options.label_sources else None
    return None


def prefer(a: Quality, b: Quality, margin: float) -> int:
    """1 if ``a`` ranks above ``b`` by at least ``margin``, -1 if ``b`` above ``a``, else 0."""
    for x, y in zip(a, b, strict=True):
        if x is None or y is None or abs(x - y) < _SAME:
            continue
        if abs(x - y) < margin - _SAME:  # a difference of exactly the margin counts
            return 0
        return 1 if x > y else -1
    return 0
