"""Export to tau2-bench: the inverse of :mod:`trajforge.formats.tau2_bench` (see it for the
mapping), written as one results file ``{simulations, tasks, info, ...}``.

Each trajectory is a simulation: its steps become an assistant message (the step's text action
the ``content``, its calls the ``tool_calls``) followed by the messages of its observations in
order (a tool result a ``tool`` message with the call ``id``, ``"error": true`` where it failed;
a user message, then the results of the user's own calls); ``outcome.source_reward`` is
``reward_info.reward``. Its task goes once into ``tasks`` (by ``parameters.task_id``, else the
trajectory id): the hidden information as ``user_scenario``, the expected actions (arguments
matched by ``any`` left out of ``compare_args``) and required outputs as
``evaluation_criteria``. The file's ``info`` is the first trajectory's: generator as
``agent_info``, domain, policy (the system prompt; a simulation whose prompt differs, or whose
import found it there, carries its own ``policy``) and tool definitions as
``environment_info``.

What the import kept in ``provenance.extra`` goes back where it was (the simulated user's
ending message, kept whole one past the messages, after them), so importing a file and
exporting its trajectories gives the file back. A trajectory from elsewhere gets what tau2-bench
reads: its instruction joins the user scenario's ``instructions``, the reward basis follows the
expected scope (``ACTION`` for ``calls``, ``DB`` for ``writes``, ``COMMUNICATE`` with required
outputs). A step the format cannot hold (two text actions, a call without an id) goes to the
``on_error`` writer option, or raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import msgspec

from trajforge.errors import ConfigError, ConversionError, TrajforgeError
from trajforge.formats.extra import ROOT, put_back
from trajforge.formats.transcript import single_text
from trajforge.io import BadRecord, OnError, WriteResult, write_lines
from trajforge.schema import Trajectory, encode
from trajforge.schema.records import ExpectedAction, Generator, Step, ToolCall, ToolResult, ToolSpec

NAME: Final = "tau2-bench"
ID_PREFIX: Final = "tau2-"
SUFFIXES: Final = (".json", ".json.gz", ".json.zst")
_SIMULATION: Final = re.compile(r"simulations\[\d+\]")
_TASK: Final = re.compile(r"tasks\[\d+\]")
_FAILED: Final = frozenset({"error", "timeout"})


def write(dest: str, trajectories: Iterable[Trajectory], /, **options: Any) -> WriteResult:
    """One tau2-bench results file of ``trajectories`` (see the module; shard options do not
    apply)."""
    if not dest.lower().endswith(SUFFIXES):
        raise ConfigError(
            f"a tau2-bench results file is one JSON object, not {Path(dest).name}",
            path="OUT",
            hint=f"name a file ending in {', '.join(SUFFIXES)}",
        )
    results = _Results()
    on_error: OnError | None = options.get("on_error")

    def lines() -> Iterator[bytes]:
        yield b'{"simulations":['
        separator = b""
        for simulation in results.simulations(trajectories, on_error):
            yield separator + msgspec.json.encode(simulation)
            separator = b","
        # the rest of the object once every task is known: {"tasks": ...} less its brace
        yield b"]," + msgspec.json.encode(results.rest())[1:]

    write_lines(dest, lines())
    return WriteResult(results.count, (Path(dest),))


class _Results:
    """The parts of the file the trajectories share: tasks by id, the first one's info."""

    def __init__(self) -> None:
        self.count = 0
        self.tasks: dict[str, dict[str, Any]] = {}
        self.info: dict[str, Any] = {}
        self.top: dict[str, Any] = {}
        self.policy: str | None = None

    def simulations(
        self, trajectories: Iterable[Trajectory], on_error: OnError | None
    ) -> Iterator[dict[str, Any]]:
        """The simulation of each trajectory; one that cannot be written goes to ``on_error``
        (else its error is raised), located at the trajectory."""
        for trajectory in trajectories:
            try:
                simulation = self._simulation(trajectory)
            except TrajforgeError as err:
                where = trajectory.provenance.record_location or f"trajectory {trajectory.id}"
                err.located(file=where)
                if on_error is None:
                    raise
                on_error(BadRecord.from_error(err, raw=encode(trajectory)))
                continue
            self.count += 1
            yield simulation

    def rest(self) -> dict[str, Any]:
        """The file's keys besides its simulations."""
        return {**self.top, "info": self.info, "tasks": list(self.tasks.values())}

    def _simulation(self, trajectory: Trajectory) -> dict[str, Any]:
        extra = trajectory.provenance.extra
        messages = _messages(trajectory.steps)
        own_policy = _imported(trajectory) and "policy" in extra.get("info.environment_info", {})
        if self.count == 0:
            self.top = dict(extra.get(ROOT, {}))
            self.info = _info(trajectory, with_policy=not own_policy)
            self.policy = self.info.get("environment_info", {}).get("policy")
        task_id = str(trajectory.task.parameters.get("task_id", trajectory.id))
        if task_id not in self.tasks:
            self.tasks[task_id] = _task(trajectory, task_id)
        simulation: dict[str, Any] = {
            "id": trajectory.id.removeprefix(ID_PREFIX),
            "task_id": task_id,
            "messages": messages,
        }
        prompt = trajectory.system_prompt
        if prompt and (own_policy or prompt != self.policy):
            simulation["policy"] = prompt
        kept = _under(extra, _place(extra, _SIMULATION))
        ending = kept.get(f"messages[{len(messages)}]")
        if isinstance(ending, dict) and "role" in ending:  # kept whole, not a message's keys
            messages.append(dict(ending))
        reward = trajectory.outcome.source_reward
        if reward is not None or "reward_info" in kept:
            simulation["reward_info"] = {} if reward is None else {"reward": reward}
        return put_back(simulation, kept)


def _imported(trajectory: Trajectory) -> bool:
    return trajectory.provenance.original_format == NAME


def _place(extra: Mapping[str, Any], pattern: re.Pattern[str]) -> str | None:
    """Where in its file the import found the trajectory's simulation (or task): the first kept
    path under such a place (``simulations[3]``), if any."""
    return next((m.group() for path in extra if (m := pattern.match(path)) is not None), None)


def _under(extra: Mapping[str, Any], place: str | None) -> dict[str, Any]:
    """The kept keys under ``place`` (``tasks[3]``), their paths made relative to it."""
    if place is None:
        return {}
    return {
        path.removeprefix(place).removeprefix(".") or ROOT: keys
        for path, keys in extra.items()
        if path == place or path.startswith((f"{place}.", f"{place}["))
    }


def _info(trajectory: Trajectory, *, with_policy: bool) -> dict[str, Any]:
    """The file's ``info``: agent and environment (see the module)."""
    generator = trajectory.provenance.generator or Generator()
    agent: dict[str, Any] = {
        "implementation": generator.policy,
        "llm": generator.model,
        "llm_args": generator.sampling,
    }
    environment: dict[str, Any] = {
        "domain_name": trajectory.task.domain or trajectory.task.environment,
        "tool_defs": _tool_defs(trajectory.tools),
        "policy": trajectory.system_prompt if with_policy else None,
    }
    kept = _under(trajectory.provenance.extra, "info")
    info: dict[str, Any] = {}
    for name, values in (("agent_info", agent), ("environment_info", environment)):
        given = {key: value for key, value in values.items() if value}
        if given or name in kept:
            info[name] = given
    return put_back(info, kept)


def _tool_defs(tools: list[ToolSpec]) -> dict[str, Any]:
    """tau2-bench's tool definitions, where the tools have any (else they were only named)."""
    if all(tool.description is None and tool.parameters is None for tool in tools):
        return {}
    return {
        tool.name: {
            key: value
            for key, value in (("doc", tool.description), ("params", tool.parameters))
            if value is not None
        }
        for tool in tools
    }


def _task(trajectory: Trajectory, task_id: str) -> dict[str, Any]:
    task = trajectory.task
    extra = trajectory.provenance.extra
    kept = _under(extra, _place(extra, _TASK))
    record: dict[str, Any] = {"id": task_id}
    scenario = dict(task.hidden_info)
    if task.instruction and "instructions" not in scenario:
        scenario["instructions"] = task.instruction
    if scenario:
        record["user_scenario"] = scenario
    criteria: dict[str, Any] = {}
    if task.expected_actions:
        criteria["actions"] = [
            _expected(action, kept.get(f"evaluation_criteria.actions[{m}]", {}))
            for m, action in enumerate(task.expected_actions)
        ]
    if task.required_outputs:
        criteria["communicate_info"] = list(task.required_outputs)
    if not _imported(trajectory):
        basis = ["ACTION" if task.expected_scope == "calls" else "DB"]
        criteria["reward_basis"] = basis + ["COMMUNICATE"] * bool(task.required_outputs)
    if criteria or "evaluation_criteria" in kept:
        record["evaluation_criteria"] = criteria
    return put_back(record, kept)


def _expected(action: ExpectedAction, kept: Mapping[str, Any]) -> dict[str, Any]:
    """An expected action; arguments matched by ``any`` are left out of ``compare_args``
    (unless the import kept the file's own)."""
    record: dict[str, Any] = {"name": action.name, "arguments": action.arguments}
    ignored = {name for name, match in action.match.items() if match.mode == "any"}
    if ignored and "compare_args" not in kept:
        record["compare_args"] = [name for name in action.arguments if name not in ignored]
    return record


def _messages(steps: list[Step]) -> list[dict[str, Any]]:
    """The messages of the steps, in the order the import reads them."""
    messages: list[dict[str, Any]] = []
    for k, step in enumerate(steps):
        message: dict[str, Any] = {"role": "assistant"}
        text = single_text(step, f"steps[{k}]", "a tau2-bench message")
        if text:
            message["content"] = text
        calls = [_call(a, f"steps[{k}]") for a in step.actions if type(a) is ToolCall]
        if calls:
            message["tool_calls"] = calls
        messages.append(message)
        for j, observation in enumerate(step.observations):
            where = f"steps[{k}].observations[{j}]"
            if isinstance(observation, ToolResult):
                messages.append(_result(observation, where))
                continue
            said: dict[str, Any] = {"role": "user"}
            if observation.content:
                said["content"] = observation.content
            if observation.tool_calls:
                said["tool_calls"] = [_call(call, where) for call in observation.tool_calls]
            messages.append(said)
            messages.extend(_result(result, where) for result in observation.tool_results)
    return messages


def _call(call: ToolCall, where: str) -> dict[str, Any]:
    if call.id is None:
        raise _no_id("a tool call", where)
    return {"id": call.id, "name": call.name, "arguments": call.arguments}


def _result(result: ToolResult, where: str) -> dict[str, Any]:
    if result.call_id is None:
        raise _no_id("a tool result", where)
    message: dict[str, Any] = {"role": "tool", "id": result.call_id}
    if result.content:
        message["content"] = result.content
    if result.status in _FAILED:
        message["error"] = True
    return message


def _no_id(what: str, where: str) -> ConversionError:
    return ConversionError(
        f"{what} without a call id",
        path=where,
        hint="tau2-bench pairs tool messages with calls by id",
    )
