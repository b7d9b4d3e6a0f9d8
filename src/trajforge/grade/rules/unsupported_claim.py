"""Unsupported claim: the agent tells the user a fact (an id, an amount, a count, a time) that no
observation supports."""

from __future__ import annotations

from trajforge.grade.rules.base import Finding, Rule
from trajforge.grade.rules.claims import Evidence, unsupported
from trajforge.grade.rules.context import RuleContext
from trajforge.schema import Finish, HandOff, Reply, ToolResult, UserMessage


def check(ctx: RuleContext) -> list[Finding]:
    """Label each reply, hand-off or finish stating facts the task and observations lack."""
    evidence = Evidence()
    for text in _standing(ctx):
        evidence.add(text)
    found = []
    for s, step in enumerate(ctx.steps):
        for i, action in enumerate(step.actions):
            if not isinstance(action, Reply | Finish | HandOff):
                continue
            missing = unsupported(action.content, evidence)
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
        for o in step.observations:
            if isinstance(o, UserMessage) or (isinstance(o, ToolResult) and o.status != "error"):
                evidence.add(o.content)
        for view in ctx.step_calls[s]:
            if view.ok:  # what the agent did is a fact it may report ("set heartbeat to 60")
                evidence.add(view.arguments_json)
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
