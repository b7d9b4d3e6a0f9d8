"""An OpenAI chat record decoded into the Structs of :mod:`~trajforge.formats.openai_wire`.

Two routes give the same :class:`Decoded`. The JSON text of a record whose every key of its
chat part a Struct holds (most records) decodes straight into the Structs: its top level is
split into raw values first (``msgspec.Raw``), so that the keys beside the chat are found
without decoding the chat twice. Anything else (a dict, a bare array of messages, keys to keep
in ``provenance.extra``, malformed JSON) takes the general route: decoded as plain JSON, its
unknown keys split off (:mod:`~trajforge.formats.openai_extra`), then converted, which also
says what is wrong with a bad record. The JSON text is tried in the plain Structs first (the
usual assistant and tool messages, :class:`~trajforge.formats.openai_wire.PlainChatRecord`,
with the tool list shared by the records that have the same: see
:mod:`~trajforge.formats.openai_tools`), then in the general ones.

A record's id hashes its canonical form (:func:`canonical_id`), the same for both routes.
"""

from __future__ import annotations

import threading
from typing import Any, Final, NamedTuple

import msgspec
import xxhash
from msgspec import UNSET, UnsetType

from trajforge.errors import ConversionError
from trajforge.formats.openai_extra import split_extra
from trajforge.formats.openai_tools import ToolList, tool_list
from trajforge.formats.openai_wire import (
    AnyChatRecord,
    ChatRecord,
    FunctionDef,
    Message,
    PlainChatRecord,
    PlainMessage,
    ToolDef,
    decode_chat,
)
from trajforge.io.documents import decode_json, without_nulls

MESSAGES_KEY: Final = "messages"
TOOLS_KEY: Final = "tools"
FUNCTIONS_KEY: Final = "functions"
SHAPE_KEY: Final = "_openai_shape"
"""The metadata key trajforge keeps the record's shape under (reserved in records)."""

_JSON_TYPES: Final = {
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
}
_CHATS: Final = (msgspec.json.Decoder(PlainChatRecord), msgspec.json.Decoder(ChatRecord))
_PLAIN_MESSAGES: Final = msgspec.json.Decoder(list[PlainMessage])
_MESSAGES: Final = msgspec.json.Decoder(list[Message])
_TOOLS: Final = msgspec.json.Decoder(list[ToolDef])
_FUNCTIONS: Final = msgspec.json.Decoder(list[FunctionDef])
_TOP: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
_CANONICAL: Final = msgspec.msgpack.Encoder(order="deterministic")
_CANONICAL_JSON: Final = msgspec.json.Encoder(order="deterministic")
_BUFFERS: Final = threading.local()
"""Each thread's buffer of canonical forms, reused: encoding into it saves growing a new one and
copying it out for every record."""


class Decoded(NamedTuple):
    """A record's chat part, its other top-level keys, and what no Struct holds."""

    chat: AnyChatRecord
    others: dict[str, Any]
    """The top-level keys the mapping does not read, as JSON data."""
    extra: dict[str, Any]
    """What no field of ``chat`` holds, by path (see :mod:`trajforge.formats.extra`)."""
    bare: bool
    """The record was a bare array of messages."""
    tools: ToolList | None = None
    """The ``tools`` of a record in the plain shape (whose ``chat.tools`` are JSON text)."""


class _Hashed(msgspec.Struct):
    """A chat part as its canonical form has it: the fields of :class:`ChatRecord`, ``tools``
    given as their MessagePack (or their Structs)."""

    messages: Any
    tools: Any = UNSET
    functions: Any = UNSET


def decode_record(record: dict[str, Any] | list[Any] | bytes) -> Decoded:
    """Decode one chat record (a dict, a bare list of messages, or JSON bytes of either).

    Raises ConversionError (InputError for malformed JSON) with a field path.
    """
    if isinstance(record, bytes) and (typed := _typed(record)) is not None:
        return typed
    loaded = _load(record)
    data = {MESSAGES_KEY: loaded} if isinstance(loaded, list) else loaded
    if SHAPE_KEY in data:
        raise ConversionError(
            "this key is reserved for trajforge", path=SHAPE_KEY, hint="rename it before importing"
        )
    interpreted = interpreted_keys(data)
    extra: dict[str, Any] = {}
    chat = _converted({key: data[key] for key in interpreted if key in data}, extra)
    others = {key: value for key, value in data.items() if key not in interpreted}
    return Decoded(chat, others, extra, isinstance(loaded, list))


def canonical_id(decoded: Decoded) -> str:
    """A hash (XXH3-128) of the record's canonical form: its decoded Structs (fields in a fixed
    order), other keys and what went to extra (keys sorted), as MessagePack. Spacing, key order
    and the route (JSON text or data) do not count; ``null`` and an absent key still differ."""
    chat: AnyChatRecord | _Hashed = decoded.chat
    tools = decoded.tools
    if tools is not None:  # a shared list: its MessagePack encoded once
        packed = tools.wire if tools.packed is None else tools.packed
        chat = _Hashed(messages=chat.messages, tools=packed, functions=chat.functions)
    buffer: bytearray | None = getattr(_BUFFERS, "buffer", None)
    if buffer is None:
        buffer = _BUFFERS.buffer = bytearray()
    try:
        _CANONICAL.encode_into((chat, decoded.others, decoded.extra), buffer)
    except OverflowError:  # an integer beyond 64 bits, which JSON holds and MessagePack not
        if tools is not None:
            chat = _Hashed(messages=chat.messages, tools=tools.wire, functions=chat.functions)
        _CANONICAL_JSON.encode_into((chat, decoded.others, decoded.extra), buffer)
    return xxhash.xxh3_128_hexdigest(buffer)


def without_null_fill(record: dict[str, Any]) -> dict[str, Any]:
    """A record read from a table (Parquet) without the nulls its columns fill absent keys with:
    a null is an absent key there, bar a message's ``null`` content (an assistant's that only
    calls tools), kept as the chat shape has it."""
    out: dict[str, Any] = without_nulls(record)
    messages = record.get(MESSAGES_KEY)
    if isinstance(messages, list) and isinstance(out.get(MESSAGES_KEY), list):
        for message, cleaned in zip(messages, out[MESSAGES_KEY], strict=True):
            if isinstance(message, dict) and "content" in message and message["content"] is None:
                cleaned["content"] = None
    return out


def interpreted_keys(data: dict[str, Any]) -> tuple[str, ...]:
    """The keys the mapping reads: messages, and tools (or the legacy functions without them)."""
    if TOOLS_KEY not in data and FUNCTIONS_KEY in data:
        return (MESSAGES_KEY, FUNCTIONS_KEY)
    return (MESSAGES_KEY, TOOLS_KEY) if TOOLS_KEY in data else (MESSAGES_KEY,)


def _typed(text: bytes) -> Decoded | None:
    """The record decoded straight into the Structs; None where the general route must say
    what it is (not an object, keys for extra, malformed or deeply nested JSON)."""
    for decoder in _CHATS:  # a record of messages and tools alone, the usual kind
        try:
            chat = decoder.decode(text)
        except msgspec.ValidationError as exc:
            if _beside_chat(exc):
                return _split(text)
            continue
        except (msgspec.DecodeError, RecursionError):
            return None
        if not isinstance(chat.tools, UnsetType) and not isinstance(chat.functions, UnsetType):
            return _split(text)  # functions beside tools are not read: kept as they are
        if not isinstance(chat.tools, msgspec.Raw):
            return Decoded(chat, {}, {}, False)
        try:
            return Decoded(chat, {}, {}, False, tool_list(chat.tools))
        except (msgspec.DecodeError, RecursionError):
            continue  # keys of its own, or not a tool list: the general Structs say which
    return None


def _beside_chat(exc: msgspec.ValidationError) -> bool:
    """Whether decoding failed on a top-level key beside the chat (which :func:`_split`
    handles), not on one inside it (left to the general route at once)."""
    message = str(exc)
    return message.startswith("Object contains unknown field") and " - at `" not in message


def _split(text: bytes) -> Decoded | None:
    """:func:`_typed` for a record with keys beside its chat: the top level split first."""
    try:
        top = _TOP.decode(text)
        if MESSAGES_KEY not in top or SHAPE_KEY in top:
            return None
        interpreted = interpreted_keys(top)
        others = {
            key: msgspec.json.decode(raw) for key, raw in top.items() if key not in interpreted
        }
        functions = _FUNCTIONS.decode(top[FUNCTIONS_KEY]) if FUNCTIONS_KEY in interpreted else UNSET
        plain = _plain_chat(top[MESSAGES_KEY], top.get(TOOLS_KEY), functions)
        if plain is not None:
            return Decoded(plain[0], others, {}, False, plain[1])
        chat = ChatRecord(
            messages=_MESSAGES.decode(top[MESSAGES_KEY]),
            tools=_TOOLS.decode(top[TOOLS_KEY]) if TOOLS_KEY in top else UNSET,
            functions=functions,
        )
    except (msgspec.DecodeError, RecursionError):  # ValidationError included
        return None
    return Decoded(chat, others, {}, False)


def _plain_chat(
    messages: msgspec.Raw, tools: msgspec.Raw | None, functions: list[FunctionDef] | UnsetType
) -> tuple[PlainChatRecord, ToolList | None] | None:
    """The chat part of a split record in the plain Structs; None where it does not fit them."""
    try:
        chat = PlainChatRecord(
            messages=_PLAIN_MESSAGES.decode(messages),
            tools=UNSET if tools is None else tools,
            functions=functions,
        )
        return chat, None if tools is None else tool_list(tools)
    except msgspec.ValidationError:
        return None


def _converted(chat: dict[str, Any], extra: dict[str, Any]) -> ChatRecord:
    """The chat part of a record converted; what no field holds goes to ``extra`` first, which
    is needed only when strict conversion fails."""
    try:
        return msgspec.convert(chat, ChatRecord)
    except msgspec.ValidationError:
        return decode_chat(split_extra(chat, extra))


def _load(record: dict[str, Any] | list[Any] | bytes) -> dict[str, Any] | list[Any]:
    """The record as fresh JSON data (a dict is copied through JSON, so it is JSON-clean)."""
    try:
        text = msgspec.json.encode(record) if isinstance(record, dict | list) else record
    except (TypeError, ValueError) as exc:
        raise ConversionError(
            f"the record is not JSON data: {exc}", hint="records must hold only JSON values"
        ) from None
    data = decode_json(text)
    if not isinstance(data, dict | list):
        raise ConversionError(
            f"expected an object, got {_JSON_TYPES.get(type(data), 'null')}",
            hint="an OpenAI chat record is an object with a 'messages' list",
        )
    return data
