"""Efficiency: the agent's step count against the expert's optimal count (a trajectory label)."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext


def forced(ctx: RuleContext, step: int) -> bool:
    """Whether a step only retried through faults (its calls all failed or came back doubtful
    because of the environment)."""
    views = ctx.step_calls[step]
    return bool(views) and all(
        (v.failed and ctx.fault_error(v)) or ctx.unreliable(v) for v in views
    )


def check(ctx: RuleContext) -> list[Finding]:
    """optimal / steps taken (steps lost to faults excused), capped at 1."""
    optimal = ctx.trajectory.metrics.optimal_steps
    taken = len(ctx.steps)
    if not optimal or not taken:
        return []
    lost = sum(forced(ctx, s) for s in range(taken))
    counted = max(taken - lost, 1)
    value = min(1.0, optimal / counted)
    grade = "efficient" if value >= 1.0 else "inefficient"
    return [
        RULE.find(
            None,
            grade,
            f"{counted} steps against an optimal {optimal}"
            + (f" ({lost} more spent on faults, excused)" if lost else ""),
            value=value,
            optimal=optimal,
            steps=taken,
            fault_steps=lost,
        )
    ]


RULE = Rule(
    name="efficiency",
    version="1",
    description="Steps taken against the expert's optimal count (metrics.optimal_steps); steps "
    "spent only on retrying through faults are excused.",
    check=check,
    negative=False,
)
