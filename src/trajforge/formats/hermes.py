"""The ``hermes`` format: Hermes function-calling conversations (NousResearch), tools and calls in
the text of ChatML turns.

A record is ``{"conversations": [{"from", "value"}]}`` with turns from ``system``, ``human``,
``gpt`` and ``tool`` (``{"messages": [{"role", "content"}]}`` with roles system, user,
assistant and tool reads the same). The mapping (see :mod:`trajforge.formats.conversation`):

- the tools are the ``<tools>...</tools>`` element of the system turn (a JSON list, Python
  literals, or objects one after another); the system prompt is the rest of its text;
- each ``<tool_call>...</tool_call>`` of a ``gpt`` turn is a call (a block that does not read as
  one is still a call, its text kept as ``raw_arguments``); the text around them is the
  step's reply, and a leading ``<think>...</think>`` its reasoning;
- each ``<tool_response>{"name", "content"}</tool_response>`` of a ``tool`` turn is a result
  (a tool turn without those tags is one result); consecutive results are written as one tool
  turn, as Hermes' chat template renders consecutive tool messages;
- other keys of the record and of its turns go to ``provenance.extra``, and so does a turn's
  text that export would write differently (JSON for Python literals, other spacing).

Export writes the ``conversations`` shape (a ``messages`` record's kept keys and texts go to the
same turns there): a system turn with the prompt, then the tools element; calls as
``<tool_call>\\n{"name": ..., "arguments": ...}\\n</tool_call>``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.chat_json import (
    call_value,
    dumps,
    is_unread,
    loads,
    read_calls,
    read_tool,
    tool_dict,
)
from trajforge.formats.conversation import (
    Kind,
    Said,
    join_reasoning,
    read_conversation,
    said_of,
    split_reasoning,
    write_conversation,
)
from trajforge.formats.extra import ROOT, put_back, split_unknown
from trajforge.formats.importer import import_format, record_id, record_writer
from trajforge.io.documents import SourceRecord
from trajforge.schema.records import (
    Provenance,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
)

NAME: Final = "hermes"
CONVERSATIONS: Final = "conversations"
MESSAGES: Final = "messages"
ROLE_TAGS: Final = {"system": "system", "user": "human", "assistant": "gpt", "tool": "tool"}
"""The ``from`` tag of each ChatML role."""
_TOOLS: Final = re.compile(r"<tools>(.*?)</tools>", re.DOTALL)
_CALL: Final = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_RESPONSE: Final = re.compile(r"<tool_response>(.*?)</tool_response>", re.DOTALL)
MARKERS: Final = ("<tools>", "<tool_call>", "<tool_response>")


class Hermes:
    """Hermes' ChatML turns."""

    kinds: Mapping[str, Kind] = {
        "system": "system",
        "human": "user",
        "gpt": "assistant",
        "tool": "tool",
    }
    joining: Collection[str] = ()
    tags = ("system", "human", "tool")

    def read_system(self, text: str, path: str) -> tuple[str | None, list[ToolSpec]]:
        """The prompt without its tools element (and the newline before it), and the tools."""
        for match in _TOOLS.finditer(text):
            tools = _tools(match.group(1))
            if tools is None:
                continue
            start = match.start() - 1 if text[: match.start()].endswith("\n") else match.start()
            if start == match.start() == 0 and match.end() == len(text):
                return None, tools
            return text[:start] + text[match.end() :], tools
        return text, []

    def write_system(self, prompt: str | None, tools: Sequence[ToolSpec]) -> str | None:
        """The prompt, then a newline and the tools element (the prompt alone without tools)."""
        if not tools:
            return prompt
        element = f"<tools>\n{_tagged_json([_wrapped(tool) for tool in tools])}\n</tools>"
        return element if prompt is None else f"{prompt}\n{element}"

    def read_said(self, tag: str, text: str, path: str) -> Said:
        """The reasoning, the text around the ``<tool_call>`` blocks and the calls in them."""
        reasoning, rest = split_reasoning(text)
        blocks = list(_CALL.finditer(rest))
        if not blocks:
            return Said(reasoning, rest)
        calls = [call for block in blocks for call in _block_calls(block.group(1))]
        before = rest[: blocks[0].start()]
        pieces = [rest[a.end() : b.start()] for a, b in itertools.pairwise(blocks)]
        after = "".join(p for p in [*pieces, rest[blocks[-1].end() :]] if p.strip())
        said = before.removesuffix("\n") + after if before or after else None
        return Said(reasoning, said, calls)

    def write_said(self, tag: str, said: Said) -> str:
        """The text, a newline, then one ``<tool_call>`` block per call, a newline apart."""
        blocks = "\n".join(_call_block(call) for call in said.calls)
        if said.text is None:
            body = blocks
        else:
            body = f"{said.text}\n{blocks}" if said.calls else said.text
        return join_reasoning(said.reasoning, body)

    def split(self, step: Step, where: str) -> list[tuple[str, Said]]:
        """One ``gpt`` turn per step."""
        return [("gpt", said_of(step, where))]

    def read_results(self, text: str, path: str) -> list[ToolResult]:
        """One result per ``<tool_response>`` block, or the whole text as one."""
        blocks = [match.group(1) for match in _RESPONSE.finditer(text)]
        return [_result(block) for block in blocks] or [ToolResult(content=text)]

    def write_results(self, results: Sequence[ToolResult]) -> list[str]:
        """One tool turn with a ``<tool_response>`` block per result."""
        return ["\n".join(_response_block(result) for result in results)]


DIALECT: Final = Hermes()


def _tools(body: str) -> list[ToolSpec] | None:
    """The tools of a ``<tools>`` element; None when it holds no tool (it stays prompt text)."""
    try:
        values = _values(body)
        items = values[0] if len(values) == 1 and isinstance(values[0], list) else values
        return [read_tool(item, "tools") for item in items] or None
    except (ValueError, ConversionError):
        return None


def _values(body: str) -> list[Any]:
    """A JSON value or Python literal, or several JSON objects one after another."""
    try:
        return [loads(body, literals=True)] if body.strip() else []
    except ValueError:
        lines = [line for line in body.splitlines() if line.strip()]
        return [loads(line, literals=True) for line in lines]


def _tagged_json(value: Any) -> str:
    """JSON text to write between tags: ``</`` inside strings escaped as ``<\\/``, so that no
    string closes the tag around it."""
    return dumps(value).replace("</", "<\\/")


def _wrapped(tool: ToolSpec) -> dict[str, Any]:
    return {"type": "function", "function": tool_dict(tool)}


def _block_calls(body: str) -> list[ToolCall]:
    """The calls of one ``<tool_call>`` block; one that does not read keeps its exact text."""
    calls = read_calls(body.strip(), literals=True)
    if len(calls) == 1 and calls[0].raw_arguments == body.strip() and body != body.strip():
        calls[0].raw_arguments = body  # not read: keep the block's text as it is
    return calls


def _call_block(call: ToolCall) -> str:
    if is_unread(call):  # the block's own text
        return f"<tool_call>{call.raw_arguments}</tool_call>"
    return f"<tool_call>\n{_tagged_json(call_value(call))}\n</tool_call>"


def _result(body: str) -> ToolResult:
    try:
        value = loads(body.strip(), literals=True)
    except ValueError:
        return ToolResult(content=body.strip())
    if not isinstance(value, dict) or "content" not in value:
        return ToolResult(content=body.strip())
    name, content = value.get("name"), value["content"]
    return ToolResult(
        name=name if isinstance(name, str) else None,
        content=content if isinstance(content, str) else dumps(content),
    )


def _response_block(result: ToolResult) -> str:
    response: dict[str, Any] = {} if result.name is None else {"name": result.name}
    response["content"] = _content_value(result.content)
    return f"<tool_response>\n{_tagged_json(response)}\n</tool_response>"


def _content_value(content: str) -> Any:
    """A result's content as JSON data where it is JSON written as the format writes it."""
    try:
        value = loads(content)
    except ValueError:
        return content
    return value if isinstance(value, dict | list) and dumps(value) == content else content


# ---------------------------------------------------------------- records


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of one Hermes record."""
    return [record_to_trajectory(record.data)]


def record_to_trajectory(data: Any) -> Trajectory:
    """Import one Hermes record (see the module); ConversionError with a field path."""
    if not isinstance(data, dict):
        raise ConversionError("expected an object", hint="a Hermes record has 'conversations'")
    key = CONVERSATIONS if CONVERSATIONS in data or MESSAGES not in data else MESSAGES
    if key not in data:
        raise ConversionError("required key missing", path=CONVERSATIONS)
    extra: dict[str, Any] = {}
    split_unknown(data, (key,), ROOT, extra)
    turns = data[key] if key == CONVERSATIONS else _from_messages(data[key])
    conversation = read_conversation(turns, key, DIALECT, extra)
    return Trajectory(
        id=record_id(f"{NAME}-", data),
        task=Task(instruction=conversation.instruction),
        tools=conversation.tools,
        system_prompt=conversation.system_prompt,
        steps=conversation.steps,
        provenance=Provenance(source="imported", original_format=NAME, extra=extra),
    )


def _from_messages(messages: Any) -> Any:
    """ChatML messages as turns, their other keys kept (what is not a list is left for the
    conversation's own error)."""
    if not isinstance(messages, list):
        return messages
    turns = []
    for index, message in enumerate(messages):
        where = f"{MESSAGES}[{index}]"
        if not isinstance(message, dict):
            raise ConversionError("expected an object", path=where)
        role, content = message.get("role"), message.get("content")
        if role not in ROLE_TAGS:
            raise ConversionError(
                f"unknown role {role!r}",
                path=f"{where}.role",
                hint=f"roles are {', '.join(ROLE_TAGS)}",
            )
        if not isinstance(content, str):
            raise ConversionError("expected a string content", path=f"{where}.content")
        rest = {key: value for key, value in message.items() if key not in ("role", "content")}
        turns.append({"from": ROLE_TAGS[role], "value": content, **rest})
    return turns


def trajectory_to_record(traj: Trajectory) -> dict[str, Any]:
    """The Hermes record of a trajectory, with what the import kept put back (what a
    ``messages`` record kept goes to the same turns of ``conversations``)."""
    kept = traj.provenance.extra if traj.provenance.original_format == NAME else {}
    extra = {_conversations_path(path): keys for path, keys in kept.items()}
    record = {CONVERSATIONS: write_conversation(traj, CONVERSATIONS, DIALECT, extra)}
    return put_back(record, extra)


def _conversations_path(path: str) -> str:
    return CONVERSATIONS + path.removeprefix(MESSAGES) if path.startswith(f"{MESSAGES}[") else path


def detect(data: Any) -> bool:
    """Whether a record is a Hermes one: turns without ShareGPT's tools, one of them a tool
    turn or holding Hermes' tags."""
    if not isinstance(data, dict) or "tools" in data:
        return False
    turns = data.get(CONVERSATIONS, data.get(MESSAGES))
    if not isinstance(turns, list) or not turns:
        return False
    if CONVERSATIONS not in data:
        turns = [
            {"from": ROLE_TAGS.get(str(t.get("role"))), "value": t.get("content")}
            for t in turns
            if isinstance(t, dict)
        ]
    if not all(isinstance(t, dict) and isinstance(t.get("value"), str) for t in turns):
        return False
    if any(t.get("from") not in DIALECT.kinds for t in turns):
        return False
    return any(t["from"] == "tool" or any(m in t["value"] for m in MARKERS) for t in turns)


FORMAT = import_format(
    NAME,
    "Hermes function calling: ChatML turns with <tools>, <tool_call>, <tool_response>",
    convert,
    detect=detect,
    write=record_writer(trajectory_to_record),
)
