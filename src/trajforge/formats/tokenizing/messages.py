"""A trajectory as a chat template takes it: OpenAI messages and tools in the Hugging Face
convention (tool-call ``arguments`` as objects), one assistant message per step.

Templates that cannot show tool calls (SmolLM2's, many older ones) drop them without a word; for
those, :class:`ChatMessages` gives the turns of the trajectory's Hermes record instead
(:mod:`trajforge.formats.hermes`: the tools in ``<tools>`` in the system prompt, calls in
``<tool_call>`` and results in ``<tool_response>`` blocks, reasoning in ``<think>``). Whether a
template shows tool calls is tried once, on a probe conversation (:func:`renders_tool_calls`).
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from trajforge.errors import ConversionError
from trajforge.formats.chat import tool_schemas, trl_messages
from trajforge.formats.hermes import CONVERSATIONS, ROLE_TAGS
from trajforge.formats.hermes import trajectory_to_record as hermes_record
from trajforge.formats.tokenizing.template import ChatTemplate
from trajforge.schema import ToolSpec, Trajectory

_ROLES: Final = {tag: role for role, tag in ROLE_TAGS.items()}
#: How many distinct tool lists keep their schemas (an environment has a few).
TOOL_SETS: Final = 64
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


class ChatMessages:
    """The messages and tools (``None`` without any) to render trajectories with; with
    ``tools_as_text`` the calls, results and tools are written into the texts (see the module).

    The messages are TRL's (:func:`trajforge.formats.chat.trl_messages`: the roles templates
    know, arguments as objects, a refusal as the content); an assistant message with neither text
    nor calls has the content ``""``. Trajectories with the same tools get the same list of tool
    schemas, whose JSON text the template's ``tojson`` then writes once.
    """

    def __init__(self, *, tools_as_text: bool) -> None:
        self.tools_as_text = tools_as_text
        self._schemas: dict[bytes, list[dict[str, Any]]] = {}

    def __call__(
        self, trajectory: Trajectory
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
        """The messages and tools of ``trajectory``."""
        if self.tools_as_text:
            return _hermes_messages(trajectory), None
        messages = [_with_content(m) for m in trl_messages(trajectory, json_strings=False)]
        return messages, self._tools(trajectory.tools)

    def _tools(self, tools: list[ToolSpec]) -> list[dict[str, Any]] | None:
        if not tools:
            return None
        key = msgspec.json.encode(tools)
        schemas = self._schemas.get(key)
        if schemas is None:
            if len(self._schemas) >= TOOL_SETS:
                self._schemas.clear()
            schemas = self._schemas[key] = tool_schemas(tools)
        return schemas


def _with_content(message: dict[str, Any]) -> dict[str, Any]:
    if message["content"] is None and not message.get("tool_calls"):
        return {**message, "content": ""}
    return message


def _hermes_messages(trajectory: Trajectory) -> list[dict[str, Any]]:
    """The turns of the trajectory's Hermes record as ChatML messages."""
    turns = hermes_record(trajectory)[CONVERSATIONS]
    return [{"role": _ROLES[turn["from"]], "content": turn["value"]} for turn in turns]
