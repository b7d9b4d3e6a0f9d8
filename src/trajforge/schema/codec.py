"""Encoding and strict, located decoding of trajectory records.

The tool list of a run is the same JSON in every trajectory (kilobytes of JSON Schemas), so the
decoder decodes each distinct tool list once: trajectories whose ``tools`` are the same bytes share
one :class:`SharedTools` list, which must be treated as read-only (so must its ToolSpecs).
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

import msgspec

from trajforge.errors import InputError, SchemaError
from trajforge.schema.records import ToolSpec, Trajectory

#: How many distinct tool lists a decoder keeps before starting afresh.
SHARED_TOOL_LISTS: Final = 64

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_TYPE_WORDS = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "null": "null",
    "array": "array",
    "object": "object",
}
_TYPE = re.compile(r"`([^`]+)`")
_BYTE = re.compile(r"\(byte (\d+)\)")


def _type_words(text: str) -> str:
    """``int | null`` -> ``integer or null``; a word that is no type name is quoted."""
    words = [w.strip() for w in text.split("|")]
    if all(w in _TYPE_WORDS for w in words):
        return " or ".join(_TYPE_WORDS[w] for w in words)
    return f"'{text}'"


def _humanize(msg: str) -> str:
    msg = _TYPE.sub(lambda m: _type_words(m.group(1)), msg)
    return msg[:1].lower() + msg[1:]


def schema_error(exc: msgspec.ValidationError) -> SchemaError:
    """Turn msgspec's validation message into a SchemaError with a field path."""
    match = _AT.match(str(exc))
    assert match is not None  # the pattern matches any string
    path = (match.group("path") or "").lstrip(".") or None
    return SchemaError(_humanize(match.group("msg")), path=path)


def syntax_error(exc: msgspec.DecodeError) -> InputError:
    """Turn a JSON syntax error into an InputError (with the byte column where known)."""
    text = str(exc)
    if "utf-8" in text.lower():  # msgspec >= 0.23 reports bad UTF-8 in strings this way
        return _invalid_utf8(None)
    byte = _BYTE.search(text)
    hint = "the line ends early: the file may be truncated" if "truncated" in text else None
    message = text.replace("JSON is malformed: ", "malformed JSON: ")
    if byte:
        message = _BYTE.sub(f"(column {int(byte.group(1)) + 1})", message)
    return InputError(message, hint=hint)


def _invalid_utf8(reason: str | None) -> InputError:
    return InputError(
        "invalid UTF-8 in a string" + (f": {reason}" if reason else ""),
        hint="the file is not UTF-8 encoded, or it is corrupt",
    )


class SharedTools(list[ToolSpec]):
    """A decoded tool list shared by the trajectories whose ``tools`` are the JSON ``raw``.

    Read-only by contract. Copies and pickles of it are plain lists.
    """

    __slots__ = ("raw",)

    def __init__(self, tools: list[ToolSpec], raw: bytes) -> None:
        super().__init__(tools)
        self.raw = raw

    def __reduce__(self) -> tuple[type[list[ToolSpec]], tuple[list[ToolSpec]]]:
        return list, (list(self),)


class _ToolLists:
    """Decoded tool lists by their JSON bytes, at most ``size`` of them."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._decoder = msgspec.json.Decoder(list[ToolSpec])
        self._lists: dict[bytes, SharedTools] = {}

    def get(self, raw: msgspec.Raw) -> list[ToolSpec]:
        """The tool list ``raw`` decodes to: shared if seen before, an empty one never shared."""
        key = bytes(raw)
        found = self._lists.get(key)
        if found is not None:
            return found
        tools = self._decoder.decode(key)
        if not tools:
            return tools
        if len(self._lists) >= self._size:
            self._lists.clear()
        found = self._lists[key] = SharedTools(tools, key)
        return found


def _wire_field(field: msgspec.structs.FieldInfo) -> tuple[str, Any, Any]:
    """A Trajectory field as it is decoded; ``tools`` is kept as raw JSON."""
    if field.name == "tools":
        return field.name, msgspec.Raw, msgspec.Raw(b"[]")
    if field.default_factory is not msgspec.NODEFAULT:
        return field.name, field.type, msgspec.field(default_factory=field.default_factory)
    return field.name, field.type, field.default


#: A Trajectory whose ``tools`` are left undecoded.
_Wire = msgspec.defstruct(
    "TrajectoryWire",
    [_wire_field(field) for field in msgspec.structs.fields(Trajectory)],
    kw_only=True,
    forbid_unknown_fields=True,
)
_WIRE_ERRORS: Final = (msgspec.MsgspecError, UnicodeDecodeError, RecursionError)


class TrajectoryDecoder:
    """Decode JSON bytes into a validated Trajectory; errors are SchemaError/InputError.

    Equal tool lists are decoded once and shared (see the module docstring).
    """

    def __init__(self, *, unique_keys: bool = False) -> None:
        self.unique_keys = unique_keys
        self._decoder = msgspec.json.Decoder(Trajectory)
        self._wire: msgspec.json.Decoder[Any] = msgspec.json.Decoder(_Wire)
        self._tools = _ToolLists(SHARED_TOOL_LISTS)

    def decode(self, data: bytes | str) -> Trajectory:
        """Decode one JSON document into a Trajectory. A key repeated in an object: the last
        one wins, or with ``unique_keys`` the record is refused."""
        try:
            trajectory = self._decode_shared(data)
        except _WIRE_ERRORS:  # the plain decoder reports it, located as always
            trajectory = self._decode_plain(data)
        if self.unique_keys:
            refuse_repeated_keys(data)
        return trajectory

    def _decode_shared(self, data: bytes | str) -> Trajectory:
        wire = self._wire.decode(data)
        fields = msgspec.structs.asdict(wire)
        fields["tools"] = self._tools.get(wire.tools)
        return Trajectory(**fields)

    def _decode_plain(self, data: bytes | str) -> Trajectory:
        try:
            return self._decoder.decode(data)
        except msgspec.ValidationError as exc:
            raise schema_error(exc) from None
        except msgspec.DecodeError as exc:
            raise syntax_error(exc) from None
        except UnicodeDecodeError as exc:  # msgspec < 0.23 reports bad UTF-8 in strings this way
            raise _invalid_utf8(exc.reason) from None
        except RecursionError:
            raise nested_too_deeply() from None


class _RepeatedKeyError(Exception):
    """A key seen twice in one JSON object (``args[0]``)."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _RepeatedKeyError(key)
        obj[key] = value
    return obj


def refuse_repeated_keys(data: bytes | str) -> None:
    """An InputError if a JSON object in ``data`` has a key twice (JSON parsers, trajforge's
    included, keep the last one). It decodes ``data`` once more, slowly: for strict reading only.
    Malformed JSON passes, for the record's decoder to say what is wrong."""
    try:
        json.loads(data, object_pairs_hook=_unique)
    except _RepeatedKeyError as exc:
        raise InputError(
            f"the key {exc.args[0]!r} appears twice in one object",
            hint="strict reading refuses repeated keys (otherwise the last one wins)",
        ) from None
    except (ValueError, RecursionError):
        pass


def nested_too_deeply() -> InputError:
    """The error for JSON deeper than the decoder can follow (a RecursionError, never raw)."""
    return InputError(
        "JSON is nested too deeply", hint="a record nests at most a few hundred levels"
    )


_encoder = msgspec.json.Encoder()


def encode(trajectory: Trajectory) -> bytes:
    """Encode a Trajectory as compact JSON bytes (no trailing newline)."""
    return _encoder.encode(trajectory)


def to_builtins(trajectory: Trajectory) -> dict[str, Any]:
    """The trajectory as plain dicts/lists, exactly as it is written to JSON."""
    result: dict[str, Any] = msgspec.to_builtins(trajectory)
    return result


def from_builtins(data: Any) -> Trajectory:
    """Validate plain Python data into a Trajectory (strict, located errors)."""
    try:
        return msgspec.convert(data, Trajectory)
    except msgspec.ValidationError as exc:
        raise schema_error(exc) from None
