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
    Step,
    ToolCall,
    Trajectory,
    UserMessage,
)
from trajforge.verify.pairing import CallPair, Pairing, Problem, final_tools
from trajforge.verify.schemas import ArgumentError, ToolTable

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


def _unknown_tool(pair: CallPair) -> Problem:
    i, j, name = pair.step, pair.action, pair.call.name
    message = f"tool {name!r} is not declared in trajectory.tools"
    return Problem(i, "unknown_tool", "error", f"steps[{i}].actions[{j}].name", message)


def _not_object(pair: CallPair, raw: str) -> Problem:
    i, j = pair.step, pair.action
    target = f"steps[{i}].actions[{j}].raw_arguments"
    return Problem(i, "arguments_not_object", "error", target, _describe_raw(raw))


def _invalid(pair: CallPair, error: ArgumentError) -> Problem:
    i, j, name = pair.step, pair.action, pair.call.name
    target = f"steps[{i}].actions[{j}].arguments{error.path}"
    return Problem(i, "invalid_arguments", "error", target, f"{name}: {error.message}")


def check_calls(
    trajectory: Trajectory, table: ToolTable, pairing: Pairing, problems: list[Problem]
) -> None:
    """Each call names a declared tool and its arguments are a JSON object valid for its schema."""
    schemas = table.schemas
    declared = bool(trajectory.tools)
    for pairs in pairing.steps:
        for pair in pairs:
            call = pair.call
            compiled = schemas.get(call.name)
            if compiled is None:
                if declared:
                    problems.append(_unknown_tool(pair))
                continue
            raw = call.raw_arguments
            if raw is not None and not call.arguments and not _raw_is_object(raw):
                problems.append(_not_object(pair, raw))
                continue
            error = compiled.check(call.arguments)
            if error is not None:
                problems.append(_invalid(pair, error))


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


def _end_problems(i: int, step: Step, problems: list[Problem]) -> bool:
    """Problems of the step's end (finish or hand-off), if it has one; whether it has one."""
    actions = step.actions
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
            return True
    return False


def check_steps(trajectory: Trajectory, problems: list[Problem]) -> None:
    """Steps are coherent: none empty, nothing after an end, and the last one ends the episode."""
    steps = trajectory.steps
    if not steps:
        problems.append(Problem(None, "no_steps", "error", "steps", "the trajectory has no steps"))
        return
    ended_at: int | None = None
    for i, step in enumerate(steps):
        actions = step.actions
        if len(actions) == 1 and ended_at is None and type(actions[0]) not in _END_NAMES:
            continue  # the common step: one action, not the end
        if not actions:
            problems.append(
                Problem(i, "empty_step", "error", f"steps[{i}].actions", "the step takes no action")
            )
        elif ended_at is not None:
            problems.append(
                Problem(
                    i,
                    "step_after_end",
                    "error",
                    f"steps[{i}]",
                    f"the episode ended (finish or hand-off) in step {ended_at}",
                )
            )
        elif _end_problems(i, step, problems):
            ended_at = i
    _check_final(len(steps) - 1, trajectory, problems)


def _check_final(last: int, trajectory: Trajectory, problems: list[Problem]) -> None:
    step = trajectory.steps[last]
    if not step.actions:
        return  # reported as an empty step
    final = step.actions[-1]
    if isinstance(final, _ENDS):
        return
    if isinstance(final, ToolCall) and final.name in final_tools(trajectory):
        return  # a hand-off or finish done through a tool is the final answer
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
    where = f"steps[{last}].actions[{len(step.actions) - 1}]"
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
    check_calls(trajectory, table, pairing, problems)
    problems.extend(pairing.problems)
    check_steps(trajectory, problems)
    return problems
