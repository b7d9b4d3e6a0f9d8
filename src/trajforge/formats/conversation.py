"""Conversations of ``{"from", "value"}`` turns (ShareGPT, Hermes) to steps and back.

A :class:`Dialect` says what each turn's text holds; this module does what those formats share.
The first turn, if a system turn, gives the system prompt (and, in Hermes, the tools); the first
human turn before any assistant turn is the instruction; each assistant turn is one step (a
turn of the dialect's ``joining`` tags right after an assistant turn joins that step: ShareGPT's
``function_call`` after ``gpt``); tool turns hold the results of the step before them, paired
with its calls in order, and later human turns are its user messages. Calls get the ids
``call_{step}_{index}`` (the formats have none).

Turn keys other than ``from`` and ``value`` are kept in ``provenance.extra`` by path, and so is a
turn's text where the dialect would write what it read differently (Python literals, other
spacing): export writes that text back while it still reads the same.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

import msgspec

from trajforge.errors import ConversionError
from trajforge.formats.extra import keep_source_text, source_text, split_unknown
from trajforge.formats.openai import step_text
from trajforge.schema.records import (
    Action,
    Observation,
    Reply,
    Step,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)

Kind = Literal["system", "user", "assistant", "tool"]
TURN_KEYS: Final = ("from", "value")
THINK_OPEN: Final = "<think>"
THINK_CLOSE: Final = "</think>"


@dataclass
class Said:
    """What one assistant turn says: reasoning, a text, tool calls (without ids)."""

    reasoning: str | None = None
    text: str | None = None
    calls: list[ToolCall] = field(default_factory=list)


class Dialect(Protocol):
    """What the turns of one format hold, and how it writes them."""

    @property
    def kinds(self) -> Mapping[str, Kind]:
        """Each ``from`` tag's kind."""
        ...

    @property
    def joining(self) -> Collection[str]:
        """Assistant tags whose turn, right after an assistant turn, joins that turn's step."""
        ...

    @property
    def tags(self) -> tuple[str, str, str]:
        """The tags the dialect writes system, user and tool turns with."""
        ...

    def read_system(self, text: str, path: str) -> tuple[str | None, list[ToolSpec]]:
        """The system prompt and the tools a system turn declares."""
        ...

    def write_system(self, prompt: str | None, tools: Sequence[ToolSpec]) -> str | None:
        """The system turn's text (None: no system turn)."""
        ...

    def read_said(self, tag: str, text: str, path: str) -> Said:
        """What an assistant turn of tag ``tag`` says."""
        ...

    def write_said(self, tag: str, said: Said) -> str:
        """The text of an assistant turn of tag ``tag``."""
        ...

    def split(self, step: Step, where: str) -> list[tuple[str, Said]]:
        """The assistant turns (tag, what it says) of a step."""
        ...

    def read_results(self, text: str, path: str) -> list[ToolResult]:
        """The results a tool turn holds (without call ids)."""
        ...

    def write_results(self, results: Sequence[ToolResult]) -> list[str]:
        """The tool turns of consecutive results."""
        ...


@dataclass
class Conversation:
    """What the turns of a record map to."""

    system_prompt: str | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    instruction: str | None = None
    steps: list[Step] = field(default_factory=list)


def call_id(step: int, index: int) -> str:
    """The id given to the ``index``-th call of step ``step``."""
    return f"call_{step}_{index}"


# ---------------------------------------------------------------- reasoning


def split_reasoning(text: str) -> tuple[str | None, str]:
    """``(reasoning, rest)`` of a text that may open with ``<think>...</think>``."""
    if text.startswith(THINK_OPEN) and (end := text.find(THINK_CLOSE)) != -1:
        return text[len(THINK_OPEN) : end], text[end + len(THINK_CLOSE) :]
    return None, text


def join_reasoning(reasoning: str | None, rest: str) -> str:
    """The inverse of :func:`split_reasoning`."""
    return rest if reasoning is None else f"{THINK_OPEN}{reasoning}{THINK_CLOSE}{rest}"


def said_of(step: Step, where: str) -> Said:
    """What a step says (its one text action, if any), for a dialect to split into turns."""
    if step.reasoning is not None and THINK_CLOSE in step.reasoning:
        raise ConversionError(
            f"reasoning that contains {THINK_CLOSE} cannot be written inside {THINK_OPEN} tags",
            path=f"{where}.reasoning",
            hint=f"remove {THINK_CLOSE} from the reasoning",
        )
    calls = [action for action in step.actions if isinstance(action, ToolCall)]
    return Said(step.reasoning, step_text(step, where), calls)


# ---------------------------------------------------------------- import


def read_conversation(
    turns: Any, path: str, dialect: Dialect, extra: dict[str, Any]
) -> Conversation:
    """The conversation of a record's turns at ``path``; unmapped keys go to ``extra``."""
    if not isinstance(turns, list):
        raise ConversionError(f"expected an array of turns, got {_kind(turns)}", path=path)
    conversation = Conversation()
    previous: Kind | None = None
    for index, turn in enumerate(turns):
        where = f"{path}[{index}]"
        tag, text = _turn(turn, where, dialect, extra)
        kind = dialect.kinds[tag]
        if kind == "system":
            _read_system(conversation, text, where, index, dialect, extra)
        elif kind == "user":
            _read_user(conversation, text, where, previous)
        elif kind == "assistant":
            said = dialect.read_said(tag, text, where)
            keep_source_text(extra, where, "value", text, dialect.write_said(tag, said))
            _add_said(conversation.steps, said, tag in dialect.joining and previous == kind)
        else:
            _read_results(conversation.steps, text, where, dialect, extra)
        previous = kind
    return conversation


def _turn(turn: Any, where: str, dialect: Dialect, extra: dict[str, Any]) -> tuple[str, str]:
    if not isinstance(turn, dict):
        raise ConversionError(f"expected an object, got {_kind(turn)}", path=where)
    turn = split_unknown(turn, TURN_KEYS, where, extra)
    tag, text = turn.get("from"), turn.get("value")
    if tag not in dialect.kinds:
        raise ConversionError(
            f"unknown turn {tag!r}" if isinstance(tag, str) else "expected a string 'from'",
            path=f"{where}.from",
            hint=f"turns are from {', '.join(dialect.kinds)}",
        )
    if not isinstance(text, str):
        raise ConversionError(f"expected string, got {_kind(text)}", path=f"{where}.value")
    return tag, text


def _read_system(
    conversation: Conversation,
    text: str,
    where: str,
    index: int,
    dialect: Dialect,
    extra: dict[str, Any],
) -> None:
    if index != 0:
        raise ConversionError(
            "a system turn is only supported as the first turn",
            path=f"{where}.from",
            hint="trajforge has one system prompt; merge later system turns into it",
        )
    prompt, tools = dialect.read_system(text, where)
    rendered = dialect.write_system(prompt, tools)
    keep_source_text(extra, where, "value", text, "" if rendered is None else rendered)
    conversation.system_prompt, conversation.tools = prompt, tools


def _read_user(conversation: Conversation, text: str, where: str, previous: Kind | None) -> None:
    if conversation.steps:
        conversation.steps[-1].observations.append(UserMessage(content=text))
    elif previous in (None, "system"):
        conversation.instruction = text
    else:
        raise ConversionError(
            "a second user turn before the first assistant turn cannot be represented",
            path=where,
            hint="the first user turn is task.instruction: join the leading user turns",
        )


def _add_said(steps: list[Step], said: Said, may_join: bool) -> None:
    """Add what an assistant turn said as a new step, or to the last one where it joins it."""
    joins = may_join and said.reasoning is None and said.text is None and not _calls(steps[-1])
    if not joins:
        actions: list[Action] = [] if said.text is None else [Reply(content=said.text)]
        steps.append(Step(reasoning=said.reasoning, actions=actions))
    step, first = len(steps) - 1, len(_calls(steps[-1]))
    for offset, call in enumerate(said.calls):
        call.id = call_id(step, first + offset)
    steps[-1].actions.extend(said.calls)


def _read_results(
    steps: list[Step], text: str, where: str, dialect: Dialect, extra: dict[str, Any]
) -> None:
    if not steps:
        raise ConversionError(
            "a tool turn before any assistant turn",
            path=where,
            hint="tool results must follow the assistant turn that made the call",
        )
    results = dialect.read_results(text, where)
    rendered = dialect.write_results(results)
    keep_source_text(extra, where, "value", text, rendered[0] if len(rendered) == 1 else "")
    step = steps[-1]
    calls = _calls(step)
    answered = sum(isinstance(o, ToolResult) for o in step.observations)
    for offset, result in enumerate(results):
        if answered + offset < len(calls):
            result.call_id = calls[answered + offset].id
    step.observations.extend(results)


def _calls(step: Step) -> list[ToolCall]:
    return [action for action in step.actions if isinstance(action, ToolCall)]


def _kind(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer"}
    return "null" if value is None else names.get(type(value), "number")


# ---------------------------------------------------------------- export

_Reread = Callable[[Any], object]
_Turn = tuple[str, str, _Reread, object]
"""A turn to write: its tag, its text, how to read it back, and what it says (or None)."""


def write_conversation(
    traj: Trajectory,
    path: str,
    dialect: Dialect,
    extra: Mapping[str, Any],
    *,
    system_turn: bool = True,
) -> list[dict[str, str]]:
    """The turns of a trajectory; a turn's text kept in ``extra`` (at ``path[i]``) is written
    instead of the dialect's where it still reads the same."""
    turns: list[_Turn] = []
    system_tag, user_tag, _ = dialect.tags
    system = dialect.write_system(traj.system_prompt, traj.tools) if system_turn else None
    if system is not None:
        turns.append((system_tag, system, lambda t: dialect.read_system(t, path), None))
    if traj.task.instruction is not None:
        turns.append((user_tag, traj.task.instruction, str, None))
    for index, step in enumerate(traj.steps):
        for tag, said in dialect.split(step, f"steps[{index}]"):
            turns.append(
                (tag, dialect.write_said(tag, said), _said_reader(dialect, tag, path), _bare(said))
            )
        turns.extend(_observation_turns(step.observations, dialect, path))
    return [
        {"from": tag, "value": source_text(extra, f"{path}[{i}]", "value", text, reread, now)}
        for i, (tag, text, reread, now) in enumerate(turns)
    ]


def _said_reader(dialect: Dialect, tag: str, path: str) -> _Reread:
    return lambda text: dialect.read_said(tag, text, path)


def _bare(said: Said) -> Said:
    """What a turn says, its calls without the ids (turns have none), as a read gives it."""
    calls = [msgspec.structs.replace(call, id=None) for call in said.calls]
    return Said(said.reasoning, said.text, calls)


def _observation_turns(
    observations: Sequence[Observation], dialect: Dialect, path: str
) -> list[_Turn]:
    """User turns, and the tool turns of each run of consecutive results."""
    turns: list[_Turn] = []
    results: list[ToolResult] = []
    _, user_tag, tool_tag = dialect.tags
    for observation in [*observations, None]:
        if isinstance(observation, ToolResult):
            results.append(observation)
            continue
        if results:
            reread: _Reread = lambda text: dialect.read_results(text, path)  # noqa: E731
            texts = dialect.write_results(results)
            turns.extend((tool_tag, text, reread, None) for text in texts)
            results = []
        if isinstance(observation, UserMessage):
            turns.append((user_tag, observation.content, str, None))
    return turns
