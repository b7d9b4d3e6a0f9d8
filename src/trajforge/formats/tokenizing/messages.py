"""A trajectory as a chat template takes it: OpenAI messages and tools in the Hugging Face
convention (tool-call ``arguments`` as objects), one assistant message per step.

Templates that cannot show tool calls (SmolLM2's, many older ones) drop them without a word; for
those, :func:`chat_messages` writes the calls into the assistant text as Hermes does
(``<tool_call>{"name": ..., "arguments": ...}</tool_call>``), wraps tool results in
``<tool_response>`` tags and lists the tools in the system prompt inside ``<tools>``. Whether a
template shows tool calls is tried once, on a probe conversation (:func:`renders_tool_calls`).
"""

from __future__ import annotations

import json
from typing import Any, Final

import msgspec

from trajforge.errors import ConversionError
from trajforge.formats.openai import trajectory_to_messages
from trajforge.formats.tokenizing.template import ChatTemplate
from trajforge.schema import Trajectory

_PROBE_VALUE: Final = "trajforge-probe-argument-7"
_PROBE_TOOL: Final = "trajforge_probe_tool"
_PROBE_CALL: Final[dict[str, Any]] = {
    "id": "call_probe",
    "type": "function",
    "function": {"name": _PROBE_TOOL, "arguments": {"query": _PROBE_VALUE}},
}
_PROBE_MESSAGES: Final[list[dict[str, Any]]] = [
    {"role": "user", "content": "probe"},
    {"role": "assistant", "content": None, "tool_calls": [_PROBE_CALL]},
    {"role": "tool", "tool_call_id": "call_probe", "name": _PROBE_TOOL, "content": "result"},
]
_PROBE_TOOLS: Final[list[dict[str, Any]]] = [
    {
        "type": "function",
        "function": {
            "name": _PROBE_TOOL,
            "description": "probe",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


def renders_tool_calls(template: ChatTemplate) -> bool:
    """Whether ``template`` shows tool calls (a probe call's argument appears in its text)."""
    try:
        text = template.render(_PROBE_MESSAGES, _PROBE_TOOLS, add_generation_prompt=False)
    except ConversionError:
        return False
    return _PROBE_VALUE in text


def chat_messages(
    trajectory: Trajectory, *, tools_as_text: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The messages and tools (``None`` without any) to render ``trajectory`` with; with
    ``tools_as_text`` the calls, results and tools are written into the texts (see the module).

    The OpenAI forms templates do not know become the usual ones: a refusal is the content, a
    legacy ``function_call`` one of the ``tool_calls``, a ``function`` result a ``tool`` one, and
    an assistant message with neither text nor calls has the content ``""``.
    """
    messages = [_usual(message) for message in trajectory_to_messages(trajectory)]
    tools = [_tool(spec) for spec in msgspec.to_builtins(trajectory.tools)] or None
    if tools_as_text:
        return _tools_in_text(messages, tools), None
    return messages, tools


def _usual(message: dict[str, Any]) -> dict[str, Any]:
    role = message["role"]
    if role == "function":
        return {**message, "role": "tool"}
    if role != "assistant":
        return message
    out = {k: v for k, v in message.items() if k not in ("refusal", "function_call")}
    if isinstance(message.get("refusal"), str):
        out["content"] = message["refusal"]
    calls = [*(message.get("tool_calls") or ()), *_legacy(message.get("function_call"))]
    if calls:
        out["tool_calls"] = [
            {**call, "function": {**call["function"], "arguments": _arguments(call)}}
            for call in calls
        ]
    elif not isinstance(out.get("content"), str):  # a step with neither text nor calls
        out["content"] = ""
    return out


def _legacy(function_call: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [{"type": "function", "function": function_call}] if function_call else []


def _tool(spec: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "description", "parameters")
    return {"type": "function", "function": {key: spec[key] for key in keys if key in spec}}


def _arguments(call: dict[str, Any]) -> Any:
    """A call's arguments as an object, as templates expect them (the text if it is none)."""
    text = call["function"]["arguments"]
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict) else text


def _tools_in_text(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    out = [_text_message(message) for message in messages]
    if tools:
        listing = "\n".join(json.dumps(tool, ensure_ascii=False) for tool in tools)
        block = f"<tools>\n{listing}\n</tools>"
        if out and out[0]["role"] in ("system", "developer"):
            out[0] = {**out[0], "content": f"{out[0]['content']}\n\n{block}"}
        else:
            out.insert(0, {"role": "system", "content": block})
    return out


def _text_message(message: dict[str, Any]) -> dict[str, Any]:
    if message["role"] == "tool":
        return {**message, "content": _tagged("tool_response", message["content"])}
    if message["role"] != "assistant" or "tool_calls" not in message:
        return message
    parts = [message["content"]] if message.get("content") else []
    for call in message["tool_calls"]:
        body = {"name": call["function"]["name"], "arguments": call["function"]["arguments"]}
        parts.append(_tagged("tool_call", json.dumps(body, ensure_ascii=False)))
    text = {key: value for key, value in message.items() if key != "tool_calls"}
    return {**text, "content": "\n".join(parts)}


def _tagged(tag: str, body: str) -> str:
    return f"<{tag}>\n{body}\n</{tag}>"
