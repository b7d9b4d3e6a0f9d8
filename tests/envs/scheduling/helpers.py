"""Shared helpers for the scheduling environment tests."""

from __future__ import annotations

from typing import Any

from trajforge.envs.scheduling import SchedulingEnv
from trajforge.schema import (
    ClarifyingQuestion,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)


def call(tool: str, /, **arguments: Any) -> ToolCall:
    """A tool call."""
    return ToolCall(id="c", name=tool, arguments=arguments)


def expected_calls(task: Task) -> list[ToolCall]:
    """The task's expected actions as tool calls with ids."""
    return [
        ToolCall(id=f"c{i}", name=a.name, arguments=dict(a.arguments))
        for i, a in enumerate(task.expected_actions)
    ]


def run_calls(env: SchedulingEnv, task: Task, calls: list[ToolCall]) -> list[Step]:
    """Reset ``env`` on ``task`` and execute ``calls``, one step each."""
    env.reset(task)
    return [Step(actions=[c], observations=[env.execute(c)]) for c in calls]


def ask(question: str = "Which one do you mean?", answer: str = "The first one.") -> Step:
    """A clarifying question and the user's answer."""
    return Step(
        actions=[ClarifyingQuestion(content=question)], observations=[UserMessage(content=answer)]
    )


def trajectory(task: Task, steps: list[Step]) -> Trajectory:
    """A trajectory of ``steps`` on ``task``."""
    return Trajectory(id="t", task=task, steps=steps)


def result_of(step: Step) -> ToolResult:
    """The single tool result of a step."""
    result = step.observations[0]
    assert isinstance(result, ToolResult)
    return result


def task_of(difficulty: int, variant: str | None = None, start: int = 0) -> Task:
    """The first task (from seed ``start``) of a difficulty, and variant if given."""
    for seed in range(start, start + 500):
        task = SchedulingEnv.generate_task(seed, difficulty)
        if variant is None or task.parameters["truth"]["variant"] == variant:
            return task
    raise AssertionError(f"no {variant} task at difficulty {difficulty}")
