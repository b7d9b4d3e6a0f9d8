"""Human intervention points: which next action needs a human's approval under the environment's
policy, and what an approver decides about it.

An action needs approval when the environment's own policy check (``find_violations``) would
flag it under a ``needs_approval`` rule if it were taken now, without one. An approver (a person
in the review workspace, say) then approves it, denies it with a reason, or edits its
arguments; the episode loop records the decision on the step as a human label.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import msgspec

from trajforge.envs.base import EnvironmentLike, PolicyRule, Violation, render_content
from trajforge.schema import (
    Action,
    Label,
    LabelSource,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
)

Verdict = Literal["approve", "deny", "edit", "timeout"]


class ApprovalRequest(msgspec.Struct, kw_only=True, frozen=True):
    """A tool call waiting for a human: the episode so far, the call, the rules it falls under."""

    trajectory_id: str
    task: Task
    tools: list[ToolSpec]
    steps: list[Step]
    step: int
    action: int
    call: ToolCall
    violations: list[Violation]


class ApprovalDecision(msgspec.Struct, kw_only=True, frozen=True):
    """What the approver decided: ``edit`` carries the new ``arguments``; ``timeout`` means that
    nobody decided in time (the approver's declared default then applies)."""

    verdict: Verdict
    reviewer: str | None = None
    reason: str | None = None
    arguments: dict[str, object] | None = None


class Approver(Protocol):
    """Decides on tool calls that need a human's approval."""

    async def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        """The decision on ``request`` (waits for it)."""
        ...


def approval_rules(rules: Sequence[PolicyRule]) -> frozenset[str]:
    """The names of the rules that ask for a human's approval."""
    return frozenset(r.name for r in rules if r.kind == "needs_approval")


def needs_approval(
    env: EnvironmentLike,
    rules: frozenset[str],
    request: tuple[str, Task, list[Step]],
    actions: list[Action],
) -> list[Violation]:
    """The ``needs_approval`` violations the last of ``actions`` would commit if it were taken
    now, as the next step after ``request``'s steps (``request``: id, task, steps so far)."""
    if not rules:
        return []
    trajectory_id, task, steps = request
    pending = Step(actions=list(actions))
    trajectory = Trajectory(id=trajectory_id, task=task, steps=[*steps, pending])
    index, last = len(steps), len(actions) - 1
    return [
        v
        for v in env.find_violations(trajectory)
        if v.rule in rules and v.step == index and v.action == last
    ]


class Gated(msgspec.Struct, kw_only=True, frozen=True):
    """A gated call after the decision: the call to record (edited arguments in it), the result
    to record instead of running it when denied, and the label that records the decision."""

    call: ToolCall
    denied: ToolResult | None
    label: Label


class Gate:
    """Stops the calls that need approval (``rules``) until ``approver`` decides; ``on_timeout``
    is what a call nobody decided on in time becomes (deny, the safe default)."""

    def __init__(
        self,
        approver: Approver,
        rules: frozenset[str],
        *,
        on_timeout: Literal["approve", "deny"] = "deny",
    ) -> None:
        self.approver = approver
        self.rules = rules
        self.on_timeout = on_timeout

    async def review(
        self, env: EnvironmentLike, episode: tuple[str, Task, list[Step]], actions: list[Action]
    ) -> Gated | None:
        """The decision on the last of ``actions`` (a tool call) if it needs approval, else None."""
        call = actions[-1]
        assert isinstance(call, ToolCall)
        violations = needs_approval(env, self.rules, episode, actions)
        if not violations:
            return None
        trajectory_id, task, steps = episode
        request = ApprovalRequest(
            trajectory_id=trajectory_id,
            task=task,
            tools=env.tool_specs(),
            steps=list(steps),
            step=len(steps),
            action=len(actions) - 1,
            call=call,
            violations=violations,
        )
        decision = await self.approver.decide(request)
        return self._apply(request, decision)

    def _apply(self, request: ApprovalRequest, decision: ApprovalDecision) -> Gated:
        call = request.call
        verdict = decision.verdict
        allowed = verdict in ("approve", "edit") or (
            verdict == "timeout" and self.on_timeout == "approve"
        )
        if verdict == "edit" and decision.arguments is not None:
            call = msgspec.structs.replace(call, arguments=dict(decision.arguments))
        rules = ", ".join(sorted({v.rule for v in request.violations}))
        reason = decision.reason or (
            f"no decision in time: {self.on_timeout} by default" if verdict == "timeout" else None
        )
        source = (
            LabelSource(kind="generator", id="approval-timeout")
            if verdict == "timeout"
            else LabelSource(kind="human", id=decision.reviewer)
        )
        label = Label(
            name="approval",
            source=source,
            grade=verdict if verdict != "timeout" else f"timeout-{self.on_timeout}",
            value=1.0 if allowed else 0.0,
            rationale=reason,
            target=f"steps[{request.step}].actions[{request.action}]",
            details={"rules": rules, "arguments": request.call.arguments},
        )
        denied = None
        if not allowed:
            content = render_content(
                {"error": f"a human did not approve this call ({rules}): {reason or 'denied'}"}
            )
            denied = ToolResult(
                call_id=call.id,
                name=call.name,
                content=content,
                status="error",
                error_kind="not_approved",
            )
        return Gated(call=call, denied=denied, label=label)
