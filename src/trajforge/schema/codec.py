"""Encoding and strict, located decoding of trajectory records."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from trajforge.errors import InputError, SchemaError
from trajforge.schema.records import Trajectory

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
    byte = _BYTE.search(text)
    hint = "the line ends early: the file may be truncated" if "truncated" in text else None
    message = text.replace("JSON is malformed: ", "malformed JSON: ")
    if byte:
        message = _BYTE.sub(f"(column {int(byte.group(1)) + 1})", message)
    return InputError(message, hint=hint)


class TrajectoryDecoder:
    """Decode JSON bytes into a validated Trajectory; errors are SchemaError/InputError."""

    def __init__(self) -> None:
        self._decoder = msgspec.json.Decoder(Trajectory)

    def decode(self, data: bytes | str) -> Trajectory:
        """Decode one JSON document into a Trajectory."""
        try:
            return self._decoder.decode(data)
        except msgspec.ValidationError as exc:
            raise schema_error(exc) from None
        except msgspec.DecodeError as exc:
            raise syntax_error(exc) from None
        except UnicodeDecodeError as exc:  # msgspec reports bad UTF-8 in strings this way
            raise InputError(
                f"invalid UTF-8 in a string: {exc.reason}",
                hint="the file is not UTF-8 encoded, or it is corrupt",
            ) from None
        except RecursionError:
            raise InputError("JSON is nested too deeply") from None


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
