"""Ignored error: a call failed and the agent went on as if it had not (an unrelated call, or a
claim of success)."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext, related
from trajforge.schema import Finish, ToolCall

#: Errors after which another tool is the sensible way on.
_GONE = frozenset({"permanent", "unknown_tool"})


def check(ctx: RuleContext) -> list[Finding]:
    """Label the agent's next move after a failure when it ignores it."""
    found = []
    for view in ctx.calls:
        if not view.failed or ctx.repeats_done(view):
            continue
        siblings = [c for c in ctx.step_calls[view.step] if c.call.name == view.call.name]
        if any(c.ok for c in siblings):
            continue  # a parallel call of the same tool got through
        nxt = ctx.first_action_after(view.step)
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
