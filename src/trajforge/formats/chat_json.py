"""Tools and tool calls as chat formats write them in JSON: tools as ``{"name", "description",
"parameters"}`` (or OpenAI's ``{"type": "function", "function": {...}}``), calls as
``{"name": ..., "arguments": {...}}`` or a list of those (ShareGPT's ``function_call`` turns,
Hermes' ``<tool_call>`` blocks).

Text that does not read as calls is still a call, not a lost record: its name is guessed from a
``"name": "..."`` in it (``""`` when there is none) and the whole text is its
``raw_arguments``; such a call is written back as that text. Writing uses ``json.dumps`` with
``ensure_ascii=False`` (the spelling of the public samples).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.openai import parse_arguments
from trajforge.schema.records import ToolCall, ToolSpec

_NAME: Final = re.compile(r"""["']name["']\s*:\s*["']([^"']*)["']""")
_LITERAL_ERRORS: Final = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)
_TOOL_HINT: Final = "a tool is {'name': str, 'description': str, 'parameters': {JSON Schema}}"


def loads(text: str, *, literals: bool = False) -> Any:
    """The JSON value of ``text``; with ``literals`` also a Python literal (``{'a': True}``), as
    Hermes data writes them. ValueError when it is neither."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError:
        if not literals:
            raise
    try:
        return _json_data(ast.literal_eval(text.strip()))
    except _LITERAL_ERRORS:
        raise ValueError("not a JSON value or Python literal") from None


def _json_data(value: Any) -> Any:
    """A Python literal as JSON data (tuples become lists); ValueError for sets, bytes..."""
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise ValueError("an object key is not a string")
        return {key: _json_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_data(item) for item in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise ValueError(f"{type(value).__name__} is not JSON data")


def read_calls(text: str, *, literals: bool = False) -> list[ToolCall]:
    """The calls a text holds (an object or a non-empty list of them); a text that does not read
    as calls is one call with the text as its ``raw_arguments``."""
    try:
        value = loads(text, literals=literals)
    except ValueError:
        return [_unread(text)]
    items = value if isinstance(value, list) else [value]
    calls = [_call(item) for item in items]
    if not calls or any(call is None for call in calls):
        return [_unread(text)]
    return [call for call in calls if call is not None]


def _call(item: Any) -> ToolCall | None:
    if not isinstance(item, dict) or not isinstance(name := item.get("name"), str):
        return None
    arguments = item.get("arguments")
    if arguments is None:
        return ToolCall(name=name)
    if isinstance(arguments, dict):
        return ToolCall(name=name, arguments=arguments)
    if isinstance(arguments, str):  # the OpenAI spelling: the object as JSON text
        parsed, raw = parse_arguments(arguments)
        return ToolCall(name=name, arguments=parsed, raw_arguments=raw)
    return None


def _unread(text: str) -> ToolCall:
    found = _NAME.search(text)
    return ToolCall(name=found.group(1) if found else "", raw_arguments=text)


def is_unread(call: ToolCall) -> bool:
    """Whether a call is the whole text of a call that could not be read (see the module)."""
    raw = call.raw_arguments
    if raw is None or _is_object(raw):
        return False
    found = _NAME.search(raw)
    return (found.group(1) if found else "") == call.name


def call_value(call: ToolCall) -> dict[str, Any]:
    """The JSON object of a call; arguments that are not a JSON object stay their text."""
    raw = call.raw_arguments
    arguments: Any = raw if raw is not None and not _is_object(raw) else call.arguments
    return {"name": call.name, "arguments": arguments}


def _write_call(call: ToolCall) -> str:
    """The text of one call."""
    if is_unread(call):
        assert call.raw_arguments is not None
        return call.raw_arguments
    return dumps(call_value(call))


def write_calls(calls: Sequence[ToolCall]) -> str:
    """The text of a turn's calls: one object, or a list of them."""
    if len(calls) == 1:
        return _write_call(calls[0])
    return dumps([call_value(call) for call in calls])


def dumps(value: Any) -> str:
    """JSON text as the public samples write it."""
    return json.dumps(value, ensure_ascii=False)


def _is_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


# ---------------------------------------------------------------- tools


def read_tools(value: Any, path: str) -> list[ToolSpec]:
    """The tools of a JSON list of tool definitions (keys besides name, description and
    parameters are not read)."""
    if not isinstance(value, list):
        raise ConversionError("expected a list of tools", path=path, hint=_TOOL_HINT)
    return [read_tool(tool, f"{path}[{i}]") for i, tool in enumerate(value)]


def read_tool(value: Any, path: str) -> ToolSpec:
    """One tool definition, bare or in OpenAI's ``{"type": "function", "function": ...}``."""
    if isinstance(value, dict) and value.get("type") == "function" and "function" in value:
        value, path = value["function"], f"{path}.function"
    if not isinstance(value, dict):
        raise ConversionError("expected an object", path=path, hint=_TOOL_HINT)
    name, description, parameters = (value.get(k) for k in ("name", "description", "parameters"))
    if not isinstance(name, str):
        raise ConversionError("expected a string name", path=f"{path}.name", hint=_TOOL_HINT)
    if description is not None and not isinstance(description, str):
        raise ConversionError("expected string", path=f"{path}.description", hint=_TOOL_HINT)
    if parameters is not None and not isinstance(parameters, dict):
        raise ConversionError("expected an object", path=f"{path}.parameters", hint=_TOOL_HINT)
    return ToolSpec(name=name, description=description, parameters=parameters)


def tool_dict(tool: ToolSpec) -> dict[str, Any]:
    """The JSON object of a tool (absent keys left out)."""
    spec = {"name": tool.name, "description": tool.description, "parameters": tool.parameters}
    return {key: value for key, value in spec.items() if value is not None}
