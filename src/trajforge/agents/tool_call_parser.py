"""Read tool calls that a model wrote as text instead of native ``tool_calls``.

Two shapes are understood:

- Hermes: one or several ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks (a
  block may hold a list, or several objects one after another);
- bare JSON: ``{"name": ..., "arguments" | "parameters": {...}}`` or a list of those, alone or
  inside the text, possibly in a ```` ```json ```` fence. The OpenAI wrapper
  ``{"type": "function", "function": {...}}`` is unwrapped.

``parse_tool_calls`` returns the calls and the text left around them; text without any tool-call
syntax comes back whole with no calls. Text that tries to call a tool but cannot be read (broken
JSON, an unclosed tag, an unknown tool name, arguments that are not an object) raises
``ToolCallParseError`` naming the call and the problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Final

from trajforge.errors import ToolCallParseError

OPEN_TAG: Final = "<tool_call>"
CLOSE_TAG: Final = "</tool_call>"
ARGUMENT_KEYS: Final = ("arguments", "parameters")

_HERMES = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*([A-Za-z_-]*)[ \t]*\n?(.*?)```", re.DOTALL)
# Where a bare JSON call may start: an object (or a list of objects) whose first key is a call key.
_BARE_START = re.compile(r'(?:\[\s*)?\{\s*"(?:name|function|type)"\s*:')
_CALL_HINT = re.compile(r'"name"\s*:')
_BLANK_LINES = re.compile(r"\n{3,}")
_DECODER = json.JSONDecoder()
_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number"}
_HINT = (
    'write each call as <tool_call>{"name": "<tool>", "arguments": {...}}</tool_call> '
    "with valid JSON"
)


@dataclass(frozen=True)
class ParsedCall:
    """One tool call read from text."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


def parse_tool_calls(
    text: str, tool_names: Collection[str] | None = None
) -> tuple[list[ParsedCall], str]:
    """``(calls, leftover_text)`` of model output that may hold tool calls as text.

    ``tool_names`` are the tools on offer (``None``: any name is accepted). Raises
    ``ToolCallParseError`` when the text holds a tool call that cannot be read.
    """
    if OPEN_TAG in text or CLOSE_TAG in text:
        return _parse_hermes(text, tool_names)
    calls, leftover = _parse_fences(text, tool_names)
    if calls:
        return calls, leftover
    return _parse_bare(text, tool_names)


# ---------------------------------------------------------------- the three shapes


def _parse_hermes(text: str, names: Collection[str] | None) -> tuple[list[ParsedCall], str]:
    calls: list[ParsedCall] = []
    pieces: list[str] = []
    position = 0
    for match in _HERMES.finditer(text):
        pieces.append(text[position : match.start()])
        calls.extend(_block_calls(match.group(1), len(calls), names))
        position = match.end()
    rest = text[position:]
    if CLOSE_TAG in rest or CLOSE_TAG in "".join(pieces):
        raise ToolCallParseError(
            f"a {CLOSE_TAG} without its {OPEN_TAG}",
            path=f"tool_call[{len(calls)}]",
            hint=_HINT,
        )
    if OPEN_TAG in rest:
        # An unclosed last block: accepted only if what follows the tag is whole JSON.
        before, _, block = rest.partition(OPEN_TAG)
        try:
            values = _decode_values(_unfence(block))
        except ValueError:
            raise ToolCallParseError(
                f"an unclosed {OPEN_TAG} block (the output may have been cut off)",
                path=f"tool_call[{len(calls)}]",
                hint=_HINT,
            ) from None
        calls.extend(_calls_from_values(values, len(calls), names))
        rest = before
    pieces.append(rest)
    return calls, _tidy("".join(pieces))


def _parse_fences(text: str, names: Collection[str] | None) -> tuple[list[ParsedCall], str]:
    calls: list[ParsedCall] = []
    pieces: list[str] = []
    position = 0
    for match in _FENCE.finditer(text):
        body = match.group(2)
        try:
            values = _decode_values(body)
        except ValueError:
            if _CALL_HINT.search(body) and match.group(1).lower() in ("", "json", "tool_call"):
                raise ToolCallParseError(
                    "a fenced tool call is not valid JSON",
                    path=f"tool_call[{len(calls)}]",
                    hint=_HINT,
                ) from None
            continue
        if not values or not all(_is_call_value(value, names) for value in values):
            continue
        pieces.append(text[position : match.start()])
        calls.extend(_calls_from_values(values, len(calls), names))
        position = match.end()
    if not calls:
        return [], text
    pieces.append(text[position:])
    return calls, _tidy("".join(pieces))


def _parse_bare(text: str, names: Collection[str] | None) -> tuple[list[ParsedCall], str]:
    calls: list[ParsedCall] = []
    pieces: list[str] = []
    position = 0
    search_from = 0
    while (match := _BARE_START.search(text, search_from)) is not None:
        start = match.start()
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            if _CALL_HINT.search(text, start) is None:
                search_from = match.end()
                continue
            raise ToolCallParseError(
                "a tool call is not valid JSON (the output may have been cut off)",
                path=f"tool_call[{len(calls)}]",
                hint=_HINT,
            ) from None
        if not _is_call_value(value, names):
            search_from = end
            continue
        pieces.append(text[position:start])
        calls.extend(_calls_from_values([value], len(calls), names))
        position = search_from = end
    if not calls:
        return [], text
    pieces.append(text[position:])
    return calls, _tidy("".join(pieces))


# ---------------------------------------------------------------- values to calls


def _block_calls(block: str, index: int, names: Collection[str] | None) -> list[ParsedCall]:
    try:
        values = _decode_values(_unfence(block))
    except ValueError as exc:
        raise ToolCallParseError(
            f"the {OPEN_TAG} block is not valid JSON: {exc}",
            path=f"tool_call[{index}]",
            hint=_HINT,
        ) from None
    if not values:
        raise ToolCallParseError(
            f"an empty {OPEN_TAG} block", path=f"tool_call[{index}]", hint=_HINT
        )
    return _calls_from_values(values, index, names)


def _calls_from_values(
    values: list[Any], index: int, names: Collection[str] | None
) -> list[ParsedCall]:
    calls: list[ParsedCall] = []
    for value in values:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ToolCallParseError(
                "an empty list of tool calls", path=f"tool_call[{index}]", hint=_HINT
            )
        for item in items:
            calls.append(_call(item, index + len(calls), names))
    return calls


def _call(value: Any, index: int, names: Collection[str] | None) -> ParsedCall:
    path = f"tool_call[{index}]"
    if not isinstance(value, dict):
        raise ToolCallParseError(
            f"a tool call must be a JSON object, got {_kind(value)}", path=path, hint=_HINT
        )
    value = _unwrap(value)
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise ToolCallParseError(
            "a tool call needs a non-empty string 'name'", path=f"{path}.name", hint=_HINT
        )
    if names is not None and name not in names:
        known = ", ".join(sorted(names)) or "none"
        raise ToolCallParseError(
            f"unknown tool {name!r}", path=f"{path}.name", hint=f"the tools on offer: {known}"
        )
    key = next((k for k in ARGUMENT_KEYS if k in value), None)
    arguments = value.get(key) if key is not None else {}
    if arguments is None:
        arguments = {}
    if isinstance(arguments, str):
        # The OpenAI wire shape: arguments as JSON text of an object.
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            raise ToolCallParseError(
                f"the arguments of {name!r} are a string that is not JSON",
                path=f"{path}.{key}",
                hint="arguments must be a JSON object",
            ) from None
    if not isinstance(arguments, dict):
        raise ToolCallParseError(
            f"the arguments of {name!r} must be a JSON object, got {_kind(arguments)}",
            path=f"{path}.{key}",
            hint="arguments must be a JSON object",
        )
    return ParsedCall(name=name, arguments=arguments)


def _unwrap(value: dict[str, Any]) -> dict[str, Any]:
    """``{"type": "function", "function": {...}}`` -> the inner object."""
    inner = value.get("function")
    if "name" not in value and isinstance(inner, dict):
        return inner
    return value


def _is_call_value(value: Any, names: Collection[str] | None) -> bool:
    """Whether decoded JSON is meant as a call (not, say, data that has a ``name`` field)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        return False
    for item in items:
        if not isinstance(item, dict):
            return False
        call = _unwrap(item)
        if "name" not in call:
            return False
        if not any(key in call for key in ARGUMENT_KEYS) and (
            names is None or call["name"] not in names
        ):
            return False
    return True


# ---------------------------------------------------------------- text helpers


def _decode_values(text: str) -> list[Any]:
    """Every JSON value in ``text``, separated by whitespace or commas; ValueError otherwise."""
    values: list[Any] = []
    index, end = 0, len(text)
    while True:
        while index < end and (text[index].isspace() or (values and text[index] == ",")):
            index += 1
        if index >= end:
            return values
        value, index = _DECODER.raw_decode(text, index)
        values.append(value)


def _unfence(block: str) -> str:
    """A block's text without a surrounding ```` ``` ```` fence."""
    stripped = block.strip()
    match = _FENCE.fullmatch(stripped)
    return match.group(2) if match else stripped


def _tidy(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", text).strip()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return _JSON_TYPES.get(type(value), "an object")
