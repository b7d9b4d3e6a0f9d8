"""An OpenAI chat record decoded into the Structs of :mod:`~trajforge.formats.openai_wire`.

Two routes give the same :class:`Decoded`. The JSON text of a record whose every key of its
chat part a Struct holds (most records) decodes straight into the Structs: its top level is
split into raw values first (``msgspec.Raw``), so that the keys beside the chat are found
without decoding the chat twice. Anything else (a dict, a bare array of messages, keys to keep
in ``provenance.extra``, malformed JSON) takes the general route: decoded as plain JSON, its
unknown keys split off (:mod:`~trajforge.formats.openai_extra`), then converted, which also
says what is wrong with a bad record. Either route tries the plain Structs first (the usual
assistant and tool messages, :class:`~trajforge.formats.openai_wire.PlainChatRecord`), then
the general ones.

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
_MESSAGES: Final = (msgspec.json.Decoder(list[PlainMessage]), msgspec.json.Decoder(list[Message]))
_TOP: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
_CANONICAL: Final = msgspec.msgpack.Encoder(order="deterministic")
_CANONICAL_JSON: Final = msgspec.json.Encoder(order="deterministic")
_BUFFERS: Final = threading.local()
"""Each thread's buffer of canonical forms, reused: encoding into it saves growing a new one and
copying it out for every record."""
_PARTS: Final[dict[str, msgspec.json.Decoder[Any]]] = {
    TOOLS_KEY: msgspec.json.Decoder(list[ToolDef]),
    FUNCTIONS_KEY: msgspec.json.Decoder(list[FunctionDef]),
}


class Decoded(NamedTuple):
    """A record's chat part, its other top-level keys, and what no Struct holds."""

    chat: AnyChatRecord
    others: dict[str, Any]
    """The top-level keys the mapping does not read, as JSON data."""
    extra: dict[str, Any]
    """What no field of ``chat`` holds, by path (see :mod:`trajforge.formats.extra`)."""
    bare: bool
    """The record was a bare array of messages."""


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
    parts = (decoded.chat, decoded.others, decoded.extra)
    buffer: bytearray | None = getattr(_BUFFERS, "buffer", None)
    if buffer is None:
        buffer = _BUFFERS.buffer = bytearray()
    try:
        _CANONICAL.encode_into(parts, buffer)
    except OverflowError:  # an integer beyond 64 bits, which JSON holds and MessagePack not
        _CANONICAL_JSON.encode_into(parts, buffer)
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
        if isinstance(chat.tools, UnsetType) or isinstance(chat.functions, UnsetType):
            return Decoded(chat, {}, {}, False)
        return _split(text)  # functions beside tools are not read: kept as they are
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
        parts = {key: _PARTS[key].decode(top[key]) for key in interpreted[1:]}
        others = {
            key: msgspec.json.decode(raw) for key, raw in top.items() if key not in interpreted
        }
        plain, messages = _messages(top[MESSAGES_KEY])
    except (msgspec.DecodeError, RecursionError):  # ValidationError included
        return None
    kind = PlainChatRecord if plain else ChatRecord
    chat = kind(
        messages=messages,
        tools=parts.get(TOOLS_KEY, UNSET),
        functions=parts.get(FUNCTIONS_KEY, UNSET),
    )
    return Decoded(chat, others, {}, False)


def _messages(text: msgspec.Raw) -> tuple[bool, list[Any]]:
    """``(plain, messages)``: a record's messages decoded, into the plain Structs if they fit."""
    plain, general = _MESSAGES
    try:
        return True, plain.decode(text)
    except msgspec.ValidationError:
        return False, general.decode(text)


def _converted(chat: dict[str, Any], extra: dict[str, Any]) -> AnyChatRecord:
    """The chat part of a record converted; what no field holds goes to ``extra`` first, which
    is needed only when strict conversion fails."""
    kinds: tuple[type[AnyChatRecord], ...] = (PlainChatRecord, ChatRecord)
    for kind in kinds:
        try:
            return msgspec.convert(chat, kind)
        except msgspec.ValidationError:
            continue
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
