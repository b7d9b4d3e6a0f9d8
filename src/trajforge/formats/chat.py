"""Trajectories as the chat messages trainers read, step by step.

The messages are the lossless OpenAI mapping's (:func:`trajectory_to_messages`), adapted to the
trainer: :func:`trl_message` for TRL's conversational format with tool calls (arguments as objects,
or as the JSON text with ``json_strings``), :func:`fine_tuning_message` for OpenAI fine-tuning
files (only the keys its validator accepts). A :class:`Conversation` keeps them by step, so that
formats can cut a prompt at a step boundary and never inside a tool call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any, Final

import msgspec

from trajforge.formats.openai import trajectory_to_messages
from trajforge.schema import ToolSpec, Trajectory

Message = dict[str, Any]
Adapt = Callable[[Message], Message]

_ROLES: Final = {"developer": "system", "function": "tool"}
_FINE_TUNING_KEYS: Final = (
    "role",
    "content",
    "name",
    "refusal",
    "tool_calls",
    "tool_call_id",
    "function_call",
)


@dataclass(frozen=True)
class Conversation:
    """A trajectory's messages: the prompt (system prompt, instruction), then each step's."""

    prompt: list[Message]
    steps: list[list[Message]]
    """Per step: its assistant message, then one message per observation."""

    def before(self, step: int) -> list[Message]:
        """The prompt and the messages of the steps before ``step``."""
        return [*self.prompt, *chain.from_iterable(self.steps[:step])]

    def since(self, step: int) -> list[Message]:
        """The messages of ``step`` and the steps after it."""
        return list(chain.from_iterable(self.steps[step:]))


def conversation(trajectory: Trajectory, adapt: Adapt) -> Conversation:
    """The trajectory's chat messages, each passed through ``adapt``, by step."""
    messages = [adapt(m) for m in trajectory_to_messages(trajectory)]
    head = (trajectory.system_prompt is not None) + (trajectory.task.instruction is not None)
    steps, start = [], head
    for step in trajectory.steps:
        end = start + 1 + len(step.observations)
        steps.append(messages[start:end])
        start = end
    assert start == len(messages), "one assistant message per step, one per observation"
    return Conversation(messages[:head], steps)


def trl_message(message: Message, *, json_strings: bool) -> Message:
    """A message as TRL's conversational format has it: roles system/user/assistant/tool,
    ``tool_calls`` with ``arguments`` as an object (the text where it is not a JSON object), or
    always the JSON text with ``json_strings``; a refusal becomes the content."""
    content = message.get("content")
    out: Message = {
        "role": _ROLES.get(message["role"], message["role"]),
        "content": content if content is not None else message.get("refusal"),
    }
    for key in ("reasoning_content", "name", "tool_call_id"):
        if message.get(key) is not None:
            out[key] = message[key]
    calls = list(message.get("tool_calls") or ())
    if message.get("function_call"):
        calls.append({"function": message["function_call"]})
    if calls:
        out["tool_calls"] = [_trl_call(call, json_strings) for call in calls]
    return out


def _trl_call(call: Message, json_strings: bool) -> Message:
    function = call["function"]
    text = function["arguments"]
    arguments = text if json_strings else _object_or_text(text)
    wire: Message = {
        "type": "function",
        "function": {"name": function["name"], "arguments": arguments},
    }
    if "id" in call:
        wire["id"] = call["id"]
    return wire


def _object_or_text(text: str) -> dict[str, Any] | str:
    """The arguments object the text holds, or the text where it holds none (kept as written)."""
    try:
        value = msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):
        return text
    return value if isinstance(value, dict) else text


def fine_tuning_message(message: Message) -> Message:
    """A message as OpenAI fine-tuning files take it: no reasoning (they have no field for it),
    no null optional keys, ``developer`` as ``system``."""
    out: Message = {
        key: message[key]
        for key in _FINE_TUNING_KEYS
        if key in message and (message[key] is not None or key == "content")
    }
    out["role"] = "system" if out["role"] == "developer" else out["role"]
    if "tool_calls" in out:
        out["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {
                    "name": call["function"]["name"],
                    "arguments": call["function"]["arguments"],
                },
            }
            for call in out["tool_calls"]
        ]
    return out


def tool_schemas(tools: list[ToolSpec]) -> list[Message]:
    """The tools as chat templates and OpenAI take them: ``{"type": "function", "function":
    {name, description, parameters}}`` (absent parts left out)."""
    return [
        {
            "type": "function",
            "function": {
                key: value
                for key, value in (
                    ("name", tool.name),
                    ("description", tool.description),
                    ("parameters", tool.parameters),
                )
                if value is not None
            },
        }
        for tool in tools
    ]


def tools_column(tools: list[ToolSpec], *, json_strings: bool) -> list[Message] | str:
    """The ``tools`` column of a TRL row: the schemas, or their JSON text with ``json_strings``."""
    schemas = tool_schemas(tools)
    return msgspec.json.encode(schemas).decode() if json_strings else schemas
