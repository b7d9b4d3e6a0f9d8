"""The ``tau2-bench`` format: tau2-bench simulation/results files.

A file is one object ``{timestamp, info, tasks, simulations}``; each simulation is one trajectory
(its task found by ``task_id`` among ``tasks``):

- messages: each ``assistant`` message is a step (its text a reply, its ``tool_calls``
  ``{id, name, arguments}`` the calls); ``tool`` messages answer the call ``id`` they name, with
  status ``error`` where ``error`` is true (tau2-bench's convention); ``user`` messages are
  observations, and their own ``tool_calls`` (dual control: the user acts on their phone) and
  the results of those (``requestor: user``) stay with the user message;
- a last user message (without calls) that says ``###STOP###``, ``###TRANSFER###`` or
  ``###OUT-OF-SCOPE###`` ends the conversation: it is no message for the agent to answer, so it
  is no observation; it is kept whole in ``provenance.extra`` at its place
  (``simulations[i].messages[N]``) and written back. A transfer needs no action of its own: the
  agent's hand-off is its ``transfer_to_human_agents`` call before (a tool with role
  ``handoff``), and where the user asked for one the agent never made, none is made up;
- the task's ``evaluation_criteria.actions`` are the expected actions (``compare_args`` leaves
  the other arguments unmatched); the scope is ``calls`` when the reward basis holds ``ACTION``
  (every listed call is checked), else ``writes`` (the database and environment are compared);
  ``communicate_info`` are the required outputs when the basis holds ``COMMUNICATE``;
- ``reward_info.reward`` is ``outcome.source_reward``; the policy (the simulation's own, else
  ``info.environment_info.policy``) is the system prompt; ``info.agent_info`` gives the
  generator (implementation, model, sampling); ``environment_info.domain_name`` the domain; the
  task's ``user_scenario`` is its hidden information, ``task_id`` its ``parameters``;
- tools: ``environment_info.tool_defs`` when the run recorded them, else the names called or
  of the agent's expected actions; read-only as the file's tool types say
  (``action_checks[].tool_type``), else by name (see :mod:`~trajforge.formats.tau_tools`);
  ``transfer_to_human_agents`` is the hand-off; the user's tools are not the agent's, so a
  user's call never counts as an unexpected write;
- everything else is kept in ``provenance.extra`` by where it was in the file (``$``, ``info``,
  ``info.agent_info``, ``info.environment_info``, ``tasks[k]`` and its
  ``evaluation_criteria`` and ``actions[m]`` (``compare_args``, ``requestor``...),
  ``simulations[i]`` and its ``reward_info``, ``simulations[i].messages[j]`` and its
  ``tool_calls[m]``); so is a mapped key whose value maps to nothing (``null``, ``""``, ``[]``,
  ``{}``, ``"error": false``), and the file's policy where the simulations carry their own, so
  that the writer (:mod:`~trajforge.formats.tau2_bench_export`) gives the file back.

A simulation that cannot be read rejects the whole file (one record); the error names it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any, Final, Literal

import msgspec

from trajforge.errors import ConversionError
from trajforge.formats.fields import keep_unmapped
from trajforge.formats.importer import import_format
from trajforge.formats.openai_wire import located_error
from trajforge.formats.tau2_bench_export import ID_PREFIX, NAME, SUFFIXES, write
from trajforge.formats.tau_tools import (
    HANDOFF_TOOL,
    TAU2_USER_ENDINGS,
    read_only_by_name,
    tool_specs,
    user_ends,
)
from trajforge.io.documents import SourceRecord
from trajforge.schema import (
    Action,
    ArgumentMatch,
    ExpectedAction,
    Generator,
    Outcome,
    Provenance,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)

#: tau2-bench's tool types, as ``ToolSpec.read_only`` (generic tools compute or hand off).
READ_ONLY_TYPES: Final = {"read": True, "think": True, "generic": True, "write": False}
_HINT: Final = "a tau2-bench results file is {info, tasks, simulations}"


class _Call(msgspec.Struct):
    id: str
    name: str
    arguments: dict[str, Any] = {}


class _Message(msgspec.Struct):
    role: Literal["assistant", "user", "tool"]
    content: str | None = None
    tool_calls: list[_Call] | None = None
    id: str | None = None
    requestor: str | None = None
    error: bool = False


class _Action(msgspec.Struct):
    name: str
    arguments: dict[str, Any] = {}
    compare_args: list[str] | None = None
    requestor: str = "assistant"


class _Criteria(msgspec.Struct):
    actions: list[_Action] | None = None
    communicate_info: list[str] | None = None
    reward_basis: list[str] = []


class _Task(msgspec.Struct):
    id: str
    evaluation_criteria: _Criteria | None = None


class _RewardInfo(msgspec.Struct):
    reward: float | None = None


class _Simulation(msgspec.Struct):
    id: str
    task_id: str
    messages: list[_Message]
    reward_info: _RewardInfo | None = None
    policy: str | None = None


class _Run(msgspec.Struct):
    """The part of a results file the importer reads; other keys are kept as they are."""

    tasks: list[_Task]
    simulations: list[_Simulation]
    info: dict[str, Any] = {}


def detect(data: Any) -> bool:
    """Whether a record is a tau2-bench results file: ``simulations`` beside ``tasks``."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("simulations"), list)
        and isinstance(data.get("tasks"), list)
    )


def convert(record: SourceRecord) -> Iterator[Trajectory]:
    """One trajectory per simulation of a results file (see the module)."""
    data = record.data
    if not isinstance(data, dict):
        raise ConversionError("expected a tau2-bench results object", hint=_HINT)
    try:
        run = msgspec.convert(data, _Run)
    except msgspec.ValidationError as exc:
        error = located_error(exc)
        error.hint = _HINT
        raise error from None
    file = _File(data, run)
    for index, simulation in enumerate(run.simulations):
        yield file.trajectory(index, simulation, f"{record.location}#simulations[{index}]")


class _File:
    """What every simulation of one file shares: tasks, policy, generator, tools, kept keys."""

    def __init__(self, data: dict[str, Any], run: _Run) -> None:
        self.data = data
        self.run = run
        self.task_index = {task.id: k for k, task in enumerate(run.tasks)}
        info = run.info
        agent = info.get("agent_info") or {}
        environment = info.get("environment_info") or {}
        #: Whether the simulations carry their policy: the file's is then kept as it is.
        self.own_policies = any(s.policy is not None for s in run.simulations)
        self.policy = environment.get("policy")
        self.domain = environment.get("domain_name")
        self.generator = Generator(
            policy=agent.get("implementation"),
            model=agent.get("llm"),
            sampling=agent.get("llm_args") or {},
        )
        self.tool_defs: dict[str, Any] = environment.get("tool_defs") or {}
        self.tool_types = _tool_types(data.get("simulations", []))
        self.shared = self._shared_extra(info, agent, environment)

    def _shared_extra(
        self, info: dict[str, Any], agent: dict[str, Any], environment: dict[str, Any]
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        keep_unmapped(extra, "$", self.data, ("info", "tasks", "simulations"))
        keep_unmapped(extra, "info", info, ("agent_info", "environment_info"))
        keep_unmapped(
            extra, "info.agent_info", agent, _given(agent, ("implementation", "llm", "llm_args"))
        )
        mapped = _given(environment, ("domain_name", "tool_defs"))
        if not self.own_policies:
            mapped += _given(environment, ("policy",))
        keep_unmapped(extra, "info.environment_info", environment, mapped)
        for name, signature in self.tool_defs.items():
            where = f"info.environment_info.tool_defs.{name}"
            keep_unmapped(extra, where, signature, _given(signature, ("doc", "params")))
        return extra

    def read_only(self, name: str) -> bool | None:
        """The file's word on whether a tool only reads, else the name's."""
        kind = self.tool_types.get(name)
        return READ_ONLY_TYPES.get(kind) if kind is not None else read_only_by_name(name)

    def trajectory(self, index: int, simulation: _Simulation, location: str) -> Trajectory:
        where = f"simulations[{index}]"
        k = self.task_index.get(simulation.task_id)
        if k is None:
            raise ConversionError(
                f"no task with id {simulation.task_id!r} in tasks",
                path=f"{where}.task_id",
                hint="a simulation's task_id names one of the file's tasks",
            )
        sim_data: dict[str, Any] = self.data["simulations"][index]
        extra = dict(self.shared)
        mapped = ("task_id", "messages", *_given(sim_data, ("policy", "reward_info")))
        keep_unmapped(extra, where, sim_data, mapped)
        reward = sim_data.get("reward_info")
        if isinstance(reward, dict):
            keep_unmapped(extra, f"{where}.reward_info", reward, _given(reward, ("reward",)))
        task = self._task(k, extra)
        messages, raw = simulation.messages, sim_data["messages"]
        if _ends(messages):
            extra[f"{where}.messages[{len(raw) - 1}]"] = raw[-1]
            messages = messages[:-1]
        steps = _steps(messages, raw, where, extra)
        return Trajectory(
            id=ID_PREFIX + simulation.id,
            task=task,
            tools=self._tools(steps, _agent_tools(self.run.tasks[k])),
            system_prompt=simulation.policy if simulation.policy is not None else self.policy,
            steps=steps,
            outcome=Outcome(
                source_reward=simulation.reward_info.reward if simulation.reward_info else None
            ),
            provenance=Provenance(
                source="imported",
                generator=self.generator,
                original_format=NAME,
                record_location=location,
                extra=extra,
            ),
        )

    def _task(self, k: int, extra: dict[str, Any]) -> Task:
        data: dict[str, Any] = self.data["tasks"][k]
        criteria = self.run.tasks[k].evaluation_criteria or _Criteria()
        basis = set(criteria.reward_basis)
        told = "COMMUNICATE" in basis
        outputs = (criteria.communicate_info or []) if told else []
        where = f"tasks[{k}]"
        keep_unmapped(
            extra, where, data, ("id", *_given(data, ("user_scenario", "evaluation_criteria")))
        )
        given = data.get("evaluation_criteria")
        if isinstance(given, dict):
            mapped = _given(given, ("actions", "communicate_info") if told else ("actions",))
            keep_unmapped(extra, f"{where}.evaluation_criteria", given, mapped)
            for m, action in enumerate(given.get("actions") or ()):
                at = f"{where}.evaluation_criteria.actions[{m}]"
                keep_unmapped(extra, at, action, ("name", "arguments"))
        return Task(
            domain=self.domain,
            parameters={"task_id": data["id"]},
            hidden_info=data.get("user_scenario") or {},
            expected_actions=[_expected(a) for a in criteria.actions or ()],
            expected_scope="calls" if "ACTION" in basis else "writes",
            required_outputs=outputs,
        )

    def _tools(self, steps: list[Step], expected: list[str]) -> list[ToolSpec]:
        """The agent's tools (the user's own are not the agent's to call)."""
        if self.tool_defs:
            return [
                ToolSpec(
                    name=name,
                    description=signature.get("doc"),
                    parameters=signature.get("params"),
                    role="handoff" if name == HANDOFF_TOOL else None,
                    read_only=self.read_only(name),
                )
                for name, signature in self.tool_defs.items()
            ]
        called = (a.name for step in steps for a in step.actions if type(a) is ToolCall)
        return tool_specs([*called, *expected], self.read_only)


def _given(data: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """Those of ``keys`` whose value in ``data`` maps to something: not null, false or empty
    (the others are kept as they are: see the module)."""
    return [key for key in keys if not _nothing(data.get(key))]


def _nothing(value: Any) -> bool:
    if isinstance(value, str | list | dict):
        return not value
    return value is None or value is False


def _agent_tools(task: _Task) -> list[str]:
    """The tools of the task's expected actions that the agent makes (not the user)."""
    actions = (task.evaluation_criteria or _Criteria()).actions or ()
    return [action.name for action in actions if action.requestor == "assistant"]


def _tool_types(simulations: list[Any]) -> dict[str, str]:
    """Tool name -> tool type, as the file's action checks record them (newer files do)."""
    types: dict[str, str] = {}
    for simulation in simulations:
        reward = simulation.get("reward_info") if isinstance(simulation, dict) else None
        checks = reward.get("action_checks") if isinstance(reward, dict) else None
        for check in checks or ():
            action, kind = check.get("action") or {}, check.get("tool_type")
            if isinstance(kind, str) and isinstance(action.get("name"), str):
                types[action["name"]] = kind
    return types


def _expected(action: _Action) -> ExpectedAction:
    """An expected action; arguments left out of ``compare_args`` match anything."""
    compared = action.compare_args
    ignored = [] if compared is None else [k for k in action.arguments if k not in compared]
    return ExpectedAction(
        name=action.name,
        arguments=action.arguments,
        match={k: ArgumentMatch(mode="any") for k in ignored},
    )


def _ends(messages: list[_Message]) -> bool:
    """Whether the last message is the simulated user's ending (see the module)."""
    if not messages:
        return False
    *before, last = messages
    return user_ends(
        last.role,
        last.content,
        calls=bool(last.tool_calls),
        agent_spoke=any(message.role == "assistant" for message in before),
        markers=TAU2_USER_ENDINGS,
    )


def _steps(
    messages: list[_Message], raw: list[dict[str, Any]], where: str, extra: dict[str, Any]
) -> list[Step]:
    """The steps of a simulation's messages (see the module); kept keys go to ``extra``."""
    steps: list[Step] = []
    user: dict[str, UserMessage] = {}  # call id -> the user message that made the call
    for j, message in enumerate(messages):
        at = f"{where}.messages[{j}]"
        _keep_message(extra, at, raw[j])
        if message.role == "assistant":
            steps.append(Step(actions=_actions(message)))
        elif not steps:
            raise ConversionError(
                f"a {message.role} message before the agent's first message",
                path=at,
                hint="tau2-bench conversations start with the agent's greeting",
            )
        elif message.role == "user":
            said = _user_message(message)
            user.update((call.id, said) for call in said.tool_calls if call.id is not None)
            steps[-1].observations.append(said)
        else:
            result = _result(message, at)
            owner = user.get(result.call_id or "")
            if owner is not None:
                owner.tool_results.append(result)
            else:
                steps[-1].observations.append(result)
    return steps


def _keep_message(extra: dict[str, Any], at: str, data: dict[str, Any]) -> None:
    mapped = ["role", *_given(data, ("content", "tool_calls", "error"))]
    if data.get("role") == "tool":
        mapped.append("id")
    keep_unmapped(extra, at, data, mapped)
    for m, call in enumerate(data.get("tool_calls") or ()):
        keep_unmapped(extra, f"{at}.tool_calls[{m}]", call, ("id", "name", "arguments"))


def _calls(message: _Message) -> list[ToolCall]:
    return [
        ToolCall(id=call.id, name=call.name, arguments=call.arguments)
        for call in message.tool_calls or ()
    ]


def _actions(message: _Message) -> list[Action]:
    text: list[Action] = [Reply(content=message.content)] if message.content else []
    return [*text, *_calls(message)]


def _user_message(message: _Message) -> UserMessage:
    return UserMessage(content=message.content or "", tool_calls=_calls(message))


def _result(message: _Message, at: str) -> ToolResult:
    if message.id is None:
        raise ConversionError(
            "a tool message without the id of its call",
            path=f"{at}.id",
            hint="tau2-bench tool messages carry the id of the call they answer",
        )
    return ToolResult(
        call_id=message.id,
        content=message.content or "",
        status="error" if message.error else "ok",
    )


FORMAT = dataclasses.replace(
    import_format(
        NAME,
        "tau2-bench results files ({info, tasks, simulations}); written as one such file",
        convert,
        detect=detect,
        write=write,
    ),
    suffixes=SUFFIXES,  # what it writes: a dataset directory's data file is data/train.json
    rows_field="simulations",
)
