"""Sample trajectories for IO tests: every field, every union variant, awkward values."""

from __future__ import annotations

import random
from typing import Any

from trajforge.schema import (
    CheckResult,
    ClarifyingQuestion,
    ExpectedAction,
    FaultRecord,
    Finish,
    Generator,
    GoalCheck,
    HandOff,
    Label,
    LabelSource,
    Metrics,
    Outcome,
    Plan,
    Provenance,
    Reply,
    StageRecord,
    StateNotes,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    TrajectoryDecoder,
    Usage,
    UserMessage,
    encode,
)

NESTED_ANY: dict[str, Any] = {
    "none": None,
    "empty_list": [],
    "empty_dict": {},
    "floats": [0.1, -0.0, 1e-300, 1.7976931348623157e308, 3.0],
    "ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 10**30],
    "unicode": 'naïve café – 日本語 🚀 \u0000 \t\n "quoted" \\ back',
    "deep": {"a": [{"b": [None, True, False, {"c": []}]}]},
    "bool": True,
}


def rich_trajectory(i: int = 0) -> Trajectory:
    """A trajectory that sets every field and uses every action and observation variant."""
    label = Label(
        name="correct",
        source=LabelSource(kind="judge", id="gpt-judge", version="2"),
        value=0.75,
        grade="correct",
        rationale="did the right thing ✓",
        target="step:0",
        details={"votes": [1, 0, None], "nested": NESTED_ANY},
    )
    step0 = Step(
        reasoning="Let me look up the order — 注文",
        plan=Plan(steps=["find order", "refund"], revision=1, reason="user changed mind"),
        actions=[
            ToolCall(
                id="call_1",
                name="get_order",
                arguments={"order_id": "A-1", "opts": NESTED_ANY},
                raw_arguments='{"order_id": "A-1"}',
                rationale="need the order",
            ),
            ToolCall(name="legacy_call"),
        ],
        observations=[
            ToolResult(
                call_id="call_1",
                name="get_order",
                content='{"status": "shipped"}',
                status="partial",
                error_kind="rate_limit",
                latency_ms=12.5,
            ),
            ToolResult(content="", status="timeout"),
            UserMessage(content="Please hurry 🙏", name="alice"),
            UserMessage(content=""),
        ],
        state_notes=StateNotes(done=["looked up"], remaining=["refund"], assumptions=[]),
        env_state_digest="sha256:abc",
        state_diff={"orders": {"A-1": {"status": ["pending", "shipped"]}}, "gone": None},
        faults=[
            FaultRecord(
                kind="timeout",
                tool="get_order",
                call_id="call_1",
                permanent=True,
                detail="injected",
                params={"after_ms": 3000, "p": 0.5},
            ),
            FaultRecord(kind="noop"),
        ],
        labels=[label, Label(name="bare", source=LabelSource(kind="rule"))],
        usage=Usage(prompt_tokens=1200, completion_tokens=0, latency_ms=0.0),
    )
    step1 = Step(
        actions=[
            Reply(content="Your order shipped."),
            ClarifyingQuestion(content="Which order?"),
            HandOff(content="Passing you on", target="billing", reason="refund > limit"),
            HandOff(content="default target"),
            Finish(content="done", completed=False),
            Finish(content="done too"),
        ],
        state_notes=StateNotes(),
        state_diff={},
        usage=Usage(),
    )
    step2 = Step()  # everything default
    return Trajectory(
        id=f"traj-{i:05d}",
        task=Task(
            instruction="Refund order A-1 — «vite»",
            environment="retail",
            environment_version="1.2",
            seed=42 + i,
            parameters={"budget": 100, "currency": "EUR", "none": None},
            goal_checks=[
                GoalCheck(name="refunded", description="order refunded", params={"id": "A-1"}),
                GoalCheck(name="plain"),
            ],
            expected_actions=[
                ExpectedAction(name="refund", arguments={"id": "A-1", "amount": 10.0}),
                ExpectedAction(name="noargs"),
            ],
            difficulty=3,
            domain="retail",
            hidden_info={"secret": "the user is impatient", "list": [1, [2, [3]]]},
        ),
        tools=[
            ToolSpec(
                name="get_order",
                description="Look up an order",
                parameters={
                    "type": "object",
                    "properties": {"order_id": {"type": "string"}},
                    "required": ["order_id"],
                },
                strict=True,
            ),
            ToolSpec(name="ping", strict=False),
            ToolSpec(name="bare"),
        ],
        system_prompt="You are a helpful agent.\nBe brief.",
        steps=[step0, step1, step2],
        outcome=Outcome(
            status="partial",
            score=0.5,
            checks=[
                CheckResult(name="refunded", passed=False, score=0.0, detail="not yet"),
                CheckResult(name="polite", passed=True),
            ],
            final_state_digest="sha256:def",
        ),
        labels=[label],
        provenance=Provenance(
            source="imported",
            generator=Generator(
                policy="expert",
                model="gpt-x",
                sampling={"temperature": 0.7, "top_p": None, "stop": ["\n"]},
                seed=7,
            ),
            fault_profile="flaky",
            parent_id="traj-parent",
            branch_step=1,
            stages=[
                StageRecord(name="grade", version="0.1", params={"k": 3}),
                StageRecord(name="x"),
            ],
            original_format="toolbench",
            record_location="G1_answer/10.json#3",
            license="CC-BY-4.0",
        ),
        metrics=Metrics(
            prompt_tokens=10, completion_tokens=20, wall_time_ms=1234.5, optimal_steps=2
        ),
        metadata={"tags": ["a", "b"], "nested": NESTED_ANY, "empty": {}, "null": None},
    )


def minimal_trajectory(i: int = 0) -> Trajectory:
    """A trajectory with only the id set."""
    return Trajectory(id=f"min-{i}")


def sample_trajectories() -> list[Trajectory]:
    """A small mixed set: rich, minimal, and in between."""
    return [
        rich_trajectory(0),
        minimal_trajectory(1),
        rich_trajectory(2),
        Trajectory(id="", system_prompt="", steps=[Step(actions=[Reply(content="")])]),
        minimal_trajectory(4),
    ]


_TOOLS = ["search", "get_order", "refund", "lookup_user", "send_email"]


def generated_trajectory(i: int, steps: int = 10, seed: int = 0) -> Trajectory:
    """A realistic-size synthetic trajectory (for volume tests and benchmarks)."""
    rng = random.Random(seed * 1_000_003 + i)
    out: list[Step] = []
    for s in range(steps):
        tool = rng.choice(_TOOLS)
        call_id = f"call_{i}_{s}"
        last = s == steps - 1
        actions: list[Any] = (
            [Finish(content="All done.", completed=rng.random() < 0.8)]
            if last
            else [
                ToolCall(
                    id=call_id,
                    name=tool,
                    arguments={
                        "query": f"item {rng.randint(0, 10**6)}",
                        "limit": rng.randint(1, 50),
                    },
                )
            ]
        )
        observations: list[Any] = (
            []
            if last
            else [
                ToolResult(
                    call_id=call_id,
                    name=tool,
                    content=f"result {rng.random():.6f} " * rng.randint(1, 8),
                    status=rng.choice(["ok", "ok", "ok", "error"]),
                    latency_ms=round(rng.uniform(1, 500), 3),
                )
            ]
        )
        out.append(
            Step(
                reasoning=f"Step {s}: I should call {tool} to make progress on the task.",
                actions=actions,
                observations=observations,
                labels=[
                    Label(name="progress", source=LabelSource(kind="rule"), value=rng.random())
                ],
                usage=Usage(
                    prompt_tokens=rng.randint(100, 4000), completion_tokens=rng.randint(5, 300)
                ),
            )
        )
    return Trajectory(
        id=f"gen-{seed}-{i:07d}",
        task=Task(instruction=f"Task number {i}", environment="retail", seed=i),
        tools=[ToolSpec(name=t, description=f"The {t} tool") for t in _TOOLS],
        steps=out,
        outcome=Outcome(status="success", score=1.0),
        metrics=Metrics(prompt_tokens=1000 * steps, completion_tokens=100 * steps),
    )


def canonical(record: Trajectory) -> Trajectory:
    """The record as it reads back from JSON (ints in float fields become floats, etc.)."""
    return TrajectoryDecoder().decode(encode(record))


def encoded(records: list[Trajectory]) -> list[bytes]:
    """Each record's canonical JSON."""
    return [encode(r) for r in records]
