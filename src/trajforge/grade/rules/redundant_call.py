"""Redundant call: the same call made again although nothing changed since it last succeeded, or
a change made again after its reply was cut off (the reply was cut off after the change was made:
a tool that acts again, such as an append or a booking, then acts twice)."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import CallView, RuleContext


def earlier_twin(ctx: RuleContext, view: CallView) -> CallView | None:
    """The latest earlier call identical to ``view`` that makes it redundant, nothing having
    changed since (failed attempts in between do not matter): one whose complete, trustworthy
    result still held, or a change whose reply was cut off by a tool that acts again (it was
    made: asking again makes it twice; a lookup cut off is rightly asked again, and an
    idempotent change such as a cancel answers the second time what the first did)."""
    for other in reversed(ctx.calls_by_key[view.key]):
        if other.n >= view.n:
            continue
        if other.step != view.step and not ctx.unchanged(other.step, view.step - 1):
            return None
        if other.ok and not ctx.unreliable(other):
            return other
        if other.status == "partial" and ctx.acts_again(view.call.name):
            return other
    return None


def check(ctx: RuleContext) -> list[Finding]:
    """Label each call that repeats an earlier successful one with no state change between."""
    found = []
    for view in ctx.calls:
        twin = earlier_twin(ctx, view)
        if twin is None:
            continue
        why = (
            "its reply was cut off after the change was made, so this makes it twice"
            if twin.status == "partial"
            else "its result was complete and nothing changed since"
        )
        found.append(
            RULE.find(
                view.step,
                "redundant",
                f"repeats {view.call.name} from step {twin.step} with the same arguments; {why}",
                target=view.target,
                repeats=twin.step,
            )
        )
    return found


RULE = Rule(
    name="redundant_call",
    version="1",
    description="The same call (tool and arguments) made again while its earlier, complete result "
    "still holds (no state change in between), or a change that acts again (not idempotent) "
    "made again after its reply was cut off: the repeat makes it twice.",
    check=check,
)
