"""Shared helpers for the web environment's tests."""

from __future__ import annotations

import re
from typing import Any

from trajforge.envs.web import WebEnv, tasks
from trajforge.schema import ExpectedAction, Task, ToolCall, ToolResult


def generate_task(seed: int, difficulty: int, *, site_version: str | None = None) -> Task:
    """``tasks.generate_task`` for the current ``WebEnv.version``."""
    return tasks.generate_task(
        seed, difficulty, environment_version=WebEnv.version, site_version=site_version
    )


def call(env: WebEnv, name: str, **arguments: Any) -> ToolResult:
    """Execute one tool call."""
    return env.execute(ToolCall(id="c", name=name, arguments=arguments))


def run(env: WebEnv, task: Task, actions: list[ExpectedAction] | None = None) -> list[ToolResult]:
    """Reset to a task and run actions (default: its expected actions)."""
    env.reset(task)
    todo = task.expected_actions if actions is None else actions
    return [
        env.execute(ToolCall(id=f"c{i}", name=a.name, arguments=a.arguments))
        for i, a in enumerate(todo)
    ]


def task_of(kind: str, difficulty: int, version: str | None = None, **truth: Any) -> Task:
    """The first task (by seed) of a kind whose truth has the given values."""
    for seed in range(2000):
        task = generate_task(seed, difficulty, site_version=version)
        t = task.parameters["truth"]
        if t["kind"] == kind and all(t.get(k) == v for k, v in truth.items()):
            return task
    raise AssertionError(f"no {kind} task with {truth}")


def task_where(difficulty: int, version: str | None = None, **params: Any) -> Task:
    """The first task whose parameters have the given values."""
    for seed in range(2000):
        task = generate_task(seed, difficulty, site_version=version)
        if all(task.parameters.get(k) == v for k, v in params.items()):
            return task
    raise AssertionError(f"no task with {params}")


def ids_on_page(text: str) -> set[int]:
    """Element ids listed on a rendered page."""
    return {int(m) for m in re.findall(r"\[(\d+)\]", text)}
