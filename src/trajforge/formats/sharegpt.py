"""The ``sharegpt`` format: ShareGPT records with tool calls, as LLaMA-Factory reads them.

``{"conversations": [{"from", "value"}], "tools": "<JSON text>", "system"?: ...}`` with turns
from ``human``, ``gpt``, ``function_call`` (the value: ``{"name", "arguments": {...}}`` as JSON
text, or a list of those for parallel calls), ``observation`` (a tool result) and ``system``
(first turn only). The mapping (see :mod:`trajforge.formats.conversation` for the turns):

- a ``gpt`` turn is a step with a reply; a ``function_call`` turn a step with its calls, or
  joins the step of a ``gpt`` turn right before it; a leading ``<think>...</think>`` in either is
  the step's reasoning;
- each ``observation`` turn is one result, answering the step's calls in order;
- ``tools`` (JSON text, or a list) are the tools; the top-level ``system`` key is the system
  prompt when there is no system turn, and is written back there while it is unchanged;
- other keys, of the record and of its turns, go to ``provenance.extra``, and so does a
  ``tools``/``value`` text that export would spell differently.

Export writes a step with both a reply and calls as a ``gpt`` turn then a ``function_call``
turn, and several results as several ``observation`` turns: LLaMA-Factory skips such records,
since it wants user/observation and assistant/function_call turns to alternate.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.chat_json import (
    dumps,
    loads,
    read_calls,
    read_tools,
    tool_dict,
    write_calls,
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
from trajforge.formats.extra import (
    ROOT,
    keep,
    keep_source_text,
    put_back,
    source_text,
    split_unknown,
)
from trajforge.formats.importer import import_format, record_id, record_writer
from trajforge.io.documents import SourceRecord
from trajforge.schema.records import (
    Provenance,
    Step,
    Task,
    ToolResult,
    ToolSpec,
    Trajectory,
)

NAME: Final = "sharegpt"
CONVERSATIONS: Final = "conversations"
TOOLS: Final = "tools"
SYSTEM: Final = "system"
CALL_TAGS: Final = frozenset({"function_call", "observation"})


class ShareGPT:
    """LLaMA-Factory's ShareGPT turns (its default tags)."""

    kinds: Mapping[str, Kind] = {
        "system": "system",
        "human": "user",
        "gpt": "assistant",
        "function_call": "assistant",
        "observation": "tool",
    }
    joining: Collection[str] = ("function_call",)
    tags = ("system", "human", "observation")

    def read_system(self, text: str, path: str) -> tuple[str | None, list[ToolSpec]]:
        """The system turn is the prompt (the tools are a key of the record)."""
        return text, []

    def write_system(self, prompt: str | None, tools: Sequence[ToolSpec]) -> str | None:
        """The prompt itself."""
        return prompt

    def read_said(self, tag: str, text: str, path: str) -> Said:
        """A ``gpt`` turn's reply, or a ``function_call`` turn's calls."""
        reasoning, rest = split_reasoning(text)
        if tag == "gpt":
            return Said(reasoning, rest)
        return Said(reasoning, calls=read_calls(rest))

    def write_said(self, tag: str, said: Said) -> str:
        """The text of a ``gpt`` or ``function_call`` turn."""
        body = (said.text or "") if tag == "gpt" else write_calls(said.calls)
        return join_reasoning(said.reasoning, body)

    def split(self, step: Step, where: str) -> list[tuple[str, Said]]:
        """A ``gpt`` turn for the text, a ``function_call`` turn for the calls."""
        said = said_of(step, where)
        turns: list[tuple[str, Said]] = []
        if said.text is not None or not said.calls:
            turns.append(("gpt", Said(said.reasoning, said.text or "")))
        if said.calls:
            reasoning = None if turns else said.reasoning
            turns.append(("function_call", Said(reasoning, calls=said.calls)))
        return turns

    def read_results(self, text: str, path: str) -> list[ToolResult]:
        """An observation turn is one result."""
        return [ToolResult(content=text)]

    def write_results(self, results: Sequence[ToolResult]) -> list[str]:
        """One observation turn per result."""
        return [result.content for result in results]


DIALECT: Final = ShareGPT()


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of one ShareGPT record."""
    return [record_to_trajectory(record.data)]


def record_to_trajectory(data: Any) -> Trajectory:
    """Import one ShareGPT record (see the module); ConversionError with a field path."""
    if not isinstance(data, dict):
        raise ConversionError("expected an object", hint="a ShareGPT record has 'conversations'")
    if CONVERSATIONS not in data:
        raise ConversionError("required key missing", path=CONVERSATIONS)
    extra: dict[str, Any] = {}
    split_unknown(data, (CONVERSATIONS, TOOLS, SYSTEM), ROOT, extra)
    conversation = read_conversation(data[CONVERSATIONS], CONVERSATIONS, DIALECT, extra)
    if SYSTEM in data:
        if not isinstance(system := data[SYSTEM], str):
            raise ConversionError("expected string", path=SYSTEM)
        keep(extra, ROOT, SYSTEM, system)  # written back while the prompt is unchanged
        if conversation.system_prompt is None:
            conversation.system_prompt = system
    tools = _read_tools(data.get(TOOLS), TOOLS)
    if TOOLS in data:
        keep_source_text(extra, ROOT, TOOLS, data[TOOLS], _tools_value(tools))
    return Trajectory(
        id=record_id(f"{NAME}-", data),
        task=Task(instruction=conversation.instruction),
        tools=tools,
        system_prompt=conversation.system_prompt,
        steps=conversation.steps,
        provenance=Provenance(source="imported", original_format=NAME, extra=extra),
    )


def _read_tools(value: Any, path: str) -> list[ToolSpec]:
    """The tools of a ``tools`` value: JSON text or a list (none for null or ``""``)."""
    if value is None:
        return []
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = loads(value)
        except ValueError:
            raise ConversionError(
                "the tools are not JSON", path=path, hint="tools are a JSON list of functions"
            ) from None
    return read_tools(value, path)


def _tools_value(tools: Sequence[ToolSpec]) -> str | None:
    """The ``tools`` text of a trajectory (none without tools)."""
    return dumps([tool_dict(tool) for tool in tools]) if tools else None


# ---------------------------------------------------------------- export


def trajectory_to_record(traj: Trajectory) -> dict[str, Any]:
    """The ShareGPT record of a trajectory, with what the import kept put back."""
    extra = traj.provenance.extra if traj.provenance.original_format == NAME else {}
    kept = extra.get(ROOT, {})
    keyed = traj.system_prompt is not None and kept.get(SYSTEM) == traj.system_prompt
    record: dict[str, Any] = {
        CONVERSATIONS: write_conversation(
            traj, CONVERSATIONS, DIALECT, extra, system_turn=not keyed
        )
    }
    if keyed:
        record[SYSTEM] = traj.system_prompt
    tools = source_text(extra, ROOT, TOOLS, _tools_value(traj.tools), _reread_tools)
    if tools is not None:
        record[TOOLS] = tools
    return put_back(record, extra, mapped=(TOOLS,))


def _reread_tools(value: Any) -> list[ToolSpec]:
    return _read_tools(value, TOOLS)


def detect(data: Any) -> bool:
    """Whether a record is a ShareGPT tool record: ``from``/``value`` turns, and ``tools`` or a
    function_call/observation turn."""
    if not isinstance(data, dict) or not isinstance(turns := data.get(CONVERSATIONS), list):
        return False
    if not turns or not all(isinstance(t, dict) and "from" in t and "value" in t for t in turns):
        return False
    return TOOLS in data or any(turn["from"] in CALL_TAGS for turn in turns)


FORMAT = import_format(
    NAME,
    "ShareGPT with function_call/observation turns (LLaMA-Factory); written as JSON lines",
    convert,
    detect=detect,
    write=record_writer(trajectory_to_record),
)
