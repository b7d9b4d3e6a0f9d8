"""Redundant call: the same call made again although nothing changed since it last succeeded."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import CallView, RuleContext


def earlier_twin(ctx: RuleContext, view: CallView) -> CallView | None:
    """The latest earlier call identical to ``view`` whose complete, trustworthy result still
    held: it succeeded and nothing changed since (failed attempts in between do not matter, the
    agent already had the answer)."""
    for other in reversed(ctx.calls_by_key[view.key]):
        if other.n >= view.n:
            continue
        if other.step != view.step and not ctx.unchanged(other.step, view.step - 1):
            return None
        if other.ok and not ctx.unreliable(other):
            return other
    return None


def check(ctx: RuleContext) -> list[Finding]:
    """Label each call that repeats an earlier successful one with no state change between."""
    found = []
    for view in ctx.calls:
        twin = earlier_twin(ctx, view)
        if twin is not None:
            found.append(
                RULE.find(
                    view.step,
                    "redundant",
                    f"repeats {view.call.name} from step {twin.step} with the same arguments; "
                    "its result was complete and nothing changed since",
                    target=view.target,
                    repeats=twin.step,
                )
            )
    return found


RULE = Rule(
    name="redundant_call",
    version="1",
    description="The same call (tool and arguments) made again while its earlier, complete result "
    "still holds: no state change in between.",
    check=check,
)
