"""The approval gate of the episode loop: a call the policy reserves to a human waits for the
approver; approve, deny, edit and time-out are recorded on the step; other calls never wait."""

from __future__ import annotations

import asyncio

import pytest

from trajforge.agents.base import Decision
from trajforge.envs.approval import ApprovalDecision, ApprovalRequest, Gate, approval_rules
from trajforge.envs.registry import get_environment
from trajforge.run.episode import EpisodeRecorder
from trajforge.schema import HandOff, ToolCall, ToolResult


class Scripted:
    """An approver that gives one decision and remembers what it was asked."""

    def __init__(self, decision: ApprovalDecision) -> None:
        self.decision = decision
        self.asked: list[ApprovalRequest] = []

    async def decide(self, request: ApprovalRequest) -> ApprovalDecision:
        self.asked.append(request)
        return self.decision


def _episode(
    decision: ApprovalDecision, on_timeout: str = "deny"
) -> tuple[EpisodeRecorder, Scripted]:
    cls = get_environment("itops")
    tasks = cls.sample_tasks(10, seed=1)
    task = next(t for t in tasks if t.parameters["deploy_env"] == "production")
    approver = Scripted(decision)
    gate = Gate(approver, approval_rules(cls.policy_rules), on_timeout=on_timeout)  # type: ignore[arg-type]
    return EpisodeRecorder(cls(), task, trajectory_id="t", gate=gate), approver


ROLLBACK = ToolCall(id="c1", name="rollback", arguments={"service": "api"})


def _act(recorder: EpisodeRecorder, *actions: object) -> list[object]:
    return asyncio.run(recorder.act(Decision(actions=list(actions))))  # type: ignore[arg-type]


def test_the_gate_holds_only_what_the_policy_reserves() -> None:
    recorder, approver = _episode(ApprovalDecision(verdict="approve", reviewer="ana"))
    _act(recorder, ToolCall(id="c0", name="list_services", arguments={}))
    assert approver.asked == []
    _act(recorder, ROLLBACK)
    assert [r.call.name for r in approver.asked] == ["rollback"]
    assert approver.asked[0].violations[0].rule == "rollback_needs_approval"
    label = recorder.steps[-1].labels[0]
    assert (label.name, label.grade, label.source.id, label.value) == (
        "approval",
        "approve",
        "ana",
        1.0,
    )


@pytest.mark.parametrize(
    ("decision", "grade", "ran"),
    [
        (
            ApprovalDecision(verdict="deny", reviewer="ana", reason="not in business hours"),
            "deny",
            False,
        ),
        (ApprovalDecision(verdict="timeout"), "timeout-deny", False),
        (
            ApprovalDecision(verdict="edit", reviewer="ana", arguments={"service": "web"}),
            "edit",
            True,
        ),
    ],
)
def test_decisions_are_recorded(decision: ApprovalDecision, grade: str, ran: bool) -> None:
    recorder, _ = _episode(decision)
    (result,) = _act(recorder, ROLLBACK)
    assert isinstance(result, ToolResult)
    assert (result.error_kind == "not_approved") is not ran
    step = recorder.steps[-1]
    assert step.labels[0].grade == grade
    assert step.labels[0].details["arguments"] == {"service": "api"}
    if decision.verdict == "edit":
        assert step.actions[0] == ToolCall(id="c1", name="rollback", arguments={"service": "web"})
    if decision.verdict == "deny":
        assert "not in business hours" in result.content


def test_a_handoff_first_needs_no_approval() -> None:
    recorder, approver = _episode(ApprovalDecision(verdict="deny", reason="no"))
    recorder.done = False
    _act(recorder, HandOff(content="asking a human"))
    recorder.done = False
    _act(recorder, ROLLBACK)
    assert approver.asked == []
