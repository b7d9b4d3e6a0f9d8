"""A human agent in the terminal: typed commands become actions."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Literal

import msgspec

from trajforge.agents.base import Decision
from trajforge.errors import ConfigError
from trajforge.schema import (
    Action,
    ClarifyingQuestion,
    Finish,
    HandOff,
    Observation,
    Reply,
    ToolCall,
)

if TYPE_CHECKING:
    from trajforge.run.episode import EpisodeRecorder

HELP = """\
commands:
  TOOL {"arg": value, ...}   call a tool with JSON arguments (or TOOL key=value ...)
  say TEXT                   reply to the user
  ask TEXT                   ask the user a clarifying question
  handoff TEXT               hand the conversation to a human and end
  finish TEXT                finish the task with a final message
  fail TEXT                  give up, reporting why
  tools                      list the tools again
  help                       this text
  quit                       stop without finishing"""

TextActionType = type[Reply | ClarifyingQuestion | HandOff | Finish]
_TEXT_ACTIONS: dict[str, TextActionType] = {
    "say": Reply,
    "ask": ClarifyingQuestion,
    "handoff": HandOff,
    "finish": Finish,
}


def _key_values(text: str) -> dict[str, object]:
    arguments: dict[str, object] = {}
    for item in shlex.split(text):
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(
                f"expected key=value, got {item!r}", hint='or pass JSON: TOOL {"k": 1}'
            )
        try:
            arguments[key] = msgspec.json.decode(raw)
        except (msgspec.DecodeError, RecursionError):  # not JSON (or too deep for it): text
            arguments[key] = raw
    return arguments


def parse_command(line: str, tool_names: set[str], call_index: int) -> Action:
    """Turn one typed line into an action; a ConfigError explains a line that is not one."""
    word, _, rest = line.strip().partition(" ")
    rest = rest.strip()
    if word in _TEXT_ACTIONS:
        if not rest:
            raise ConfigError(f"{word} needs a message")
        return _TEXT_ACTIONS[word](content=rest)
    if word == "fail":
        return Finish(content=rest or "I could not complete the task.", completed=False)
    if word not in tool_names:
        raise ConfigError(f"unknown command or tool {word!r}", hint="type help for the commands")
    if rest.startswith("{"):
        try:
            arguments = msgspec.json.decode(rest)
        except msgspec.DecodeError as exc:
            raise ConfigError(f"arguments are not valid JSON: {exc}") from None
        except RecursionError:
            raise ConfigError("arguments are nested too deeply") from None
        if not isinstance(arguments, dict):
            raise ConfigError("arguments must be a JSON object")
    else:
        arguments = _key_values(rest)
    return ToolCall(id=f"call_{call_index}", name=word, arguments=arguments)


#: What the play loop shows the player: what came back from an action, why a line was not a
#: command, or the help text or tool list asked for.
Shown = Observation | ConfigError | Literal["help", "tools"]


def play(
    recorder: EpisodeRecorder,
    tool_names: Collection[str],
    *,
    read_line: Callable[[], str],
    show: Callable[[Shown], None],
    max_steps: int,
    after_step: Callable[[], object] | None = None,
) -> None:
    """Let a human act in ``recorder``'s episode, one typed line at a time, until the episode
    ends, ``max_steps`` steps are taken, or the player quits (``quit``, ``exit``, or
    ``read_line`` raising EOFError). ``after_step`` runs after every step (to save the session
    as it goes)."""
    tools = set(tool_names)
    while not recorder.done and len(recorder.steps) < max_steps:
        try:
            line = read_line().strip()
        except EOFError:
            return
        if line in ("quit", "exit"):
            return
        if not line:
            continue
        if line == "help":
            show("help")
            continue
        if line == "tools":
            show("tools")
            continue
        try:
            action = parse_command(line, tools, len(recorder.steps))
        except ConfigError as exc:
            show(exc)
            continue
        for obs in asyncio.run(recorder.act(Decision(actions=[action]))):
            show(obs)
        if after_step is not None:
            after_step()
