"""Unsupported claim: the agent tells the user a fact (an id, an amount, a count, a time) that no
observation supports."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.claims import Evidence, facts, unsupported
from trajforge.grade.rules.context import RuleContext
from trajforge.schema import Finish, HandOff, Reply, ToolResult, UserMessage

#: The actions that tell the user something.
_STATEMENTS = (Reply, Finish, HandOff)


def check(ctx: RuleContext) -> list[Finding]:
    """Label each reply, hand-off or finish stating facts the task and observations lack."""
    evidence: Evidence | None = None  # made when a statement first states a fact
    known = 0  # the steps whose observations and calls the evidence holds
    found = []
    for s, step in enumerate(ctx.steps):
        for i, action in enumerate(step.actions):
            if not isinstance(action, _STATEMENTS):
                continue
            stated = facts(action.content)
            if not stated:
                continue
            if evidence is None:
                evidence = Evidence(_standing(ctx))
            evidence.extend(_learned(ctx, range(known, s)))
            known = s
            missing = unsupported(stated, evidence)
            if missing:
                found.append(
                    RULE.find(
                        s,
                        "unsupported",
                        f"states {', '.join(missing)}, which no observation supports",
                        target=f"steps[{s}].actions[{i}].content",
                        facts=missing,
                    )
                )
    return found


RULE = Rule(
    name="unsupported_claim",
    version="1",
    description="A reply, hand-off or finish stating a quoted phrase, identifier, date, time, "
    "count or amount that neither the task, the tools' and policy's descriptions, any "
    "observation so far, nor the agent's own successful calls support.",
    check=check,
)


def _standing(ctx: RuleContext) -> list[str]:
    """What the agent knows from the start: the request, the system prompt, the tools' and the
    policy's descriptions."""
    t = ctx.trajectory
    texts = [t.task.instruction or "", t.system_prompt or ""]
    texts += [tool.description or "" for tool in t.tools]
    if ctx.env is not None:
        texts += [rule.description for rule in ctx.env.policy_rules]
    return [x for x in texts if x]


def _learned(ctx: RuleContext, steps: range) -> list[str]:
    """What these steps told the agent: their observations (but failed results), and the agent's
    successful calls (what it did is a fact it may report: "set heartbeat to 60")."""
    texts: list[str] = []
    for s in steps:
        texts += [
            o.content
            for o in ctx.steps[s].observations
            if isinstance(o, UserMessage) or (isinstance(o, ToolResult) and o.status != "error")
        ]
        texts += [view.arguments_json for view in ctx.step_calls[s] if view.ok]
    return texts
