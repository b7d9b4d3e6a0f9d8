"""OpenAI chat records (``{"messages": [...], "tools": [...]}``) to and from trajforge trajectories.

Import then export gives back the same messages (dict equality: ``None``, ``""`` and absent keys
stay apart). The mapping:

- a leading ``system`` (or ``developer``) message is the ``system_prompt``; the first ``user``
  message before any assistant message is ``task.instruction`` (its ``name``, if any, is kept in
  ``provenance.extra``);
- ``tools`` are the trajectory's tools, and so are the legacy top-level ``functions`` in a record
  without ``tools`` (exported back as ``functions``); the JSON lines with the same ``tools``
  share one read-only list (see :mod:`trajforge.formats.openai_tools`);
- each ``assistant`` message is one ``Step``: ``reasoning_content`` is ``step.reasoning``, string
  ``content`` is one text action (a ``Reply`` on import), and so is a string ``refusal`` (the
  model declined; ``content`` is then null or absent), ``tool_calls``/``function_call`` are
  ``ToolCall``s (``id=None`` for the legacy single call), their ``arguments`` JSON text or,
  as TRL's rows and ``transformers`` chat templates have them, the object itself; a call
  without ``id`` (TRL's rows) gets ``call_<step>_<i>``; an OpenAI fine-tuning ``"weight": 0``
  gives the step the :data:`WEIGHT_LABEL`;
- ``tool``, ``function`` and later ``user`` messages are the observations of the step before
  them, in message order; a tool message without ``tool_call_id`` answers the step's next call
  (by order, as TRL pairs them), one with ``"content": null`` is an empty result;
- ``content`` given as a list of parts is the text of its text parts, joined; the list is kept
  in ``provenance.extra`` and written back while the text still says the same;
- a record may also be a bare array of messages (exported back as one);
- other top-level keys of the record (``parallel_tool_calls``, ``id``), and keys of messages,
  tool calls, tools and functions that the OpenAI shapes do not have, are kept in
  ``provenance.extra`` by path (``$``, ``messages[8]``, ``tools[0].function``) and put back on
  export (see :mod:`trajforge.formats.openai_extra`); a trajectory's ``metadata`` is exported
  as top-level keys too.

Records are decoded by :mod:`trajforge.formats.openai_decode`: a JSON line straight into the
wire Structs, once (into the plain ones, which the step loop takes without looking for rare
keys, where they fit).

What of the OpenAI shape has no place in the records is kept in the metadata entry ``SHAPE_KEY``,
and only when it occurs (see :class:`Shape`): which steps came from an assistant message *without*
a ``content`` key (the export writes ``"content": null`` for a step without a text action
otherwise), which ``Reply`` was a ``refusal``, which of the keys that the OpenAI SDK's
``model_dump()`` writes were there as ``null`` or ``[]`` (``refusal``, ``annotations``, ``audio``,
``function_call``, ``tool_calls``, ``parsed``; ``parsed_arguments`` in a tool call; and
``reasoning_content``, which some servers write as ``null``), that the
system prompt was a ``developer`` message, that the record had an empty ``tools`` list, that its
tools were the legacy ``functions``, that it was a bare array, which calls had their
arguments as an object (written so again to files, as JSON text to the API), which had no
``id`` or ``type``, which tool messages had no ``tool_call_id`` or null content, which tools had
no ``type``, and the fine-tuning weights (all written so to files, in the API's shape to the
API and trainers: :func:`trajectory_to_messages`). Non-empty
``annotations``, ``audio`` or ``parsed`` values are kept in ``provenance.extra``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType
from msgspec.structs import replace

from trajforge.errors import ConversionError
from trajforge.formats.extra import ROOT, keep, put_back, source_text
from trajforge.formats.openai_decode import (
    FUNCTIONS_KEY,
    MESSAGES_KEY,
    SHAPE_KEY,
    TOOLS_KEY,
    Decoded,
    canonical_id,
    decode_record,
)
from trajforge.formats.openai_tools import tool_spec
from trajforge.formats.openai_wire import (
    AnyMessage,
    AssistantMessage,
    Content,
    DeveloperMessage,
    FunctionCall,
    FunctionDef,
    FunctionMessage,
    Message,
    PlainAssistantMessage,
    PlainToolCall,
    PlainToolMessage,
    SystemMessage,
    ToolCallWire,
    ToolDef,
    ToolFunction,
    ToolMessage,
    UserMessageWire,
    located_error,
)
from trajforge.formats.transcript import single_text
from trajforge.schema.records import (
    Action,
    Label,
    LabelSource,
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
ID_PREFIX: Final = "oai-"
NULLABLE_KEYS: Final = (
    "refusal",
    "annotations",
    "audio",
    "function_call",
    "tool_calls",
    "parsed",
    "reasoning_content",
)
"""Assistant-message keys that may be ``null``: ``Shape.<key>_null`` lists the steps with one."""

WEIGHT_LABEL: Final = "weight"
"""The name of the label a step whose assistant message had ``"weight": 0`` gets: value 0, from
the file itself (source ``imported``, id ``openai-weight``), so exports count the step a mistake
(and ``openai-ft`` writes its weight 0 again)."""
PART_JOINER: Final = ""
"""What the text parts of a list ``content`` are joined with (chat templates render them so)."""

_T = TypeVar("_T")
_MESSAGE_PATH: Final = re.compile(r"messages\[(\d+)\]")


class Shape(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """What of the original OpenAI shape the records cannot hold (stored under ``SHAPE_KEY``)."""

    content_absent: list[int] = []
    """Indices of steps whose assistant message had no ``content`` key (rather than ``null``)."""
    refusals: list[int] = []
    """Steps whose text action was the assistant message's ``refusal``, not its ``content``."""
    refusal_null: list[int] = []
    """Steps whose assistant message had ``"refusal": null``; the next five likewise."""
    annotations_null: list[int] = []
    audio_null: list[int] = []
    function_call_null: list[int] = []
    tool_calls_null: list[int] = []
    parsed_null: list[int] = []
    reasoning_content_null: list[int] = []
    annotations_empty: list[int] = []
    """Steps whose assistant message had ``"annotations": []``."""
    tool_calls_empty: list[int] = []
    """Steps whose assistant message had ``"tool_calls": []`` (vLLM writes it with no calls)."""
    parsed_arguments_null: list[tuple[int, int]] = []
    """``(step, i)``: that step's ``tool_calls[i].function`` had ``"parsed_arguments": null``."""
    arguments_objects: list[tuple[int, int]] = []
    """``(step, i)``: that step's ``tool_calls[i].function.arguments`` was a JSON object (as
    TRL and ``transformers`` write them), not JSON text; only files are written so again."""
    developer: bool = False
    """The system prompt came from a ``developer`` message, not a ``system`` one."""
    empty_tools: bool = False
    """The record had ``"tools": []`` (or ``"functions": []``)."""
    functions: bool = False
    """The tools came as the legacy top-level ``functions`` list (of function definitions)."""
    bare: bool = False
    """The record was a bare array of messages, without the ``messages`` object around it."""
    synthesised_ids: list[tuple[int, int]] = []
    """``(step, i)``: that step's ``tool_calls[i]`` had no ``id`` (TRL's rows): the call's id
    was made up on import (``call_<step>_<i>``) and is left out again on export."""
    call_type_absent: list[tuple[int, int]] = []
    """``(step, i)``: that step's ``tool_calls[i]`` had no ``"type": "function"``."""
    unlinked_results: list[tuple[int, int]] = []
    """``(step, i)``: that step's observation ``i`` was a tool message without
    ``tool_call_id``, paired with the step's calls by order."""
    null_results: list[tuple[int, int]] = []
    """``(step, i)``: that step's observation ``i`` was a tool message with ``"content": null``."""
    tool_type_absent: list[int] = []
    """Indices of ``tools`` entries without ``"type": "function"``."""
    weights: list[tuple[int, int]] = []
    """``(step, weight)``: that step's assistant message had an OpenAI fine-tuning ``weight``
    (a step of weight 0 also gets the :data:`WEIGHT_LABEL`)."""


_API_SHAPE: Final[dict[str, Any]] = {
    "arguments_objects": [],
    "synthesised_ids": [],
    "call_type_absent": [],
    "unlinked_results": [],
    "null_results": [],
    "weights": [],
}
"""What of a source's shape the API's messages leave out."""

_PLAIN: Final = Shape()
"""The shape of a record the trajectory holds all of (never changed: compared with)."""


@dataclass(frozen=True)
class _StepShape:
    """The part of a :class:`Shape` about one step, for its export."""

    content_absent: bool = False
    refusal: bool = False
    null: frozenset[str] = frozenset()
    annotations_empty: bool = False
    tool_calls_empty: bool = False
    parsed_arguments_null: frozenset[int] = frozenset()
    arguments_objects: frozenset[int] = frozenset()
    synthesised_ids: frozenset[int] = frozenset()
    call_type_absent: frozenset[int] = frozenset()
    unlinked_results: frozenset[int] = frozenset()
    null_results: frozenset[int] = frozenset()
    weight: int | UnsetType = UNSET

    def nullable(self, key: str) -> UnsetType | None:
        """``None`` where the message had ``key`` as ``null``, else ``UNSET`` (absent)."""
        return None if key in self.null else UNSET


_PLAIN_STEP: Final = _StepShape()
_STEP_FIELDS: Final = tuple(
    name
    for name in Shape.__struct_fields__
    if name not in {"developer", "empty_tools", "functions", "bare", "tool_type_absent"}
)
"""The fields of a :class:`Shape` about single steps (lists of them: empty in most records)."""


def _unset(value: _T | None) -> _T | UnsetType:
    return UNSET if value is None else value


def _none(value: _T | UnsetType | None) -> _T | None:
    return None if isinstance(value, UnsetType) else value


# ---------------------------------------------------------------- arguments

_ARGUMENTS: Final = msgspec.json.Decoder(dict[str, Any])
_ENCODER: Final = msgspec.json.Encoder()


def canonical_arguments(arguments: dict[str, Any]) -> str:
    """The canonical JSON text of tool-call arguments (msgspec's compact encoding)."""
    return _ENCODER.encode(arguments).decode()


def parse_arguments(text: str) -> tuple[dict[str, Any], str | None]:
    """``(arguments, raw_arguments)`` for an OpenAI ``arguments`` string.

    ``raw_arguments`` is ``None`` when ``text`` is the canonical encoding of the parsed object, the
    text itself otherwise; text that is not a JSON object gives ``{}`` and the text.
    """
    try:
        value = _ARGUMENTS.decode(text)
    except (msgspec.DecodeError, RecursionError):  # not an object: kept as the model wrote it
        return {}, text
    return value, None if _ENCODER.encode(value) == text.encode() else text


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
    record: dict[str, Any] | list[Any] | bytes,
    *,
    id: str | None = None,
    location: str | None = None,
) -> Trajectory:
    """Import one OpenAI chat record (a dict, a bare list of messages, or JSON bytes of either)
    as a Trajectory.

    ``id`` defaults to ``oai-`` plus a hash of the record's canonical form (see
    :func:`~trajforge.formats.openai_decode.canonical_id`), so the same record always gets the
    same id, whatever its spacing, key order or file type. Raises ConversionError (InputError
    for malformed JSON) with a field path.
    """
    decoded = decode_record(record)
    if id is None:
        id = ID_PREFIX + canonical_id(decoded)
    chat, extra = decoded.chat, decoded.extra
    if decoded.others:
        extra[ROOT] = decoded.others
    messages = chat.messages
    system_prompt, instruction, start = _preamble(messages, extra)
    legacy = not isinstance(chat.functions, UnsetType)
    tools, untyped, empty = _tools(decoded)
    steps, shape = _steps(messages, start, extra)
    developer = bool(messages) and type(messages[0]) is DeveloperMessage
    if developer or empty or legacy or decoded.bare or untyped:
        shape = shape or Shape()
        shape.developer, shape.empty_tools, shape.functions = developer, empty, legacy
        shape.bare, shape.tool_type_absent = decoded.bare, untyped
    metadata: dict[str, Any] = {}
    if shape is not None and shape != _PLAIN:  # JSON data only (no tuples), so that it
        metadata[SHAPE_KEY] = msgspec.json.decode(_ENCODER.encode(shape))  # survives as is
    return Trajectory(
        id=id,
        task=Task(instruction=instruction),
        tools=tools,
        system_prompt=system_prompt,
        steps=steps,
        provenance=Provenance(
            source="imported", original_format=FORMAT, record_location=location, extra=extra
        ),
        metadata=metadata,
    )


def _tools(decoded: Decoded) -> tuple[list[ToolSpec], list[int], bool]:
    """The trajectory's tools (shared, read-only, where the record's list was shared), the
    indices of the entries without ``"type"``, and whether the record's list was empty."""
    if decoded.tools is not None:
        shared = decoded.tools
        return shared.specs or [], list(shared.untyped), not shared.wire
    chat = decoded.chat
    if not isinstance(chat.functions, UnsetType):  # the legacy list, without tools
        return [tool_spec(function) for function in chat.functions], [], chat.functions == []
    listed = chat.tools
    if isinstance(listed, UnsetType):
        return [], [], False
    assert isinstance(listed, list)  # a plain record's JSON text comes decoded: decoded.tools
    untyped = [index for index, tool in enumerate(listed) if tool.type is UNSET]
    return [tool_spec(tool.function) for tool in listed], untyped, listed == []


def _preamble(
    messages: Sequence[AnyMessage], extra: dict[str, Any]
) -> tuple[str | None, str | None, int]:
    """``(system_prompt, instruction, index of the first message after them)``; the
    instruction message's ``name`` (task.instruction has none) is kept in ``extra``."""
    index = 0
    system_prompt = None
    if messages and isinstance(messages[0], SystemMessage | DeveloperMessage):
        system_prompt = _text(messages[0].content, "messages[0]", extra)
        index = 1
    instruction = None
    if index < len(messages) and isinstance(first := messages[index], UserMessageWire):
        if not isinstance(first.name, UnsetType):
            keep(extra, f"messages[{index}]", "name", first.name)
        instruction = _text(first.content, f"messages[{index}]", extra)
        index += 1
    return system_prompt, instruction, index


def _steps(
    messages: Sequence[AnyMessage], start: int, extra: dict[str, Any]
) -> tuple[list[Step], Shape | None]:
    """The steps from ``messages[start:]``, and a Shape noting what they cannot hold (None
    where there is nothing to note; content parts go to ``extra``).

    The loop an import spends most of its time in, so written flat (a function call per message
    costs 7% of an import): types compared by identity, the usual messages handled inline, the
    rare ones and the rare keys in functions of their own. A message of the plain shape (see
    :class:`~trajforge.formats.openai_wire.PlainChatRecord`) has no rare key to look for.
    """
    steps: list[Step] = []
    shape: Shape | None = None
    observations: list[Observation] = []
    call_ids: list[str | None] = []
    parsed: list[ToolCall] = []  # the calls whose arguments text decoded, and that text
    texts: list[str] = []
    for index in range(start, len(messages)):
        message = messages[index]
        if (type(message) is PlainToolMessage or type(message) is ToolMessage) and steps:
            answers, result, name = message.tool_call_id, message.content, message.name
            if type(answers) is str and type(result) is str:
                if answers not in call_ids:
                    raise _unknown_call(answers, index)
                observations.append(
                    ToolResult(
                        call_id=answers, name=name if type(name) is str else None, content=result
                    )
                )
            else:  # (never a plain one); the Shape is made at the first note
                observations.append(
                    _rare_result(message, index, steps, shape := shape or Shape(), extra)
                )
        elif type(message) is PlainAssistantMessage or type(message) is AssistantMessage:
            content, wires = message.content, message.tool_calls
            rare = type(message) is AssistantMessage and (
                content is UNSET
                or type(content) is list
                or message.refusal is not UNSET
                or message.function_call is not UNSET
                or message.annotations is not UNSET
                or message.audio is not UNSET
                or message.parsed is not UNSET
                or message.weight is not UNSET
                or message.reasoning_content is None
                or wires is None
                or wires == []
            )  # a key no step holds, text besides the content, or content parts
            if rare:
                actions = _rare_actions(
                    message, index, len(steps), shape := shape or Shape(), extra
                )
            else:
                actions = [Reply(content=content)] if type(content) is str else []
            call_ids = []
            if type(wires) is list:
                for wire in wires:
                    function = wire.function
                    text, call_id = function.arguments, wire.id
                    if (
                        type(text) is str
                        and type(call_id) is str
                        and (
                            type(wire) is PlainToolCall
                            or (  # a call of the general shape with nothing to note
                                isinstance(wire, ToolCallWire)
                                and wire.function.parsed_arguments is UNSET
                                and wire.type is not UNSET
                            )
                        )
                    ):
                        try:
                            call = ToolCall(
                                id=call_id, name=function.name, arguments=_ARGUMENTS.decode(text)
                            )
                        except (msgspec.DecodeError, RecursionError):  # not an object: kept
                            call = ToolCall(id=call_id, name=function.name, raw_arguments=text)
                        else:
                            parsed.append(call)
                            texts.append(text)
                    else:  # no id or type, arguments as an object, a parse()'s parsed_arguments
                        call = _rare_call(
                            wire, len(steps), len(call_ids), shape := shape or Shape()
                        )
                    actions.append(call)
                    call_ids.append(call.id)
            reasoning = message.reasoning_content
            step = Step(reasoning=reasoning if type(reasoning) is str else None, actions=actions)
            if rare:
                _weigh(message, step)
            steps.append(step)
            observations = step.observations
        elif steps and (type(message) is UserMessageWire or type(message) is FunctionMessage):
            observations.append(_observation(message, f"messages[{index}]", extra))
        else:
            raise _misplaced(message, f"messages[{index}]")
    _keep_raw_arguments(parsed, texts)
    return steps, shape


def _keep_raw_arguments(calls: list[ToolCall], texts: list[str]) -> None:
    """Give the calls whose arguments ``texts`` are not the canonical encoding of their
    arguments that text as ``raw_arguments`` (see :func:`parse_arguments`).

    One encoding of all the arguments, compared with all the texts joined, settles the usual
    record, whose every text is canonical. It is exact: each text decoded on its own as one
    object, and a text that ran past the canonical object it starts with (or stopped inside it)
    would not have.
    """
    if (
        not calls
        or _ENCODER.encode([call.arguments for call in calls])
        == ("[" + ",".join(texts) + "]").encode()
    ):
        return
    for call, text in zip(calls, texts, strict=True):
        if _ENCODER.encode(call.arguments) != text.encode():
            call.raw_arguments = text


def _text(content: Content, where: str, extra: dict[str, Any]) -> str:
    """A message's text: a list of content parts gives its text parts joined (the list is kept
    in ``extra``, for the non-text parts and the export)."""
    if isinstance(content, str):
        return content
    texts = []
    for index, part in enumerate(content):
        kind = part.get("type")
        if kind == "text" and type(part.get("text")) is str:
            texts.append(part["text"])
        elif type(kind) is not str or kind == "text":
            missing = "type" if type(kind) is not str else "text"
            raise ConversionError(
                f"a content part without a string {missing!r}",
                path=f"{where}.content[{index}].{missing}",
                hint='content parts are objects with a "type"; text parts have a string "text"',
            )
    keep(extra, where, "content", content)
    return PART_JOINER.join(texts)


def _joined(content: Any) -> Any:
    """The text a content (string or list of parts) says, for comparing a kept list of parts
    with an exported string."""
    if not isinstance(content, list):
        return content
    return PART_JOINER.join(
        part["text"] for part in content if isinstance(part, dict) and part.get("type") == "text"
    )


def _weigh(message: PlainAssistantMessage | AssistantMessage, step: Step) -> None:
    """The weight label on a step whose assistant message had ``"weight": 0``."""
    if isinstance(message, AssistantMessage) and message.weight == 0:
        step.labels.append(_weight_label())


def _weight_label() -> Label:
    source = LabelSource(kind="imported", id="openai-weight")
    return Label(name=WEIGHT_LABEL, source=source, value=0.0)


def _rare_call(
    wire: PlainToolCall | ToolCallWire, step: int, position: int, shape: Shape
) -> ToolCall:
    """Tool call ``position`` of step ``step``, one without an id or a type, or with arguments
    as an object or ``parsed_arguments`` (never a plain one); what the call cannot hold is noted
    in ``shape``."""
    assert isinstance(wire, ToolCallWire)
    call_id = wire.id
    if type(call_id) is not str:
        call_id = f"call_{step}_{position}"
        shape.synthesised_ids.append((step, position))
    if wire.type is UNSET:
        shape.call_type_absent.append((step, position))
    arguments, raw = _arguments(wire.function, step, position, shape)
    return ToolCall(id=call_id, name=wire.function.name, arguments=arguments, raw_arguments=raw)


def _rare_result(
    message: PlainToolMessage | ToolMessage,
    index: int,
    steps: list[Step],
    shape: Shape,
    extra: dict[str, Any],
) -> ToolResult:
    """The result of a tool message without ``tool_call_id`` (it answers the step's calls in
    order) or with content that is null or a list of parts (never a plain one)."""
    assert isinstance(message, ToolMessage)
    step, observations = len(steps) - 1, steps[-1].observations
    calls = [a for a in steps[-1].actions if isinstance(a, ToolCall) and a.id is not None]
    call_id: str | None
    if isinstance(message.tool_call_id, UnsetType):
        position = sum(1 for seen in observations if isinstance(seen, ToolResult))
        if position >= len(calls):
            raise ConversionError(
                f"tool result {position + 1} after an assistant message with {len(calls)} calls",
                path=f"messages[{index}]",
                hint="a tool message without tool_call_id answers the next call of the "
                "assistant message before it, in order",
            )
        call_id = calls[position].id
        if message.name is not UNSET and message.name != calls[position].name:
            raise ConversionError(
                f"the result of {message.name!r} answers a call of {calls[position].name!r}",
                path=f"messages[{index}].name",
                hint="give the tool messages in the order of the calls, or a tool_call_id",
            )
        shape.unlinked_results.append((step, len(observations)))
    else:
        call_id = message.tool_call_id
        if not any(call.id == call_id for call in calls):
            raise _unknown_call(call_id, index)
    if message.content is None:
        shape.null_results.append((step, len(observations)))
    content = "" if message.content is None else _text(message.content, f"messages[{index}]", extra)
    return ToolResult(call_id=call_id, name=_none(message.name), content=content)


def _rare_actions(
    message: PlainAssistantMessage | AssistantMessage,
    index: int,
    step: int,
    shape: Shape,
    extra: dict[str, Any],
) -> list[Action]:
    """The actions but tool calls of assistant message ``index`` (step ``step``) with a rare key
    or content parts (never a plain one): its content (the text of the parts, which are kept in
    ``extra``), its refusal (never beside a string content: see :func:`_note_shape`) and its
    legacy function call; what no record holds is noted in ``shape``."""
    assert isinstance(message, AssistantMessage)
    where = f"messages[{index}]"
    _note_shape(message, where, step, shape)
    content = message.content
    if isinstance(content, list):
        content = _text(content, where, extra)
    actions: list[Action] = [Reply(content=content)] if isinstance(content, str) else []
    if type(message.refusal) is str:
        actions.append(Reply(content=message.refusal))
    if type(message.function_call) is FunctionCall:
        actions.append(_tool_call(None, message.function_call))
    return actions


def _arguments(
    function: ToolFunction, step: int, position: int, shape: Shape
) -> tuple[dict[str, Any], str | None]:
    """``(arguments, raw_arguments)`` of tool call ``position`` of step ``step``; noted in
    ``shape``: arguments given as an object (written so again) and ``parsed_arguments: null``."""
    if function.parsed_arguments is None:
        shape.parsed_arguments_null.append((step, position))
    if type(function.arguments) is str:
        return parse_arguments(function.arguments)
    assert isinstance(function.arguments, dict)
    shape.arguments_objects.append((step, position))
    return function.arguments, None


def _observation(message: Message, where: str, extra: dict[str, Any]) -> Observation:
    """A user message or a legacy function result, after the first step."""
    if isinstance(message, UserMessageWire):
        return UserMessage(content=_text(message.content, where, extra), name=_none(message.name))
    assert isinstance(message, FunctionMessage)
    return ToolResult(call_id=None, name=message.name, content=message.content)


def _unknown_call(call_id: str, index: int) -> ConversionError:
    return ConversionError(
        f"no call with id {call_id!r} in the preceding assistant message",
        path=f"messages[{index}].tool_call_id",
        hint="a tool message must answer a tool call of the last assistant message",
    )


def _misplaced(message: AnyMessage, where: str) -> ConversionError:
    """The error for a system message after the first, or a message before the first step."""
    if isinstance(message, SystemMessage | DeveloperMessage):
        role = "developer" if isinstance(message, DeveloperMessage) else "system"
        return ConversionError(
            f"a {role} message is only supported as the first message",
            path=f"{where}.role",
            hint="trajforge has one system prompt; merge later system messages into it",
        )
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


def _note_shape(message: AssistantMessage, where: str, step: int, shape: Shape) -> None:
    """Note in ``shape`` what of assistant message ``where`` (step ``step``) no record holds
    (bar ``parsed_arguments``, noted with each call)."""
    if isinstance(message.content, UnsetType):
        shape.content_absent.append(step)
    if isinstance(message.refusal, str):
        if isinstance(message.content, str):
            raise ConversionError(
                "an assistant message with both content and a refusal cannot be kept",
                path=f"{where}.refusal",
                hint="a step has one text: keep either the content or the refusal",
            )
        shape.refusals.append(step)
    for key in NULLABLE_KEYS:
        if getattr(message, key) is None:
            getattr(shape, f"{key}_null").append(step)
    if message.tool_calls == []:
        shape.tool_calls_empty.append(step)
    if message.annotations == []:  # a non-empty list went to provenance.extra
        shape.annotations_empty.append(step)
    if not isinstance(message.weight, UnsetType):
        shape.weights.append((step, message.weight))


def _tool_call(call_id: str | None, function: FunctionCall) -> ToolCall:
    arguments, raw = parse_arguments(function.arguments)
    return ToolCall(id=call_id, name=function.name, arguments=arguments, raw_arguments=raw)


# ---------------------------------------------------------------- export


def trajectory_to_record(traj: Trajectory) -> dict[str, Any]:
    """The OpenAI chat record of a trajectory: messages, tools (if any) and the metadata keys;
    for a trajectory imported from this format, also what the import kept in
    ``provenance.extra``."""
    return _record(traj, _shape(traj))


def trajectory_to_json(traj: Trajectory) -> dict[str, Any] | list[Any]:
    """The record as the source had it: a bare array of messages where it was one."""
    shape = _shape(traj)
    record = _record(traj, shape)
    return record[MESSAGES_KEY] if shape.bare and list(record) == [MESSAGES_KEY] else record


def _record(traj: Trajectory, shape: Shape) -> dict[str, Any]:
    tools_key = FUNCTIONS_KEY if shape.functions else TOOLS_KEY
    record: dict[str, Any] = {MESSAGES_KEY: _messages(traj, shape)}
    if traj.tools or shape.empty_tools:
        functions = [_function_def(tool) for tool in traj.tools]
        untyped = set(shape.tool_type_absent)
        wrapped = [
            ToolDef(type=UNSET if index in untyped else "function", function=function)
            for index, function in enumerate(functions)
        ]
        record[tools_key] = msgspec.to_builtins(functions if shape.functions else wrapped)
    for key, value in traj.metadata.items():
        if key in (MESSAGES_KEY, tools_key):
            raise ConversionError(
                "this metadata key would overwrite the record's own key",
                path=f"metadata.{key}",
                hint="rename the metadata key before exporting",
            )
        if key != SHAPE_KEY:
            record[key] = value
    if traj.provenance.original_format == FORMAT:
        _content_parts(record[MESSAGES_KEY], traj.provenance.extra)
        put_back(record, traj.provenance.extra)
    return record


def _content_parts(messages: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    """The lists of content parts kept in ``extra`` put back as the messages' content, where
    their text parts still say what the content does (an edited text is written as a string)."""
    for path, kept in extra.items():
        found = _MESSAGE_PATH.fullmatch(path)
        if found is None or not isinstance(kept, dict) or "content" not in kept:
            continue
        index = int(found.group(1))
        if index < len(messages) and isinstance(text := messages[index].get("content"), str):
            messages[index]["content"] = source_text(extra, path, "content", text, _joined)


def trajectory_to_messages(traj: Trajectory, *, as_source: bool = False) -> list[dict[str, Any]]:
    """The OpenAI chat messages of a trajectory as the API has them (arguments as JSON text,
    every call with its id and type, every result with the id of its call and string content,
    no fine-tuning weights), or (``as_source``, for a file of the source's kind) in the shape
    the source had."""
    shape = _shape(traj)
    return _messages(traj, shape if as_source else replace(shape, **_API_SHAPE))


def _shape(traj: Trajectory) -> Shape:
    try:
        return msgspec.convert(traj.metadata.get(SHAPE_KEY, {}), Shape)
    except msgspec.ValidationError as exc:
        error = located_error(exc)
        error.path = f"metadata.{SHAPE_KEY}" + (f".{error.path}" if error.path else "")
        raise error from None


def _function_def(tool: ToolSpec) -> FunctionDef:
    return FunctionDef(
        name=tool.name,
        description=_unset(tool.description),
        parameters=_unset(tool.parameters),
        strict=_unset(tool.strict),
    )


def _messages(traj: Trajectory, shape: Shape) -> list[dict[str, Any]]:
    messages: list[Message] = []
    if traj.system_prompt is not None:
        prompt = DeveloperMessage if shape.developer else SystemMessage
        messages.append(prompt(content=traj.system_prompt))
    if traj.task.instruction is not None:
        messages.append(UserMessageWire(content=traj.task.instruction))
    step_shapes = _step_shapes(shape, len(traj.steps))
    for index, step in enumerate(traj.steps):
        messages.extend(_step_messages(step, f"steps[{index}]", step_shapes[index]))
    result: list[dict[str, Any]] = msgspec.to_builtins(messages)
    return result


def _step_shapes(shape: Shape, count: int) -> list[_StepShape]:
    """The shape of each of ``count`` steps (indices out of range are ignored)."""
    if not any(getattr(shape, name) for name in _STEP_FIELDS):  # most records
        return [_PLAIN_STEP] * count
    null: defaultdict[int, set[str]] = defaultdict(set)
    for key in NULLABLE_KEYS:
        for step in getattr(shape, f"{key}_null"):
            null[step].add(key)
    pairs = {
        name: _by_step(getattr(shape, name))
        for name in (
            "parsed_arguments_null",
            "arguments_objects",
            "synthesised_ids",
            "call_type_absent",
            "unlinked_results",
            "null_results",
        )
    }
    weights: dict[int, int] = dict(shape.weights)
    content_absent, refusals = set(shape.content_absent), set(shape.refusals)
    annotations_empty = set(shape.annotations_empty)
    tool_calls_empty = set(shape.tool_calls_empty)
    return [
        _StepShape(
            content_absent=step in content_absent,
            refusal=step in refusals,
            null=frozenset(null.get(step, ())),
            annotations_empty=step in annotations_empty,
            tool_calls_empty=step in tool_calls_empty,
            weight=weights.get(step, UNSET),
            **{name: frozenset(by_step.get(step, ())) for name, by_step in pairs.items()},
        )
        for step in range(count)
    ]


def _by_step(pairs: list[tuple[int, int]]) -> defaultdict[int, set[int]]:
    """``(step, i)`` pairs as the set of ``i`` of each step."""
    by_step: defaultdict[int, set[int]] = defaultdict(set)
    for step, index in pairs:
        by_step[step].add(index)
    return by_step


def _step_messages(step: Step, where: str, shape: _StepShape) -> list[Message]:
    """The assistant message of a step, then one message per observation."""
    calls = [action for action in step.actions if isinstance(action, ToolCall)]
    modern = [call for call in calls if call.id is not None]
    text = step_text(step, where)
    refusal = shape.refusal and text is not None
    legacy = _legacy_call(calls, where)
    wires = [_tool_call_wire(call, index, shape) for index, call in enumerate(modern)]
    assistant = AssistantMessage(
        content=text if text is not None and not refusal else _content_absent_or_null(shape),
        refusal=text if refusal else shape.nullable("refusal"),
        reasoning_content=_unset_or_null(step.reasoning, shape, "reasoning_content"),
        function_call=shape.nullable("function_call") if isinstance(legacy, UnsetType) else legacy,
        tool_calls=wires or ([] if shape.tool_calls_empty else shape.nullable("tool_calls")),
        annotations=[] if shape.annotations_empty else shape.nullable("annotations"),
        audio=shape.nullable("audio"),
        parsed=shape.nullable("parsed"),
        weight=_weight(step, shape),
    )
    call_ids = {call.id for call in modern}
    observations = (
        _as_source(
            _observation_message(observation, f"{where}.observations[{index}]", call_ids),
            index,
            shape,
        )
        for index, observation in enumerate(step.observations)
    )
    return [assistant, *observations]


def _unset_or_null(value: _T | None, shape: _StepShape, key: str) -> _T | UnsetType | None:
    """The value; where there is none, ``null`` if the message had it so, else absent."""
    return shape.nullable(key) if value is None else value


def _content_absent_or_null(shape: _StepShape) -> UnsetType | None:
    return UNSET if shape.content_absent else None


def step_text(step: Step, where: str) -> str | None:
    """The content of the step's one text action, if it has one."""
    return single_text(step, where, "an assistant message")


def _legacy_call(calls: list[ToolCall], where: str) -> FunctionCall | UnsetType:
    legacy = legacy_call(calls, where)
    return UNSET if legacy is None else _function_call(legacy)


def legacy_call(calls: list[ToolCall], where: str) -> ToolCall | None:
    """The step's call without an id (a legacy ``function_call``), if any; a ConversionError
    where there are several (one message has room for one)."""
    legacy = [call for call in calls if call.id is None]
    if len(legacy) > 1:
        raise ConversionError(
            f"{len(legacy)} tool calls without an id in one step; one legacy function_call fits",
            path=f"{where}.actions",
            hint="give the calls ids so that they export as tool_calls",
        )
    return legacy[0] if legacy else None


def _function_call(call: ToolCall) -> FunctionCall:
    return FunctionCall(name=call.name, arguments=arguments_text(call))


def _tool_call_wire(call: ToolCall, index: int, shape: _StepShape) -> ToolCallWire:
    """Tool call ``index`` of a step, in its source's shape."""
    assert call.id is not None
    function = ToolFunction(
        name=call.name,
        arguments=call.arguments if index in shape.arguments_objects else arguments_text(call),
        parsed_arguments=None if index in shape.parsed_arguments_null else UNSET,
    )
    return ToolCallWire(
        id=UNSET if index in shape.synthesised_ids else call.id,
        type=UNSET if index in shape.call_type_absent else "function",
        function=function,
    )


def _weight(step: Step, shape: _StepShape) -> Literal[0, 1] | UnsetType:
    """The step's fine-tuning weight where its message had one: 0 while the step has the
    weight label, else 1."""
    if isinstance(shape.weight, UnsetType):
        return UNSET
    return 0 if any(label.name == WEIGHT_LABEL for label in step.labels) else 1


def _as_source(message: Message, index: int, shape: _StepShape) -> Message:
    """Observation message ``index`` of a step without ``tool_call_id``, or with null content,
    where the source's had it so."""
    if type(message) is not ToolMessage:
        return message
    if index in shape.unlinked_results:
        message = replace(message, tool_call_id=UNSET)
    if index in shape.null_results and message.content == "":
        message = replace(message, content=None)
    return message


def _observation_message(
    observation: Observation, where: str, call_ids: set[str | None]
) -> Message:
    if isinstance(observation, UserMessage):
        return UserMessageWire(content=observation.content, name=_unset(observation.name))
    check_result(observation, where, call_ids)
    if observation.call_id is None:
        assert observation.name is not None
        return FunctionMessage(name=observation.name, content=observation.content)
    return ToolMessage(
        tool_call_id=observation.call_id,
        content=observation.content,
        name=_unset(observation.name),
    )


def check_result(result: ToolResult, where: str, call_ids: Collection[str | None]) -> None:
    """A ConversionError where ``result`` (at ``where``) cannot be exported: it names no call and
    no tool (a legacy function result needs the name), or a call not among its step's
    ``call_ids``."""
    if result.call_id is None:
        if result.name is None:
            raise ConversionError(
                "a tool result with neither call_id nor name cannot be exported",
                path=f"{where}.call_id",
                hint="set call_id to the id of the call it answers",
            )
    elif result.call_id not in call_ids:
        raise ConversionError(
            f"no tool call with id {result.call_id!r} in this step",
            path=f"{where}.call_id",
            hint="a tool result must answer a call of its own step",
        )
