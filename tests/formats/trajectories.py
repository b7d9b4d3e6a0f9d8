"""Small hand-built trajectories for the export tests, and what verify finds in one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trajforge.schema import (
    Label,
    LabelSource,
    Outcome,
    Provenance,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    TrajectoryDecoder,
    encode,
)
from trajforge.schema.records import OutcomeStatus
from trajforge.verify import verify_trajectory

TOOLS = [ToolSpec(name="lookup", description="Look a thing up.", parameters={"type": "object"})]


def call(name: str, result: str = "ok", *labels: Label, **arguments: Any) -> Step:
    """A step calling ``name`` with ``arguments``, its result, and ``labels``."""
    call_id = f"c-{name}-{len(arguments)}"
    return Step(
        actions=[ToolCall(id=call_id, name=name, arguments=arguments)],
        observations=[ToolResult(call_id=call_id, name=name, content=result)],
        labels=list(labels),
    )


def reply(text: str, *labels: Label) -> Step:
    """A step replying ``text``."""
    return Step(actions=[Reply(content=text)], labels=list(labels))


def rule(name: str, grade: str, value: float) -> Label:
    """A rule's label."""
    return Label(name=name, source=LabelSource(kind="rule", id=name), grade=grade, value=value)


def trajectory(
    id: str,
    *steps: Step,
    task: str = "find the thing",
    status: OutcomeStatus = "unknown",
    score: float | None = None,
    parent: str | None = None,
    branch_step: int | None = None,
) -> Trajectory:
    """A trajectory of ``steps`` on the task ``task``, with an outcome and a place in a tree."""
    return Trajectory(
        id=id,
        task=Task(instruction=task, environment="toy"),
        tools=TOOLS,
        system_prompt="Be brief.",
        steps=list(steps),
        outcome=Outcome(status=status, score=score),
        provenance=Provenance(parent_id=parent, branch_step=branch_step),
    )


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines export."""
    return [json.loads(line) for line in path.read_text().splitlines()]


_decoder = TrajectoryDecoder()


def findings(trajectory: Trajectory) -> set[str]:
    """The names of the step labels verify gives a copy of ``trajectory``."""
    verified = verify_trajectory(_decoder.decode(encode(trajectory)))
    return {label.name for step in verified.steps for label in step.labels}
