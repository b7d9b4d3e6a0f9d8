"""The ``tau-bench`` format: tau-bench result files (its ``historical_trajectories/*.json``).

A file is a JSON array of results ``{task_id, reward, info: {task: {user_id, actions: [{name,
kwargs}], instruction, outputs}, source, user_cost, reward_info}, traj, trial}``; each result is
one trajectory:

- ``traj`` (OpenAI chat messages) maps as the ``openai`` format maps messages: the system message
  (the domain's policy) is the system prompt, the first user message the instruction, each
  assistant message a step; a tool result that says ``Error: ...`` has status ``error``;
- ``info.task.actions`` are the expected actions and ``outputs`` the required outputs, under the
  ``writes`` scope: tau-bench's reward compares the database after replaying the actions with the
  agent's, and looks for each output in the agent's replies;
- the simulated user's ``instruction`` and ``user_id`` are the task's hidden information,
  ``task_id`` is ``task.parameters["task_id"]``, ``reward`` is ``outcome.source_reward``;
- a last user message with the simulated user's ``###STOP###`` ends the conversation: it is no
  message for the agent to answer (a user of trajforge's own runs that has nothing more to say
  sends none), so it is no observation; it is kept whole in ``provenance.extra`` at its place
  (``traj[N]``) and written back;
- the file has no tool definitions: the tools are the names called or expected, read-only by
  name (see :mod:`~trajforge.formats.tau_tools`), ``transfer_to_human_agents`` the hand-off;
- the rest (``trial``, ``info.source``, ``info.user_cost``, ``info.reward_info``, unknown keys)
  is kept in ``provenance.extra`` by where it was (``$``, ``info``, ``info.task``,
  ``info.task.actions[i]``) and written back by the writer.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

import msgspec

from trajforge.errors import ConversionError
from trajforge.formats.extra import put_back
from trajforge.formats.fields import keep_unmapped
from trajforge.formats.importer import import_format
from trajforge.formats.openai import record_to_trajectory, trajectory_to_messages
from trajforge.formats.openai_wire import located_error
from trajforge.formats.tau_tools import ERROR_PREFIX, read_only_by_name, tool_specs, user_ends
from trajforge.io import WriteResult, write_lines
from trajforge.io.documents import SourceRecord
from trajforge.schema import ExpectedAction, Outcome, Provenance, ToolCall, ToolResult, Trajectory

NAME: Final = "tau-bench"
ID_PREFIX: Final = "tau-"
TRAJ: Final = "traj"
MESSAGES: Final = "messages"
_RESULT_KEYS: Final = ("task_id", "reward", "info", "traj")
_TASK_KEYS: Final = ("user_id", "actions", "instruction", "outputs")
_HIDDEN_KEYS: Final = ("user_id", "instruction")


class _Action(msgspec.Struct):
    name: str
    kwargs: dict[str, Any] = {}


class _Task(msgspec.Struct):
    actions: list[_Action] = []
    outputs: list[str] = []


class _Info(msgspec.Struct):
    task: _Task


class _Result(msgspec.Struct):
    """The part of a result the importer reads; other keys are kept as they are."""

    traj: list[dict[str, Any]]
    info: _Info
    reward: float | None = None


def detect(data: Any) -> bool:
    """Whether a record is a tau-bench result: ``traj`` messages and ``info.task`` actions."""
    if not isinstance(data, dict) or not isinstance(data.get("traj"), list):
        return False
    info = data.get("info")
    task = info.get("task") if isinstance(info, dict) else None
    return isinstance(task, dict) and "actions" in task


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of one tau-bench result (see the module)."""
    data = record.data
    if not isinstance(data, dict):
        raise ConversionError(
            "expected a tau-bench result object", hint="a result is {task_id, reward, info, traj}"
        )
    try:
        result = msgspec.convert(data, _Result)
    except msgspec.ValidationError as exc:
        error = located_error(exc)
        error.hint = "a tau-bench result is {task_id, reward, info: {task: {actions}}, traj}"
        raise error from None
    messages, ending = _without_ending(data["traj"])
    trajectory = _chat(messages, _id(data["traj"]), record.location)
    task_data: dict[str, Any] = data["info"]["task"]
    task = trajectory.task
    task.expected_actions = [
        ExpectedAction(name=a.name, arguments=a.kwargs) for a in result.info.task.actions
    ]
    task.required_outputs = result.info.task.outputs
    task.expected_scope = "writes"
    task.hidden_info = {k: task_data[k] for k in _HIDDEN_KEYS if k in task_data}
    if "task_id" in data:
        task.parameters = {"task_id": data["task_id"]}
    _mark_errors(trajectory)
    trajectory.tools = tool_specs(_tool_names(trajectory), read_only_by_name)
    trajectory.outcome = Outcome(source_reward=result.reward)
    trajectory.provenance = Provenance(
        source="imported",
        original_format=NAME,
        record_location=record.location,
        extra=_in_traj(trajectory.provenance.extra) | _extra(data),
    )
    if ending is not None:
        trajectory.provenance.extra[f"{TRAJ}[{len(messages)}]"] = ending
    return [trajectory]


def _without_ending(traj: list[Any]) -> tuple[list[Any], dict[str, Any] | None]:
    """The messages the agent took part in, and the simulated user's last message where it ends
    the conversation (it has the stop token and follows an assistant message)."""
    *before, last = traj or [None]
    ends = isinstance(last, dict) and user_ends(
        last.get("role"),
        last.get("content"),
        calls=bool(last.get("tool_calls")),
        agent_spoke=any(isinstance(m, dict) and m.get("role") == "assistant" for m in before),
    )
    return (before, last) if ends else (traj, None)


def _chat(traj: list[dict[str, Any]], id: str, location: str) -> Trajectory:
    """The trajectory of the messages, as the openai format maps them (errors located in traj)."""
    try:
        return record_to_trajectory({"messages": traj}, id=id, location=location)
    except ConversionError as err:
        if err.path is not None:
            err.path = "traj" + err.path.removeprefix("messages")
        raise


def _in_traj(kept: dict[str, Any]) -> dict[str, Any]:
    """What the openai mapping kept of the messages (``messages[3]``), by where it was in the
    result (``traj[3]``)."""
    return {TRAJ + path.removeprefix(MESSAGES): keys for path, keys in kept.items()}


def _id(traj: list[dict[str, Any]]) -> str:
    canonical = msgspec.json.encode(traj, order="sorted")
    return ID_PREFIX + hashlib.blake2b(canonical, digest_size=16).hexdigest()


def _mark_errors(trajectory: Trajectory) -> None:
    """Tool results that report an exception (tau-bench's convention) get status ``error``."""
    for step in trajectory.steps:
        for observation in step.observations:
            if type(observation) is ToolResult and observation.content.startswith(ERROR_PREFIX):
                observation.status = "error"


def _tool_names(trajectory: Trajectory) -> Iterator[str]:
    for step in trajectory.steps:
        yield from (a.name for a in step.actions if type(a) is ToolCall)
    yield from (a.name for a in trajectory.task.expected_actions)


def _extra(data: dict[str, Any]) -> dict[str, Any]:
    """What of a result the trajectory does not hold, by where it was."""
    extra: dict[str, Any] = {}
    keep_unmapped(extra, "$", data, _RESULT_KEYS)
    info = data["info"]
    keep_unmapped(extra, "info", info, ("task",))
    keep_unmapped(extra, "info.task", info["task"], _TASK_KEYS)
    for index, action in enumerate(info["task"].get("actions", ())):
        keep_unmapped(extra, f"info.task.actions[{index}]", action, ("name", "kwargs"))
    return extra


# ---------------------------------------------------------------- export


def _in(path: str, key: str) -> bool:
    return path.startswith((f"{key}[", f"{key}."))


def trajectory_to_result(trajectory: Trajectory) -> dict[str, Any]:
    """The tau-bench result of a trajectory; the keys kept in ``provenance.extra`` go back."""
    extra = trajectory.provenance.extra
    task = trajectory.task
    actions = []
    for index, action in enumerate(task.expected_actions):
        actions.append({"name": action.name, "kwargs": action.arguments})
        actions[-1].update(extra.get(f"info.task.actions[{index}]", {}))
    task_record: dict[str, Any] = {
        k: task.hidden_info[k] for k in _HIDDEN_KEYS if k in task.hidden_info
    }
    task_record |= {"actions": actions, "outputs": task.required_outputs}
    task_record = {k: task_record[k] for k in _TASK_KEYS if k in task_record}
    task_record.update(extra.get("info.task", {}))
    result: dict[str, Any] = {}
    if "task_id" in task.parameters:
        result["task_id"] = task.parameters["task_id"]
    if trajectory.outcome.source_reward is not None:
        result["reward"] = trajectory.outcome.source_reward
    result["info"] = {"task": task_record, **extra.get("info", {})}
    chat = {MESSAGES: trajectory_to_messages(trajectory, as_source=True)}
    put_back(chat, {MESSAGES + p.removeprefix(TRAJ): k for p, k in extra.items() if _in(p, TRAJ)})
    ending = extra.get(f"{TRAJ}[{len(chat[MESSAGES])}]")  # kept one past the messages: whole
    result["traj"] = chat[MESSAGES] + ([ending] if isinstance(ending, dict) else [])
    result.update(extra.get("$", {}))
    return result


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One JSON array of results, as tau-bench writes them (shard options do not apply)."""
    count = 0

    def lines() -> Iterator[bytes]:
        nonlocal count
        yield b"["
        for trajectory in trajectories:
            encoded = msgspec.json.encode(trajectory_to_result(trajectory))
            yield (b"," if count else b"") + encoded
            count += 1
        yield b"]"

    write_lines(dest, lines())
    return WriteResult(count, (Path(dest),))


FORMAT = dataclasses.replace(
    import_format(
        NAME,
        "tau-bench result files (task_id, reward, info.task, traj); written as a JSON array",
        convert,
        detect=detect,
        write=write,
    ),
    # what it writes: one JSON array, so a dataset directory's data file is data/train.json
    suffixes=(".json", ".json.gz", ".json.zst"),
)
