"""Ignored error: a call failed and the agent went on as if it had not (an unrelated call, or a
claim of success)."""

from __future__ import annotations

from typing import Any

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext, related
from trajforge.schema import Finish, ToolCall

#: Errors after which another tool is the sensible way on.
_GONE = frozenset({"permanent", "unknown_tool"})


def aside(ctx: RuleContext, step: int) -> bool:
    """Whether a step only holds calls of tools that change nothing and look nothing up (a
    calculator, a think tool): the agent working on the problem, not a move past it."""
    calls = ctx.step_calls[step]
    return (
        bool(calls)
        and len(calls) == len(ctx.steps[step].actions)
        and all(ctx.is_read_only(c.call.name) and not ctx.is_lookup(c.call.name) for c in calls)
    )


def next_move(ctx: RuleContext, step: int) -> tuple[int, Any] | None:
    """The agent's first action after step ``step``, past its asides."""
    found = ctx.first_action_after(step)
    while found is not None and aside(ctx, found[0]):
        found = ctx.first_action_after(found[0])
    return found


def check(ctx: RuleContext) -> list[Finding]:
    """Label the agent's next move after a failure when it ignores it."""
    found = []
    for view in ctx.calls:
        if not view.failed or ctx.repeats_done(view):
            continue
        siblings = [c for c in ctx.step_calls[view.step] if c.call.name == view.call.name]
        if any(c.ok for c in siblings):
            continue  # a parallel call of the same tool got through
        nxt = next_move(ctx, view.step)
        if nxt is None:
            continue
        step, action = nxt
        why = None
        if isinstance(action, Finish) and action.completed:
            why = f"finished claiming success right after {view.call.name} failed"
        elif (
            isinstance(action, ToolCall)
            and view.error_kind not in _GONE
            and not related(view, ctx.step_calls[step][0])
        ):
            why = f"moved on to {action.name} as if {view.call.name} had not failed"
        if why is not None:
            found.append(
                RULE.find(
                    step,
                    "error-ignored",
                    f"{why} (step {view.step}: {view.error_kind or view.status})",
                    target=f"steps[{step}].actions[0]",
                    failed_step=view.step,
                )
            )
    return found


RULE = Rule(
    name="ignored_error",
    version="1",
    description="After a failed call the agent claims success, or goes on with an unrelated call "
    "instead of retrying, correcting, using an alternative or telling the user.",
    check=check,
)
