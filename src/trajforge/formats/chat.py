"""Trajectories as the chat messages trainers read, step by step.

:func:`trl_messages` gives TRL's conversational format with tool calls (the Hugging Face
convention chat templates take): what the lossless OpenAI mapping
(:func:`trajectory_to_messages`) says, with the roles templates know, tool-call arguments as
objects (or as the JSON text with ``json_strings``) and a refusal as the content; made straight
from the trajectory, since it serves every TRL export and the tokenized one.
:func:`fine_tuning_messages` gives OpenAI fine-tuning files' (the OpenAI mapping's messages with
only the keys its validator accepts). A :class:`Conversation` keeps either by step, so that formats
can cut a prompt at a step boundary and never inside a tool call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any, Final

import msgspec

from trajforge.formats.openai import (
    arguments_text,
    canonical_arguments,
    check_result,
    legacy_call,
    step_text,
    trajectory_to_messages,
)
from trajforge.schema import Observation, ToolCall, ToolResult, ToolSpec, Trajectory, UserMessage

Message = dict[str, Any]
Messages = Callable[[Trajectory], list[Message]]
"""How a trajectory becomes messages: the prompt's, then each step's assistant message and one
message per observation."""

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


def conversation(trajectory: Trajectory, messages_of: Messages) -> Conversation:
    """The trajectory's chat messages (made by ``messages_of``), by step."""
    messages = messages_of(trajectory)
    head = (trajectory.system_prompt is not None) + (trajectory.task.instruction is not None)
    steps, start = [], head
    for step in trajectory.steps:
        end = start + 1 + len(step.observations)
        steps.append(messages[start:end])
        start = end
    assert start == len(messages), "one assistant message per step, one per observation"
    return Conversation(messages[:head], steps)


def trl_messages(trajectory: Trajectory, *, json_strings: bool) -> list[Message]:
    """The trajectory's messages in TRL's conversational format: roles system/user/assistant/
    tool, ``tool_calls`` with ``arguments`` as an object (the text where it is not a JSON object),
    or always the JSON text with ``json_strings``; a refusal is the content. A ConversionError
    where the OpenAI mapping has one."""
    messages: list[Message] = []
    if trajectory.system_prompt is not None:
        messages.append({"role": "system", "content": trajectory.system_prompt})
    if trajectory.task.instruction is not None:
        messages.append({"role": "user", "content": trajectory.task.instruction})
    for index, step in enumerate(trajectory.steps):
        where = f"steps[{index}]"
        calls = [action for action in step.actions if type(action) is ToolCall]
        modern = [call for call in calls if call.id is not None]
        wires = [_trl_call(call, json_strings, call.id) for call in modern]
        legacy = legacy_call(calls, where)
        if legacy is not None:
            wires.append(_trl_call(legacy, json_strings, None))
        assistant: Message = {"role": "assistant", "content": step_text(step, where)}
        if step.reasoning is not None:
            assistant["reasoning_content"] = step.reasoning
        if wires:
            assistant["tool_calls"] = wires
        messages.append(assistant)
        call_ids = {call.id for call in modern}
        for number, observation in enumerate(step.observations):
            messages.append(
                _trl_observation(observation, f"{where}.observations[{number}]", call_ids)
            )
    return messages


def _trl_call(call: ToolCall, json_strings: bool, call_id: str | None) -> Message:
    if call.raw_arguments is None:  # the arguments are the canonical text's object
        arguments: Any = canonical_arguments(call.arguments) if json_strings else call.arguments
    else:
        text = arguments_text(call)
        arguments = text if json_strings else _object_or_text(text)
    wire: Message = {"type": "function", "function": {"name": call.name, "arguments": arguments}}
    if call_id is not None:
        wire["id"] = call_id
    return wire


def _trl_observation(observation: Observation, where: str, call_ids: set[str | None]) -> Message:
    if type(observation) is UserMessage:
        message: Message = {"role": "user", "content": observation.content}
    else:
        assert isinstance(observation, ToolResult)
        check_result(observation, where, call_ids)
        message = {"role": "tool", "content": observation.content}
    if observation.name is not None:
        message["name"] = observation.name
    if type(observation) is ToolResult and observation.call_id is not None:
        message["tool_call_id"] = observation.call_id
    return message


def _object_or_text(text: str) -> dict[str, Any] | str:
    """The arguments object the text holds, or the text where it holds none (kept as written)."""
    try:
        value = msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):
        return text
    return value if isinstance(value, dict) else text


def fine_tuning_messages(trajectory: Trajectory) -> list[Message]:
    """The trajectory's messages as OpenAI fine-tuning files take them (see
    :func:`fine_tuning_message`)."""
    return [fine_tuning_message(message) for message in trajectory_to_messages(trajectory)]


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
