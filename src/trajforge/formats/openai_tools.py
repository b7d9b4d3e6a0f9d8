"""The tool lists of OpenAI chat records: ToolSpecs from the wire Structs, and a list decoded
once per distinct JSON text.

The records of a file mostly offer the same tools (kilobytes of JSON Schemas), so a record in
the plain shape leaves its ``tools`` as raw JSON (see :mod:`~trajforge.formats.openai_decode`)
and looks the list up here: its ToolSpecs are shared by every trajectory with the same tools,
read-only like those the trajectory decoder shares (:class:`~trajforge.schema.codec.SharedTools`),
and its canonical MessagePack, which the record's id hashes, is encoded once too.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import msgspec
from msgspec import UNSET

from trajforge.formats.openai_wire import FunctionDef, ToolDef
from trajforge.schema.codec import SharedTools
from trajforge.schema.records import ToolSpec

#: How many distinct tool lists are kept before starting afresh.
CACHED_LISTS: Final = 64

_DECODER: Final = msgspec.json.Decoder(list[ToolDef])
_CANONICAL: Final = msgspec.msgpack.Encoder(order="deterministic")


class ToolList(NamedTuple):
    """A record's decoded ``tools``, shared by the records with the same JSON text."""

    specs: list[ToolSpec]
    """The trajectory's tools: a :class:`SharedTools` list, read-only (an empty one is the
    cache's: a trajectory takes a new list instead)."""
    untyped: tuple[int, ...]
    """The indices of the entries without ``"type": "function"``."""
    wire: list[ToolDef]
    """The decoded entries, read-only."""
    packed: msgspec.Raw | None
    """``wire`` as deterministic MessagePack; None where an integer does not fit in 64 bits."""


_LISTS: dict[bytes, ToolList] = {}


def tool_list(raw: msgspec.Raw) -> ToolList:
    """The tool list the JSON ``raw`` decodes to, shared if seen before. Raises
    msgspec.DecodeError (ValidationError where an entry is not a strict tool definition) or
    RecursionError."""
    key = bytes(raw)
    found = _LISTS.get(key)
    if found is None:
        found = _decoded(key)
        if len(_LISTS) >= CACHED_LISTS:
            _LISTS.clear()
        _LISTS[key] = found
    return found


def tool_spec(function: FunctionDef) -> ToolSpec:
    """The ToolSpec of a function definition (absent keys are None)."""
    description, parameters, strict = function.description, function.parameters, function.strict
    return ToolSpec(
        name=function.name,
        description=None if description is UNSET else description,
        parameters=None if parameters is UNSET else parameters,
        strict=None if strict is UNSET else strict,
    )


def _decoded(text: bytes) -> ToolList:
    wire = _DECODER.decode(text)
    specs = [tool_spec(tool.function) for tool in wire]
    untyped = tuple(index for index, tool in enumerate(wire) if tool.type is UNSET)
    try:
        packed: msgspec.Raw | None = msgspec.Raw(_CANONICAL.encode(wire))
    except OverflowError:  # the record's id is then hashed from JSON
        packed = None
    shared = SharedTools(specs, msgspec.json.encode(specs)) if specs else []
    return ToolList(shared, untyped, wire, packed)
