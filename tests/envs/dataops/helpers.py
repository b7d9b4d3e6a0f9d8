"""Shared helpers for the dataops tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from trajforge.envs.dataops import DataOpsEnv
from trajforge.schema import ExpectedAction, Task, ToolCall, ToolResult


def call(env: DataOpsEnv, tool: str, /, **arguments: Any) -> ToolResult:
    """Run one tool call."""
    return env.execute(ToolCall(id="c", name=tool, arguments=arguments))


def body(result: ToolResult) -> Any:
    """The decoded JSON content of a result."""
    return msgspec.json.decode(result.content)


def run(env: DataOpsEnv, actions: Iterable[ExpectedAction]) -> list[ToolResult]:
    """Run a sequence of expected actions; their results."""
    return [
        env.execute(ToolCall(id=f"c{i}", name=a.name, arguments=a.arguments))
        for i, a in enumerate(actions)
    ]


def started(task: Task) -> DataOpsEnv:
    """A fresh environment reset to a task."""
    env = DataOpsEnv()
    env.reset(task)
    return env


def find_task(difficulty: int, predicate: Callable[[Task], bool], start: int = 0) -> Task:
    """The first task of a difficulty (from seed ``start`` on) that satisfies a predicate."""
    for seed in range(start, start + 5_000):
        task = DataOpsEnv.generate_task(seed, difficulty)
        if predicate(task):
            return task
    raise AssertionError("no such task in 5,000 seeds")


def counts(task: Task) -> dict[str, int]:
    """The task's true mismatch counts."""
    result: dict[str, int] = task.parameters["truth"]["counts"]
    return result


def truth(task: Task) -> dict[str, Any]:
    """The task's ground truth."""
    result: dict[str, Any] = task.parameters["truth"]
    return result
