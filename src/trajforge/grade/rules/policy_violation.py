"""Policy violation: the environment's own rules, as its ``find_violations`` reports them."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.context import RuleContext


def check(ctx: RuleContext) -> list[Finding]:
    """One label per violation, on its step and action (nothing without an environment)."""
    if ctx.env is None:
        return []
    rules = {r.name: r for r in ctx.env.policy_rules}
    found = []
    for v in ctx.env.find_violations(ctx.trajectory):
        rule = rules.get(v.rule)
        why = f"{v.rule}: {v.detail}" + (f" (rule: {rule.description})" if rule else "")
        target = f"steps[{v.step}]" + (f".actions[{v.action}]" if v.action is not None else "")
        found.append(
            RULE.find(
                v.step,
                "violation",
                why,
                target=target,
                rule=v.rule,
                rule_kind=rule.kind if rule else None,
            )
        )
    return found


RULE = Rule(
    name="policy_violation",
    version="1",
    description="A rule of the environment's policy broken (forbidden actions, missing "
    "confirmation or approval).",
    check=check,
)
