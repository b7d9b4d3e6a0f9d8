"""Deterministic synthetic trajectories for benchmarks (about 4 KB each with 10 steps)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from trajforge.schema import (
    Label,
    LabelSource,
    Outcome,
    Reply,
    StateNotes,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    Usage,
    encode,
)

TOOLS = ["get_order", "find_customer", "refund_order", "search_logs", "run_query", "book_meeting"]
WORDS = [
    "order",
    "customer",
    "refund",
    "lamp",
    "sofa",
    "delivered",
    "pending",
    "shipped",
    "invoice",
    "ledger",
    "room",
    "alex",
]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def make_trajectory(index: int, steps: int = 10) -> Trajectory:
    """One synthetic trajectory; the same index always gives the same record."""
    rng = random.Random(index)
    body = []
    for k in range(steps):
        name = rng.choice(TOOLS)
        call_id = f"call_{index}_{k}"
        last = k == steps - 1
        actions: list[ToolCall | Reply] = (
            [Reply(content=_text(rng, 20))]
            if last
            else [
                ToolCall(
                    id=call_id,
                    name=name,
                    arguments={"id": f"W{rng.randrange(10**6)}", "reason": _text(rng, 3), "qty": k},
                )
            ]
        )
        observations = (
            []
            if last
            else [
                ToolResult(
                    call_id=call_id,
                    name=name,
                    content=_text(rng, 14),
                    status=rng.choice(["ok", "ok", "ok", "error", "timeout"]),
                    latency_ms=rng.random() * 100,
                )
            ]
        )
        body.append(
            Step(
                reasoning=_text(rng, 6),
                actions=list(actions),
                observations=list(observations),
                state_notes=StateNotes(done=[_text(rng, 2)], remaining=[_text(rng, 2)]),
                env_state_digest=f"{rng.getrandbits(96):024x}",
                labels=[
                    Label(name="efficiency", source=LabelSource(kind="rule", id="eff"), value=0.5)
                ],
                usage=Usage(
                    prompt_tokens=rng.randrange(2000), completion_tokens=rng.randrange(200)
                ),
            )
        )
    return Trajectory(
        id=f"bench-{index:08d}",
        task=Task(instruction=_text(rng, 25), environment="support", seed=index, difficulty=2),
        tools=[
            ToolSpec(
                name=t,
                description=f"{t} tool",
                parameters={"type": "object", "properties": {"id": {"type": "string"}}},
            )
            for t in TOOLS[:3]
        ],
        system_prompt="You are a careful support agent.",
        steps=body,
        outcome=Outcome(status="success", score=1.0),
    )


def iter_trajectories(n: int, steps: int = 10) -> Iterator[Trajectory]:
    """``n`` synthetic trajectories."""
    for i in range(n):
        yield make_trajectory(i, steps)


def write_jsonl(path: Path, n: int, steps: int = 10) -> Path:
    """Write ``n`` synthetic trajectories as JSONL (cached: skipped when the file exists)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        for traj in iter_trajectories(n, steps):
            f.write(encode(traj) + b"\n")
    tmp.replace(path)
    return path
