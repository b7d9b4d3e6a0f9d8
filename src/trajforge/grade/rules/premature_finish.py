"""Premature finish: the agent ends the episode as done while the task's goal is not met."""

from __future__ import annotations

from trajforge.grade.rules import missing_tool
from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import CallView, RuleContext
from trajforge.schema import Finish


def unmet(ctx: RuleContext) -> list[str]:
    """What is still undone: failed goal checks, else expected changes never attempted."""
    outcome = ctx.trajectory.outcome
    if outcome.status == "success":
        return []
    if outcome.checks or outcome.status in ("partial", "failure"):
        failed = [c.name for c in outcome.checks if not c.passed]
        return failed or [f"outcome {outcome.status}"]
    made = {c.call.name for c in ctx.calls if not c.failed}
    return [
        f"{e.name} never made"
        for e in ctx.trajectory.task.expected_actions
        if not ctx.is_read_only(e.name) and e.name not in made
    ]


def check(ctx: RuleContext) -> list[Finding]:
    """Label a Finish that claims completion while goal checks fail (or expected changes lack)."""
    finishes = [
        (s, i)
        for s, step in enumerate(ctx.steps)
        for i, a in enumerate(step.actions)
        if isinstance(a, Finish) and a.completed
    ]
    if not finishes:
        return []
    step, index = finishes[-1]
    missing = unmet(ctx)
    last = _last_call_before(ctx, step)
    if last is not None and (last.failed or ctx.unreliable(last)):
        missing.append(f"the last call, {last.call.name}, came back {last.status} unconfirmed")
    unchecked = [f for f in missing_tool.RULE(ctx) if f.step == step]
    missing += [
        f"{f.label.details.get('unchecked') or f.label.details.get('tool')} unchecked"
        for f in unchecked
    ]
    if not missing:
        return []
    return [
        RULE.find(
            step,
            "premature-finish",
            f"finished as done while the goal is not met: {', '.join(dict.fromkeys(missing))}",
            target=f"steps[{step}].actions[{index}]",
            unmet=list(dict.fromkeys(missing)),
        )
    ]


RULE = Rule(
    name="premature_finish",
    version="1",
    description="A Finish that claims the task is done while goal checks fail (or, without an "
    "outcome, while expected changes were never made), right after a call that failed or came "
    "back cut off, or before a verification it needed (see missing_tool).",
    check=check,
)


def _last_call_before(ctx: RuleContext, step: int) -> CallView | None:
    """The agent's last tool call before (or in) a step."""
    calls = [c for c in ctx.calls if c.step <= step]
    return calls[-1] if calls else None
