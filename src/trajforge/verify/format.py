"""Format verification: declared tools, valid arguments, paired results, coherent steps.

Needs no environment, so it works on imported data as on generated. Every problem is a
:class:`~trajforge.verify.pairing.Problem` with a field path (``steps[3].actions[0].arguments.x``);
:func:`check_format` returns them grouped by check.
"""

from __future__ import annotations

import msgspec

from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Reply,
    ToolCall,
    Trajectory,
    UserMessage,
)
from trajforge.verify.pairing import Pairing, Problem
from trajforge.verify.schemas import ToolTable

_ENDS = (Finish, HandOff)
_END_NAMES: dict[type, str] = {Finish: "finish", HandOff: "hand-off"}


def _describe_raw(raw: str) -> str:
    text = raw if len(raw) <= 80 else raw[:77] + "..."
    return f"the arguments are not a JSON object: {text!r}"


def _raw_is_object(raw: str) -> bool:
    """Whether raw argument text is a JSON object (checked only when ``arguments`` is empty)."""
    try:
        return isinstance(msgspec.json.decode(raw), dict)
    except msgspec.DecodeError:
        return False


def check_calls(trajectory: Trajectory, table: ToolTable, problems: list[Problem]) -> None:
    """Each call names a declared tool and its arguments are a JSON object valid for its schema."""
    schemas = table.schemas
    declared = bool(trajectory.tools)
    for i, step in enumerate(trajectory.steps):
        for j, action in enumerate(step.actions):
            if type(action) is not ToolCall:
                continue
            compiled = schemas.get(action.name)
            if compiled is None:
                if declared:
                    problems.append(
                        Problem(
                            i,
                            "unknown_tool",
                            "error",
                            f"steps[{i}].actions[{j}].name",
                            f"tool {action.name!r} is not declared in trajectory.tools",
                        )
                    )
                continue
            arguments = action.arguments
            raw = action.raw_arguments
            if raw is not None and not arguments and not _raw_is_object(raw):
                problems.append(
                    Problem(
                        i,
                        "arguments_not_object",
                        "error",
                        f"steps[{i}].actions[{j}].raw_arguments",
                        _describe_raw(raw),
                    )
                )
                continue
            error = compiled.check(arguments)
            if error is not None:
                problems.append(
                    Problem(
                        i,
                        "invalid_arguments",
                        "error",
                        f"steps[{i}].actions[{j}].arguments{error.path}",
                        f"{action.name}: {error.message}",
                    )
                )


def check_tools(trajectory: Trajectory, table: ToolTable, problems: list[Problem]) -> None:
    """Problems of the tool list itself; a warning when calls are made but no tool is declared."""
    for index, check, message in table.problems:
        grade = "error" if check == "invalid_tool_schema" else "warning"
        target = (
            f"tools[{index}].parameters"
            if check == "invalid_tool_schema"
            else f"tools[{index}].name"
        )
        problems.append(Problem(None, check, grade, target, message))
    if not trajectory.tools and any(
        type(a) is ToolCall for step in trajectory.steps for a in step.actions
    ):
        problems.append(
            Problem(
                None,
                "no_tools_declared",
                "warning",
                "tools",
                "tool calls are made but the trajectory declares no tools: calls are not validated",
            )
        )


def check_steps(trajectory: Trajectory, problems: list[Problem]) -> None:
    """Steps are coherent: none empty, nothing after an end, and the last one ends the episode."""
    steps = trajectory.steps
    if not steps:
        problems.append(Problem(None, "no_steps", "error", "steps", "the trajectory has no steps"))
        return
    ended_at: int | None = None
    for i, step in enumerate(steps):
        actions = step.actions
        if not actions:
            problems.append(
                Problem(i, "empty_step", "error", f"steps[{i}].actions", "the step takes no action")
            )
            continue
        if ended_at is not None:
            problems.append(
                Problem(
                    i,
                    "step_after_end",
                    "error",
                    f"steps[{i}]",
                    f"the episode ended (finish or hand-off) in step {ended_at}",
                )
            )
            continue
        for j, action in enumerate(actions):
            if type(action) in _END_NAMES:
                if j + 1 < len(actions):
                    problems.append(
                        Problem(
                            i,
                            "action_after_end",
                            "error",
                            f"steps[{i}].actions[{j + 1}]",
                            f"an action follows the {_END_NAMES[type(action)]} in the same step",
                        )
                    )
                if any(type(o) is UserMessage for o in step.observations):
                    problems.append(
                        Problem(
                            i,
                            "observation_after_end",
                            "warning",
                            f"steps[{i}].observations",
                            "the user answered after the episode ended",
                        )
                    )
                ended_at = i
                break
    _check_final(len(steps) - 1, trajectory, problems)


def _check_final(last: int, trajectory: Trajectory, problems: list[Problem]) -> None:
    step = trajectory.steps[last]
    if not step.actions:
        return  # reported as an empty step
    final = step.actions[-1]
    where = f"steps[{last}].actions[{len(step.actions) - 1}]"
    if isinstance(final, _ENDS):
        return
    if isinstance(final, Reply):
        if any(type(o) is UserMessage for o in step.observations):
            problems.append(
                Problem(
                    last,
                    "unanswered_user_message",
                    "warning",
                    f"steps[{last}].observations",
                    "the trajectory ends on a user message the agent never answered",
                )
            )
        return
    if isinstance(final, ClarifyingQuestion):
        problems.append(
            Problem(
                last,
                "no_final_answer",
                "warning",
                where,
                "the trajectory ends on a clarifying question, without a final answer",
            )
        )
        return
    problems.append(
        Problem(
            last,
            "no_final_answer",
            "error",
            where,
            "the last step ends with a tool call: no finish, hand-off or final answer",
        )
    )


def check_format(trajectory: Trajectory, table: ToolTable, pairing: Pairing) -> list[Problem]:
    """Every format problem of a trajectory: tools, calls, call/result pairing and step order."""
    problems: list[Problem] = []
    check_tools(trajectory, table, problems)
    check_calls(trajectory, table, problems)
    problems.extend(pairing.problems)
    check_steps(trajectory, problems)
    return problems
