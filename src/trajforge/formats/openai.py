"""OpenAI chat records (``{"messages": [...], "tools": [...]}``) to and from trajforge trajectories.

Import then export gives back the same messages (dict equality: ``None``, ``""`` and absent keys
stay apart). The mapping:

- a leading ``system`` message is the ``system_prompt``; the first ``user`` message before any
  assistant message is ``task.instruction``;
- each ``assistant`` message is one ``Step``: ``reasoning_content`` is ``step.reasoning``, string
  ``content`` is one text action (a ``Reply`` on import), ``tool_calls``/``function_call`` are
  ``ToolCall``s (``id=None`` for the legacy single call);
- ``tool``, ``function`` and later ``user`` messages are the observations of the step before
  them, in message order;
- other top-level keys of the record are ``Trajectory.metadata``.

Two things of the OpenAI shape have no place in the records and are kept in the metadata entry
``SHAPE_KEY`` (only when they occur): which steps came from an assistant message *without* a
``content`` key (the export writes ``"content": null`` for a step without a text action otherwise),
and that the record had an empty ``tools`` list.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from trajforge.errors import ConversionError
from trajforge.formats.openai_wire import (
    AssistantMessage,
    FunctionCall,
    FunctionDef,
    FunctionMessage,
    Message,
    SystemMessage,
    ToolCallWire,
    ToolDef,
    ToolMessage,
    UserMessageWire,
    decode_chat,
    located_error,
)
from trajforge.schema.codec import syntax_error
from trajforge.schema.records import (
    Action,
    Observation,
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

FORMAT: Final = "openai"
MESSAGES_KEY: Final = "messages"
TOOLS_KEY: Final = "tools"
SHAPE_KEY: Final = "_openai_shape"
ID_PREFIX: Final = "oai-"
RESERVED_KEYS: Final = (MESSAGES_KEY, TOOLS_KEY, SHAPE_KEY)

_T = TypeVar("_T")
_JSON_TYPES = {list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}


class Shape(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """What of the original OpenAI shape the records cannot hold (stored under ``SHAPE_KEY``)."""

    content_absent: list[int] = []
    """Indices of steps whose assistant message had no ``content`` key (rather than ``null``)."""
    empty_tools: bool = False
    """The record had ``"tools": []``."""


def _unset(value: _T | None) -> _T | UnsetType:
    return UNSET if value is None else value


def _none(value: _T | UnsetType) -> _T | None:
    return None if isinstance(value, UnsetType) else value


# ---------------------------------------------------------------- arguments


def canonical_arguments(arguments: dict[str, Any]) -> str:
    """The canonical JSON text of tool-call arguments (msgspec's compact encoding)."""
    return msgspec.json.encode(arguments).decode()


def parse_arguments(text: str) -> tuple[dict[str, Any], str | None]:
    """``(arguments, raw_arguments)`` for an OpenAI ``arguments`` string.

    ``raw_arguments`` is ``None`` when ``text`` is the canonical encoding of the parsed object, the
    text itself otherwise; text that is not a JSON object gives ``{}`` and the text.
    """
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError:
        return {}, text
    if not isinstance(value, dict):
        return {}, text
    return value, None if canonical_arguments(value) == text else text


def arguments_text(call: ToolCall) -> str:
    """The ``arguments`` string to export.

    That is ``raw_arguments`` while it still says what ``arguments`` says, else the canonical text:
    a stage that edited ``arguments`` (redaction, say) makes ``raw_arguments`` stale.
    """
    raw, canonical = call.raw_arguments, canonical_arguments(call.arguments)
    if raw is not None and canonical_arguments(parse_arguments(raw)[0]) == canonical:
        return raw
    return canonical


# ---------------------------------------------------------------- import


def record_to_trajectory(
    record: dict[str, Any] | bytes, *, id: str | None = None, location: str | None = None
) -> Trajectory:
    """Import one OpenAI chat record (a dict or JSON bytes) as a Trajectory.

    ``id`` defaults to ``oai-`` plus a hash of the record's canonical JSON, so the same record
    always gets the same id. Raises ConversionError (InputError for malformed JSON) with a field
    path.
    """
    data = _load(record)
    chat = decode_chat({key: data[key] for key in (MESSAGES_KEY, TOOLS_KEY) if key in data})
    if SHAPE_KEY in data:
        raise ConversionError(
            "this key is reserved for trajforge", path=SHAPE_KEY, hint="rename it before importing"
        )
    system_prompt, instruction, start = _preamble(chat.messages)
    steps, content_absent = _steps(chat.messages, start)
    tools = [] if isinstance(chat.tools, UnsetType) else chat.tools
    metadata = {key: value for key, value in data.items() if key not in RESERVED_KEYS}
    shape = Shape(content_absent=content_absent, empty_tools=chat.tools == [])
    if shape != Shape():
        metadata[SHAPE_KEY] = msgspec.to_builtins(shape)
    return Trajectory(
        id=id if id is not None else _record_id(data),
        task=Task(instruction=instruction),
        tools=[_tool_spec(tool.function) for tool in tools],
        system_prompt=system_prompt,
        steps=steps,
        provenance=Provenance(source="imported", original_format=FORMAT, record_location=location),
        metadata=metadata,
    )


def _load(record: dict[str, Any] | bytes) -> dict[str, Any]:
    """The record as fresh JSON data (a dict is copied through JSON, so it is JSON-clean)."""
    try:
        text = msgspec.json.encode(record) if isinstance(record, dict) else record
    except (TypeError, ValueError) as exc:
        raise ConversionError(
            f"the record is not JSON data: {exc}", hint="records must hold only JSON values"
        ) from None
    try:
        data = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise syntax_error(exc) from None
    if not isinstance(data, dict):
        raise ConversionError(
            f"expected an object, got {_JSON_TYPES.get(type(data), 'null')}",
            hint="an OpenAI chat record is an object with a 'messages' list",
        )
    return data


def _record_id(data: dict[str, Any]) -> str:
    canonical = msgspec.json.encode(data, order="sorted")
    return ID_PREFIX + hashlib.blake2b(canonical, digest_size=16).hexdigest()


def _tool_spec(function: FunctionDef) -> ToolSpec:
    return ToolSpec(
        name=function.name,
        description=_none(function.description),
        parameters=_none(function.parameters),
        strict=_none(function.strict),
    )


def _preamble(messages: list[Message]) -> tuple[str | None, str | None, int]:
    """``(system_prompt, instruction, index of the first message after them)``."""
    index = 0
    system_prompt = None
    if messages and isinstance(messages[0], SystemMessage):
        system_prompt = messages[0].content
        index = 1
    instruction = None
    if index < len(messages) and isinstance(first := messages[index], UserMessageWire):
        if not isinstance(first.name, UnsetType):
            raise ConversionError(
                "the instruction message cannot carry a name",
                path=f"messages[{index}].name",
                hint="the first user message becomes task.instruction, which has no name",
            )
        instruction = first.content
        index += 1
    return system_prompt, instruction, index


def _steps(messages: list[Message], start: int) -> tuple[list[Step], list[int]]:
    """The steps from ``messages[start:]`` and the indices of steps whose content was absent."""
    steps: list[Step] = []
    content_absent: list[int] = []
    call_ids: set[str] = set()
    for index in range(start, len(messages)):
        message, where = messages[index], f"messages[{index}]"
        if isinstance(message, AssistantMessage):
            if isinstance(message.content, UnsetType):
                content_absent.append(len(steps))
            steps.append(_step(message, where))
            call_ids = {call.id for call in _none(message.tool_calls) or ()}
        elif isinstance(message, SystemMessage):
            raise ConversionError(
                "a system message is only supported as the first message",
                path=f"{where}.role",
                hint="trajforge has one system prompt; merge later system messages into it",
            )
        elif not steps:
            raise _before_first_step(message, where)
        else:
            steps[-1].observations.append(_observation(message, where, call_ids))
    return steps, content_absent


def _before_first_step(message: Message, where: str) -> ConversionError:
    if isinstance(message, UserMessageWire):
        return ConversionError(
            "a second user message before the first assistant message cannot be represented",
            path=where,
            hint="the first user message is task.instruction: join the leading user messages",
        )
    return ConversionError(
        "a tool result before any assistant message",
        path=where,
        hint="tool results must follow the assistant message that made the call",
    )


def _step(message: AssistantMessage, where: str) -> Step:
    actions: list[Action] = []
    if isinstance(message.content, str):
        actions.append(Reply(content=message.content))
    if isinstance(message.function_call, FunctionCall):
        actions.append(_tool_call(None, message.function_call))
    if isinstance(message.tool_calls, list):
        if not message.tool_calls:
            raise ConversionError(
                "an empty tool_calls list cannot be kept",
                path=f"{where}.tool_calls",
                hint="omit the key when the assistant made no calls",
            )
        actions.extend(_tool_call(call.id, call.function) for call in message.tool_calls)
    return Step(reasoning=_none(message.reasoning_content), actions=actions)


def _tool_call(call_id: str | None, function: FunctionCall) -> ToolCall:
    arguments, raw = parse_arguments(function.arguments)
    return ToolCall(id=call_id, name=function.name, arguments=arguments, raw_arguments=raw)


def _observation(message: Message, where: str, call_ids: set[str]) -> Observation:
    if isinstance(message, UserMessageWire):
        return UserMessage(content=message.content, name=_none(message.name))
    if isinstance(message, FunctionMessage):
        return ToolResult(call_id=None, name=message.name, content=message.content)
    assert isinstance(message, ToolMessage)  # system and assistant messages are handled earlier
    if message.tool_call_id not in call_ids:
        raise ConversionError(
            f"no call with id {message.tool_call_id!r} in the preceding assistant message",
            path=f"{where}.tool_call_id",
            hint="a tool message must answer a tool call of the last assistant message",
        )
    return ToolResult(
        call_id=message.tool_call_id, name=_none(message.name), content=message.content
    )


# ---------------------------------------------------------------- export


def trajectory_to_record(traj: Trajectory) -> dict[str, Any]:
    """The OpenAI chat record of a trajectory: messages, tools (if any) and the metadata keys."""
    shape = _shape(traj)
    record: dict[str, Any] = {MESSAGES_KEY: _messages(traj, shape)}
    if traj.tools or shape.empty_tools:
        record[TOOLS_KEY] = msgspec.to_builtins([_tool_def(tool) for tool in traj.tools])
    for key, value in traj.metadata.items():
        if key in (MESSAGES_KEY, TOOLS_KEY):
            raise ConversionError(
                "this metadata key would overwrite the record's own key",
                path=f"metadata.{key}",
                hint="rename the metadata key before exporting",
            )
        if key != SHAPE_KEY:
            record[key] = value
    return record


def trajectory_to_messages(traj: Trajectory) -> list[dict[str, Any]]:
    """The OpenAI chat messages of a trajectory."""
    return _messages(traj, _shape(traj))


def _shape(traj: Trajectory) -> Shape:
    try:
        return msgspec.convert(traj.metadata.get(SHAPE_KEY, {}), Shape)
    except msgspec.ValidationError as exc:
        error = located_error(exc)
        error.path = f"metadata.{SHAPE_KEY}" + (f".{error.path}" if error.path else "")
        raise error from None


def _tool_def(tool: ToolSpec) -> ToolDef:
    function = FunctionDef(
        name=tool.name,
        description=_unset(tool.description),
        parameters=_unset(tool.parameters),
        strict=_unset(tool.strict),
    )
    return ToolDef(type="function", function=function)


def _messages(traj: Trajectory, shape: Shape) -> list[dict[str, Any]]:
    messages: list[Message] = []
    if traj.system_prompt is not None:
        messages.append(SystemMessage(content=traj.system_prompt))
    if traj.task.instruction is not None:
        messages.append(UserMessageWire(content=traj.task.instruction))
    content_absent = set(shape.content_absent)
    for index, step in enumerate(traj.steps):
        messages.extend(_step_messages(step, f"steps[{index}]", index in content_absent))
    result: list[dict[str, Any]] = msgspec.to_builtins(messages)
    return result


def _step_messages(step: Step, where: str, content_absent: bool) -> list[Message]:
    """The assistant message of a step, then one message per observation."""
    calls = [action for action in step.actions if isinstance(action, ToolCall)]
    modern = [call for call in calls if call.id is not None]
    assistant = AssistantMessage(
        content=_content(step, where, content_absent),
        reasoning_content=_unset(step.reasoning),
        function_call=_legacy_call(calls, where),
        tool_calls=[_tool_call_wire(call) for call in modern] or UNSET,
    )
    call_ids = {call.id for call in modern}
    observations = (
        _observation_message(observation, f"{where}.observations[{index}]", call_ids)
        for index, observation in enumerate(step.observations)
    )
    return [assistant, *observations]


def _content(step: Step, where: str, content_absent: bool) -> str | UnsetType | None:
    texts = [action for action in step.actions if not isinstance(action, ToolCall)]
    if len(texts) > 1:
        raise ConversionError(
            f"{len(texts)} text actions in one step; an assistant message has one content",
            path=f"{where}.actions",
            hint="split the step, or keep one of reply / ask / handoff / finish",
        )
    if texts:
        return texts[0].content
    return UNSET if content_absent else None


def _legacy_call(calls: list[ToolCall], where: str) -> FunctionCall | UnsetType:
    legacy = [call for call in calls if call.id is None]
    if len(legacy) > 1:
        raise ConversionError(
            f"{len(legacy)} tool calls without an id in one step; one legacy function_call fits",
            path=f"{where}.actions",
            hint="give the calls ids so that they export as tool_calls",
        )
    return _function_call(legacy[0]) if legacy else UNSET


def _function_call(call: ToolCall) -> FunctionCall:
    return FunctionCall(name=call.name, arguments=arguments_text(call))


def _tool_call_wire(call: ToolCall) -> ToolCallWire:
    assert call.id is not None
    return ToolCallWire(id=call.id, type="function", function=_function_call(call))


def _observation_message(
    observation: Observation, where: str, call_ids: set[str | None]
) -> Message:
    if isinstance(observation, UserMessage):
        return UserMessageWire(content=observation.content, name=_unset(observation.name))
    if observation.call_id is None:
        if observation.name is None:
            raise ConversionError(
                "a tool result with neither call_id nor name cannot be exported",
                path=f"{where}.call_id",
                hint="set call_id to the id of the call it answers",
            )
        return FunctionMessage(name=observation.name, content=observation.content)
    if observation.call_id not in call_ids:
        raise ConversionError(
            f"no tool call with id {observation.call_id!r} in this step",
            path=f"{where}.call_id",
            hint="a tool result must answer a call of its own step",
        )
    return ToolMessage(
        tool_call_id=observation.call_id,
        content=observation.content,
        name=_unset(observation.name),
    )
