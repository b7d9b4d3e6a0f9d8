"""The OpenAI chat-record shapes as strict msgspec Structs, and their located decoding.

The same Structs describe both directions: :mod:`trajforge.formats.openai` decodes records into them
on import and builds them (then ``msgspec.to_builtins``) on export. Optional keys are ``UNSET`` when
absent, so absent, ``null`` and ``""`` stay three different things. Unknown keys are rejected here:
:mod:`trajforge.formats.openai_extra` moves them to ``provenance.extra`` before decoding.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from trajforge.errors import ConversionError
from trajforge.schema.codec import schema_error

ROLES = ("system", "developer", "user", "assistant", "tool", "function")


class Wire(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, gc=False):
    """Base of the OpenAI shapes: strict, unknown keys rejected; untracked by the garbage
    collector (they hold JSON data, never themselves), which spares it a pass per record."""


class FunctionCall(Wire):
    """``tool_calls[i].function`` and the legacy ``function_call``: arguments are JSON text."""

    name: str
    arguments: str


class ToolFunction(Wire):
    """``tool_calls[i].function``: the SDK's ``.parse()`` adds ``"parsed_arguments": null``;
    ``arguments`` may be the object itself, as TRL and ``transformers`` chat templates have it."""

    name: str
    arguments: str | dict[str, Any]
    parsed_arguments: UnsetType | None = UNSET


class ToolCallWire(Wire, kw_only=True):
    """One entry of an assistant message's ``tool_calls``; TRL's rows have neither ``id`` nor
    ``type``."""

    id: str | UnsetType = UNSET
    type: Literal["function"] | UnsetType = UNSET
    function: ToolFunction


Content: TypeAlias = str | list[dict[str, Any]]
"""A message's text, or a list of content parts (``{"type": "text", "text": ...}`` and others)."""


class SystemMessage(Wire, tag="system", tag_field="role"):
    """``{"role": "system", "content": ...}``."""

    content: Content


class DeveloperMessage(Wire, tag="developer", tag_field="role"):
    """``{"role": "developer", "content": ...}``: the newer name of the system message."""

    content: Content


class UserMessageWire(Wire, tag="user", tag_field="role"):
    """``{"role": "user", "content": ..., "name"?: ...}``."""

    content: Content
    name: str | UnsetType = UNSET


class AssistantMessage(Wire, tag="assistant", tag_field="role"):
    """An assistant turn: text (or null, or absent), a refusal, reasoning, and tool calls.

    ``annotations``, ``audio`` and ``parsed`` are what the OpenAI SDK's ``model_dump()`` writes
    besides: their empty forms (``null``, and ``[]`` for annotations) decode here, other values
    go to ``provenance.extra`` before decoding.
    """

    content: Content | UnsetType | None = UNSET
    refusal: str | UnsetType | None = UNSET
    reasoning_content: str | UnsetType | None = UNSET
    function_call: FunctionCall | UnsetType | None = UNSET
    tool_calls: list[ToolCallWire] | UnsetType | None = UNSET
    annotations: Annotated[list[Any], msgspec.Meta(max_length=0)] | UnsetType | None = UNSET
    audio: UnsetType | None = UNSET
    parsed: UnsetType | None = UNSET
    weight: Literal[0, 1] | UnsetType = UNSET
    """OpenAI fine-tuning: 0 where the model must not learn this message."""


class ToolMessage(Wire, kw_only=True, tag="tool", tag_field="role"):
    """The result of one modern tool call; without ``tool_call_id`` (TRL's rows) it answers the
    calls of its assistant message in order."""

    tool_call_id: str | UnsetType = UNSET
    content: Content | None
    name: str | UnsetType = UNSET


class FunctionMessage(Wire, tag="function", tag_field="role"):
    """The result of a legacy ``function_call``."""

    name: str
    content: str


Message: TypeAlias = (
    SystemMessage
    | DeveloperMessage
    | UserMessageWire
    | AssistantMessage
    | ToolMessage
    | FunctionMessage
)


class FunctionDef(Wire):
    """``tools[i].function``: absent keys stay absent."""

    name: str
    description: str | UnsetType = UNSET
    parameters: dict[str, Any] | UnsetType = UNSET
    strict: bool | UnsetType = UNSET


class ToolDef(Wire, kw_only=True):
    """One entry of the record's ``tools``."""

    type: Literal["function"] | UnsetType = UNSET
    function: FunctionDef


class ChatRecord(Wire):
    """The keys of a chat record trajforge interprets (``functions``: the legacy tool list, read
    when there is no ``tools``); the others go to metadata."""

    messages: list[Message]
    tools: list[ToolDef] | UnsetType = UNSET
    functions: list[FunctionDef] | UnsetType = UNSET


# ---------------------------------------------------------------- the plain shape

# A record in the usual shape decodes into these first (see openai_decode): the keys of the
# assistant and tool messages that a step holds as it is, and no others, so the import takes
# them without looking for the rare keys message by message. Their fields have the names and
# order of the general Structs above (UNSET ones are left out on encoding), so a record encodes
# the same either way: its id does not depend on which Structs it decoded into.


class PlainFunction(Wire):
    """``tool_calls[i].function`` with its arguments as JSON text, as the API writes them."""

    name: str
    arguments: str


class PlainToolCall(Wire):
    """A tool call with its ``id`` and ``"type": "function"``."""

    id: str
    type: Literal["function"]
    function: PlainFunction


class PlainAssistantMessage(Wire, tag="assistant", tag_field="role"):
    """An assistant turn with a ``content`` (text or null), perhaps reasoning and tool calls."""

    content: str | None
    reasoning_content: str | UnsetType = UNSET
    tool_calls: Annotated[list[PlainToolCall], msgspec.Meta(min_length=1)] | UnsetType = UNSET


class PlainToolMessage(Wire, kw_only=True, tag="tool", tag_field="role"):
    """The text result of the call with ``tool_call_id``."""

    tool_call_id: str
    content: str
    name: str | UnsetType = UNSET


PlainMessage: TypeAlias = (
    SystemMessage
    | DeveloperMessage
    | UserMessageWire
    | PlainAssistantMessage
    | PlainToolMessage
    | FunctionMessage
)


class PlainChatRecord(Wire):
    """A :class:`ChatRecord` whose messages are all in the plain shape; its ``tools`` are left
    as JSON text, decoded once per distinct list (see :mod:`~trajforge.formats.openai_tools`)."""

    messages: list[PlainMessage]
    tools: msgspec.Raw | UnsetType = UNSET
    functions: list[FunctionDef] | UnsetType = UNSET


AnyMessage: TypeAlias = Message | PlainAssistantMessage | PlainToolMessage
AnyChatRecord: TypeAlias = ChatRecord | PlainChatRecord


# ---------------------------------------------------------------- located errors

_BACKTICKED = re.compile(r"`([^`]*)`")
_KEY_IN_MESSAGE = re.compile(
    r"object (?P<what>contains unknown|missing required) field '(?P<key>[^']*)'"
)
_KEY_PROBLEM = {"contains unknown": "unknown key", "missing required": "required key missing"}
_TYPE_WORDS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _words(match: re.Match[str]) -> str:
    return " or ".join(_TYPE_WORDS.get(part, part) for part in match.group(1).split(" | "))


def _hint(path: str, message: str) -> str:
    if path.endswith(".role") and message.startswith("invalid value"):
        return f"supported roles are {', '.join(ROLES)}"
    if ".content[" in path:
        return 'content parts are objects with a "type"; text parts have a string "text"'
    if message == "unknown key":
        return "trajforge wrote this object itself and knows no such key: remove it"
    if path.endswith(".arguments"):
        return "OpenAI tool-call arguments are a JSON-encoded string"
    return "the record must be an OpenAI chat record: {'messages': [...], 'tools': [...]}"


def decode_chat(data: dict[str, Any]) -> ChatRecord:
    """Validate the ``messages``/``tools``/``functions`` part of a record; errors are located
    ConversionErrors."""
    try:
        return msgspec.convert(data, ChatRecord)
    except msgspec.ValidationError as exc:
        raise located_error(exc) from None


def located_error(exc: msgspec.ValidationError) -> ConversionError:
    """msgspec's message as a ConversionError whose path names the offending key itself."""
    error = schema_error(exc)
    message = _BACKTICKED.sub(_words, error.message)
    path = error.path or ""
    key = _KEY_IN_MESSAGE.fullmatch(message)
    if key:  # name the key in the path: `messages[2].refusal: unknown key`
        path = f"{path}.{key.group('key')}" if path else key.group("key")
        message = _KEY_PROBLEM[key.group("what")]
    return ConversionError(message, path=path or None, hint=_hint(path, message))
