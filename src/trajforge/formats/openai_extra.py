"""What of an OpenAI chat record no trajforge field holds, split off before decoding.

Keys the OpenAI shapes do not know (``messages[8].valid``, ``tools[0].function.response``, a
tool call's ``index``), and the non-empty forms of the SDK keys trajforge keeps only when empty
(``annotations``, ``audio``, ``parsed``, ``parsed_arguments``), and ``null`` where a key takes
none (the null fill of ``datasets``' ``to_json``: ``"name": null`` on every message), go to
``provenance.extra`` by path (see :mod:`trajforge.formats.extra`); the rest decodes strictly.
Export puts them back.
"""

from __future__ import annotations

import typing
from typing import Any, Final, NamedTuple

import msgspec

from trajforge.formats.extra import split_unknown
from trajforge.formats.openai_wire import (
    FunctionCall,
    FunctionDef,
    Message,
    ToolCallWire,
    ToolDef,
    ToolFunction,
)


class _Keys(NamedTuple):
    """The keys of an object: all, and those that may be ``null``."""

    known: frozenset[str]
    nullable: frozenset[str]


def _keys(cls: type[msgspec.Struct], *more: str) -> _Keys:
    fields = msgspec.structs.fields(cls)
    return _Keys(
        frozenset(field.encode_name for field in fields).union(more),
        frozenset(f.encode_name for f in fields if type(None) in typing.get_args(f.type)),
    )


MESSAGE_KEYS: Final = {
    cls.__struct_config__.tag: _keys(cls, "role") for cls in typing.get_args(Message)
}
"""The keys each role's message may have."""
_CALL_KEYS: Final = _keys(ToolCallWire)
_CALL_FUNCTION_KEYS: Final = _keys(ToolFunction)
_FUNCTION_CALL_KEYS: Final = _keys(FunctionCall)
_TOOL_KEYS: Final = _keys(ToolDef)
_FUNCTION_KEYS: Final = _keys(FunctionDef)
_EMPTY_FORMS: Final[dict[str, tuple[Any, ...]]] = {
    "annotations": (None, []),
    "audio": (None,),
    "parsed": (None,),
    "parsed_arguments": (None,),
}
"""Keys whose other values are kept in extra rather than decoded."""


def split_extra(data: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a record's ``messages``, ``tools`` and ``functions``) without what no field
    holds; that is added to ``extra``. Values of an unexpected type are left for decoding to
    reject with their path."""
    out = dict(data)
    if isinstance(messages := data.get("messages"), list):
        out["messages"] = [
            _message(message, f"messages[{i}]", extra) for i, message in enumerate(messages)
        ]
    for key in ("tools", "functions"):
        if isinstance(tools := data.get(key), list):
            out[key] = [_tool(tool, f"{key}[{i}]", key, extra) for i, tool in enumerate(tools)]
    return out


def _message(message: Any, path: str, extra: dict[str, Any]) -> Any:
    if not isinstance(message, dict) or message.get("role") not in MESSAGE_KEYS:
        return message
    out = _known(message, MESSAGE_KEYS[message["role"]], path, extra)
    if isinstance(calls := out.get("tool_calls"), list):
        out["tool_calls"] = [
            _tool_call(call, f"{path}.tool_calls[{i}]", extra) for i, call in enumerate(calls)
        ]
    if isinstance(legacy := out.get("function_call"), dict):
        out["function_call"] = _known(legacy, _FUNCTION_CALL_KEYS, f"{path}.function_call", extra)
    return out


def _tool_call(call: Any, path: str, extra: dict[str, Any]) -> Any:
    if not isinstance(call, dict):
        return call
    out = _known(call, _CALL_KEYS, path, extra)
    if isinstance(function := out.get("function"), dict):
        out["function"] = _known(function, _CALL_FUNCTION_KEYS, f"{path}.function", extra)
    return out


def _tool(tool: Any, path: str, key: str, extra: dict[str, Any]) -> Any:
    """A ``tools`` entry (``{type, function}``) or a legacy ``functions`` one."""
    if not isinstance(tool, dict):
        return tool
    if key == "functions":
        return _known(tool, _FUNCTION_KEYS, path, extra)
    out = _known(tool, _TOOL_KEYS, path, extra)
    if isinstance(function := out.get("function"), dict):
        out["function"] = _known(function, _FUNCTION_KEYS, f"{path}.function", extra)
    return out


def _known(obj: dict[str, Any], keys: _Keys, path: str, extra: dict[str, Any]) -> Any:
    """``obj`` with its unknown keys, kept-only-when-empty keys holding more, and nulls where
    its key takes none, in extra."""
    fuller = [key for key in _EMPTY_FORMS.keys() & obj.keys() if obj[key] not in _EMPTY_FORMS[key]]
    nulls = [k for k, v in obj.items() if v is None and k in keys.known and k not in keys.nullable]
    holdable = keys.known.difference(fuller, nulls)
    return dict(obj) if holdable.issuperset(obj) else split_unknown(obj, holdable, path, extra)
