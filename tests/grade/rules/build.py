"""Hand-written trajectories for the rule graders' tests, built step by step.

``Build`` keeps a state digest that changes only when a call is marked as changing the world,
pairs each call with its result by id, and declares the tools the tests use (with required
arguments) so that schema-aware rules have something to read.
"""

from __future__ import annotations

from typing import Any

import msgspec

from trajforge.grade.rules import grade_rules
from trajforge.schema import (
    Action,
    ClarifyingQuestion,
    ExpectedAction,
    FaultRecord,
    Finish,
    Label,
    Metrics,
    Observation,
    Outcome,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)
from trajforge.schema.records import OutcomeStatus, ResultStatus


def spec(name: str, *required: str, optional: tuple[str, ...] = ()) -> ToolSpec:
    """A declared tool with string arguments."""
    props = {k: {"type": "string"} for k in (*required, *optional)}
    return ToolSpec(
        name=name,
        parameters={"type": "object", "properties": props, "required": list(required)},
    )


TOOLS = [
    spec("get_order", "order_id"),
    spec("list_orders", "customer_id"),
    spec("find_customer", "email"),
    spec("verify_identity", "customer_id"),
    spec("cancel_order", "order_id"),
    spec("refund_order", "order_id", optional=("reason",)),
    spec("list_rooms"),
    spec("search", "query", optional=("limit",)),
    spec("restart_service", "name"),
    spec("run_healthcheck", "name"),
]


class Build:
    """A trajectory under construction."""

    def __init__(self, instruction: str = "Please help me with my order W1001.", **task: Any):
        self.task = Task(instruction=instruction, **task)
        self.steps: list[Step] = []
        self.digest = 0
        self.calls = 0

    def _id(self) -> str:
        self.calls += 1
        return f"c{self.calls}"

    def call(
        self,
        tool: str,
        result: Any = None,
        /,
        *,
        status: ResultStatus = "ok",
        error_kind: str | None = None,
        changes: bool = False,
        faults: tuple[str, ...] = (),
        **arguments: Any,
    ) -> Build:
        """A step with one call and its result (JSON-encoded unless a string)."""
        call = ToolCall(id=self._id(), name=tool, arguments=arguments)
        if result is None:
            result = {"ok": True}
        content = result if isinstance(result, str) else msgspec.json.encode(result).decode()
        observation = ToolResult(
            call_id=call.id, name=tool, content=content, status=status, error_kind=error_kind
        )
        if changes and status in ("ok", "partial"):  # a cut-off reply came after the change
            self.digest += 1
        records = [FaultRecord(kind=kind, tool=tool, call_id=call.id) for kind in faults]
        return self._step([call], [observation], records)

    def error(self, tool: str, message: str, kind: str = "not_found", /, **arguments: Any) -> Build:
        """A step whose call the environment rejected."""
        body = {"error": message, "code": kind}
        return self.call(tool, body, status="error", error_kind=kind, **arguments)

    def fault(self, tool: str, kind: str = "timeout", /, **arguments: Any) -> Build:
        """A step whose call a fault blocked (time-out, server error, rate limit)."""
        status: ResultStatus = "timeout" if kind == "timeout" else "error"
        body = {"error": f"{kind} happened", "code": kind}
        return self.call(tool, body, status=status, error_kind=kind, faults=(kind,), **arguments)

    def say(self, text: str, answer: str | None = None) -> Build:
        """A reply to the user (and the user's answer)."""
        return self._step([Reply(content=text)], _answer(answer))

    def ask(self, text: str, answer: str) -> Build:
        """A clarifying question and the user's answer."""
        return self._step([ClarifyingQuestion(content=text)], _answer(answer))

    def finish(self, text: str = "All done.", completed: bool = True) -> Build:
        """The agent's finish."""
        return self._step([Finish(content=text, completed=completed)], [])

    def _step(
        self,
        actions: list[Action],
        observations: list[Observation],
        faults: list[FaultRecord] | None = None,
    ) -> Build:
        self.steps.append(
            Step(
                actions=actions,
                observations=observations,
                env_state_digest=f"s{self.digest}",
                faults=faults or [],
            )
        )
        return self

    def build(
        self,
        *,
        status: OutcomeStatus = "success",
        score: float | None = None,
        optimal: int | None = None,
        expected: list[ExpectedAction] | None = None,
        tools: list[ToolSpec] | None = None,
    ) -> Trajectory:
        """The trajectory."""
        task = msgspec.structs.replace(self.task, expected_actions=expected or [])
        return Trajectory(
            id="t",
            task=task,
            tools=TOOLS if tools is None else tools,
            steps=list(self.steps),
            outcome=Outcome(status=status, score=score),
            metrics=Metrics(optimal_steps=optimal),
        )


def _answer(answer: str | None) -> list[Observation]:
    return [UserMessage(content=answer)] if answer is not None else []


def labels(trajectory: Trajectory, rule: str, **kwargs: Any) -> dict[int, list[Label]]:
    """The labels one rule gives, by step."""
    graded = grade_rules(trajectory, rules=[rule], **kwargs)
    found: dict[int, list[Label]] = {}
    for i, step in enumerate(graded.steps):
        mine = [lb for lb in step.labels if lb.source.id == rule]
        if mine:
            found[i] = mine
    return found


def steps_of(trajectory: Trajectory, rule: str, **kwargs: Any) -> list[int]:
    """The steps one rule labels."""
    return sorted(labels(trajectory, rule, **kwargs))
