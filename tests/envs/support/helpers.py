"""Shared helpers of the support environment's tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trajforge.envs.support import SupportEnv
from trajforge.schema import (
    Action,
    ExpectedAction,
    Observation,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)


def call(tool_name: str, call_id: str | None = None, /, **arguments: Any) -> ToolCall:
    """A ToolCall with keyword arguments."""
    return ToolCall(id=call_id, name=tool_name, arguments=arguments)


def task_of(kind: str, difficulty: int, start: int = 0, **truth: Any) -> Task:
    """The first task from ``start`` on whose scenario is ``kind`` (and whose truth matches)."""
    for seed in range(start, start + 2000):
        task = SupportEnv.generate_task(seed, difficulty)
        t = task.parameters["truth"]
        if t["kind"] == kind and all(t.get(k) == v for k, v in truth.items()):
            return task
    raise AssertionError(f"no {kind} task found")


def run(env: SupportEnv, actions: Sequence[ExpectedAction | ToolCall]) -> list[ToolResult]:
    """Execute expected actions (or tool calls) in order."""
    results = []
    for n, action in enumerate(actions):
        if isinstance(action, ToolCall):
            results.append(env.execute(action))
        else:
            results.append(
                env.execute(ToolCall(id=f"c{n}", name=action.name, arguments=action.arguments))
            )
    return results


def fresh(task: Task) -> SupportEnv:
    """A SupportEnv reset to ``task``."""
    env = SupportEnv()
    env.reset(task)
    return env


def step(
    *actions: Action,
    user: str | None = None,
    errors: frozenset[str] | set[str] = frozenset(),
    results: list[Observation] | None = None,
) -> Step:
    """A step: each tool call gets a result (ok, or an error if its id is in ``errors``) unless
    ``results`` are given; ``user`` adds the user's message after them."""
    obs: list[Observation] = list(results) if results is not None else []
    if results is None:
        for a in actions:
            if isinstance(a, ToolCall):
                failed = a.id in errors
                obs.append(
                    ToolResult(
                        call_id=a.id,
                        name=a.name,
                        content='{"error": "failed"}' if failed else "{}",
                        status="error" if failed else "ok",
                    )
                )
    if user is not None:
        obs.append(UserMessage(content=user))
    return Step(actions=list(actions), observations=obs)


def trajectory(task: Task, steps: list[Step]) -> Trajectory:
    """A trajectory of ``task`` with the given steps."""
    return Trajectory(id="t", task=task, steps=steps)
