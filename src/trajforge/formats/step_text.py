"""Chat messages as plain text, for the formats whose rows are strings (TRL's stepwise
supervision): Hermes-style tags for tools, calls and results, ``User:`` before user turns."""

from __future__ import annotations

from typing import Any

import msgspec

from trajforge.formats.chat import Message


def prompt_text(prompt: list[Message], tools: list[Message]) -> str:
    """The prompt: the system prompt, the tools in ``<tools>`` (one JSON schema a line), then
    the other prompt messages."""
    system = [m for m in prompt if m["role"] == "system"]
    blocks = [message_text(m) for m in system]
    if tools:
        lines = "\n".join(_json(tool["function"]) for tool in tools)
        blocks.append(f"<tools>\n{lines}\n</tools>")
    blocks.extend(message_text(m) for m in prompt if m["role"] != "system")
    return "\n\n".join(blocks)


def messages_text(messages: list[Message]) -> str:
    """Several messages, one paragraph each."""
    return "\n\n".join(message_text(m) for m in messages)


def message_text(message: Message) -> str:
    """One message: a user's after ``User:``, a tool's in ``<tool_response>``, an assistant's
    reasoning, text and ``<tool_call>`` lines."""
    role, content = message["role"], message.get("content") or ""
    if role == "user":
        return f"User: {content}"
    if role == "tool":
        return f"<tool_response>\n{content}\n</tool_response>"
    parts = [message.get("reasoning_content") or "", content]
    parts.extend(
        f"<tool_call>\n{_json(call['function'])}\n</tool_call>"
        for call in message.get("tool_calls") or ()
    )
    return "\n".join(part for part in parts if part)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()
