"""Shared helpers for the itops environment tests."""

from __future__ import annotations

from typing import Any

from trajforge.envs.itops import ItOpsEnv
from trajforge.schema import (
    Action,
    ExpectedAction,
    Observation,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
)


def call(tool_name: str, call_id: str = "c", /, **arguments: Any) -> ToolCall:
    """A ToolCall record."""
    return ToolCall(id=call_id, name=tool_name, arguments=arguments)


def fresh(seed: int, difficulty: int) -> tuple[ItOpsEnv, Task]:
    """A reset environment and its task."""
    task = ItOpsEnv.generate_task(seed, difficulty)
    env = ItOpsEnv()
    env.reset(task)
    return env, task


def play(env: ItOpsEnv, actions: list[ExpectedAction]) -> list[ToolResult]:
    """Execute expected actions in order, returning their results."""
    return [
        env.execute(ToolCall(id=f"c{i}", name=a.name, arguments=a.arguments))
        for i, a in enumerate(actions)
    ]


def run(env: ItOpsEnv, tool_name: str, /, **arguments: Any) -> ToolResult:
    """Execute one call."""
    return env.execute(ToolCall(id="x", name=tool_name, arguments=arguments))


def tool_step(env: ItOpsEnv, tool_name: str, call_id: str, /, **arguments: Any) -> Step:
    """A step with one tool call, executed in ``env`` so that its result is real."""
    action = ToolCall(id=call_id, name=tool_name, arguments=arguments)
    return Step(actions=[action], observations=[env.execute(action)])


def step(actions: list[Action], observations: list[Observation] | None = None) -> Step:
    """A hand-built step."""
    return Step(actions=actions, observations=observations or [])


def trajectory(task: Task, steps: list[Step]) -> Trajectory:
    """A trajectory of ``task``."""
    return Trajectory(id="t", task=task, steps=steps)


def find_task(difficulty: int, predicate: Any, limit: int = 3000) -> Task:
    """The first generated task (by seed) satisfying ``predicate``."""
    for seed in range(limit):
        task = ItOpsEnv.generate_task(seed, difficulty)
        if predicate(task):
            return task
    raise AssertionError("no task found")


def fault_kinds(task: Task) -> list[str]:
    """The kinds of the faults injected in a task."""
    return [f["kind"] for f in task.parameters["faults"]]
