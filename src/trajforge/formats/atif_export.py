"""Export to Harbor's ATIF: the inverse of :mod:`trajforge.formats.atif` (see it for the mapping),
written as JSON lines, one ATIF trajectory object per line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import msgspec

from trajforge.errors import ConversionError
from trajforge.formats.fields import json_type
from trajforge.formats.transcript import single_text
from trajforge.io import WriteResult, write_lines
from trajforge.schema import Trajectory
from trajforge.schema.records import (
    Step,
    ToolCall,
    ToolResult,
    ToolSpec,
    UserMessage,
)

NAME: Final = "atif"
SCHEMA_VERSION: Final = "ATIF-v1.7"
#: The keys of an OpenAI-style function definition, in the order they are written.
FUNCTION_KEYS: Final = ("name", "description", "parameters", "strict")


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSON-lines file of ATIF trajectories (shard options do not apply)."""
    lines = (msgspec.json.encode(trajectory_to_atif(t)) for t in trajectories)
    return WriteResult(write_lines(dest, lines), (Path(dest),))


def trajectory_to_atif(traj: Trajectory) -> dict[str, Any]:
    """The ATIF object of a trajectory (what an ATIF import kept in extra put back)."""
    steps: list[dict[str, Any]] = []
    if traj.system_prompt is not None:
        steps.append({"source": "system", "message": traj.system_prompt})
    if traj.task.instruction is not None:
        steps.append({"source": "user", "message": traj.task.instruction})
    for index, step in enumerate(traj.steps):
        steps.extend(_step_objects(step, index))
    for number, obj in enumerate(steps, start=1):
        obj["step_id"] = number
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "session_id": traj.id,
        "agent": _agent(traj),
        "steps": steps,
    }
    totals = {
        "total_prompt_tokens": traj.metrics.prompt_tokens,
        "total_completion_tokens": traj.metrics.completion_tokens,
    }
    if any(value is not None for value in totals.values()):
        record["final_metrics"] = {k: v for k, v in totals.items() if v is not None}
    if traj.provenance.original_format == NAME:
        _put_back(record, traj.provenance.extra)
    return record


def _agent(traj: Trajectory) -> dict[str, Any]:
    generator = traj.provenance.generator
    agent: dict[str, Any] = {"name": "trajforge", "version": "unknown"}
    if generator is not None and generator.policy is not None:
        agent["name"] = generator.policy
    if generator is not None and generator.model is not None:
        agent["model_name"] = generator.model
    if traj.tools:
        agent["tool_definitions"] = [_tool_definition(tool) for tool in traj.tools]
    return agent


def _tool_definition(tool: ToolSpec) -> dict[str, Any]:
    """An OpenAI-style function definition (a tool's role and read_only have no place in it)."""
    values = (tool.name, tool.description, tool.parameters, tool.strict)
    function = {
        key: value for key, value in zip(FUNCTION_KEYS, values, strict=True) if value is not None
    }
    return {"type": "function", "function": function}


def _step_objects(step: Step, index: int) -> list[dict[str, Any]]:
    """The agent step of a trajforge step, then a user step per user message it observed."""
    where = f"steps[{index}]"
    message = single_text(step, where, "an ATIF agent step")
    agent: dict[str, Any] = {"source": "agent", "message": message or ""}
    if step.reasoning is not None:
        agent["reasoning_content"] = step.reasoning
    calls = [action for action in step.actions if isinstance(action, ToolCall)]
    if calls:
        agent["tool_calls"] = [
            {
                "tool_call_id": call.id if call.id is not None else f"call_{index}_{n}",
                "function_name": call.name,
                "arguments": call.arguments,
            }
            for n, call in enumerate(calls)
        ]
    results = [_result(o) for o in step.observations if isinstance(o, ToolResult)]
    if results:
        agent["observation"] = {"results": results}
    if step.usage is not None:
        counts = {"prompt_tokens": step.usage.prompt_tokens}
        counts["completion_tokens"] = step.usage.completion_tokens
        if any(value is not None for value in counts.values()):
            agent["metrics"] = {k: v for k, v in counts.items() if v is not None}
    users = [
        {"source": "user", "message": o.content}
        for o in step.observations
        if isinstance(o, UserMessage)
    ]
    return [agent, *users]


def _result(result: ToolResult) -> dict[str, Any]:
    item: dict[str, Any] = {"content": result.content}
    if result.call_id is not None:
        item["source_call_id"] = result.call_id
    return item


def _put_back(record: dict[str, Any], extra: dict[str, Any]) -> None:
    """Merge what the import kept, each object at its place in the record."""
    for where, kept in extra.items():
        target = _resolve(record, where)
        if not isinstance(target, dict) or not isinstance(kept, dict):
            raise ConversionError(
                f"provenance.extra[{where!r}] has no object to go back into "
                f"(found {json_type(target)})",
                path=f"provenance.extra.{where}",
                hint="the trajectory was edited since it was imported from ATIF",
            )
        target.update(kept)


def _resolve(record: dict[str, Any], where: str) -> Any:
    """The value at a place such as ``steps[3].observation.results[1]`` (None if missing)."""
    if where == "$":
        return record
    node: Any = record
    for part in where.replace("[", ".[").split("."):
        if part.startswith("["):
            index = int(part[1:-1])
            node = node[index] if isinstance(node, list) and index < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return node
