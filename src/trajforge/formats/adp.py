"""Agent Data Protocol (ADP) standardized records: ``{id, content: [...], details}``.

``content`` is the agent's actions and what it observed, in order, each tagged by ``class_``:

- consecutive actions are one step: a ``message_action`` is a reply (``<finish> ... </finish>``,
  ADP's way to end, a :class:`~trajforge.schema.Finish` with the text inside; the tagged text is
  kept in extra), an ``api_action`` a tool call (``function``, ``kwargs``), a ``code_action`` a call
  of ``execute_ipython_cell`` (``code``) for Python or ``execute_bash`` (``command``) for shell, as
  ADP's own ATIF converter names them (``execute_<language>`` with ``code`` for other languages);
  an action's ``reasoning_content`` (or, without one, its ``description``) is the step's reasoning;
- a ``text_observation`` after a call is that call's result, whatever its ``source`` (CodeAct's
  interpreter output comes as ``user``); otherwise a ``user`` observation is the instruction
  before the first action and a user message after it, and an ``environment`` one before anything
  else is the system prompt (Toucan's tool declaration); ``web_observation`` and
  ``image_observation`` are observed as text (the accessibility tree, HTML, path or URL) with their
  other fields kept in extra;
- ``available_apis`` are the tools (by name, without schemas; ADP keeps those in each dataset's
  ``api.py``), together with the code tools the record calls.

What no field holds (``details``, descriptions beside a reasoning, per-step ``reward``...) is kept
in ``provenance.extra`` under its place in the record (``$``, ``content[3]``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from trajforge.errors import ConversionError
from trajforge.formats.fields import expect, keep_unmapped, member
from trajforge.formats.importer import import_format
from trajforge.formats.transcript import Transcript
from trajforge.io.documents import SourceRecord
from trajforge.schema import Trajectory
from trajforge.schema.records import (
    Action,
    Finish,
    Provenance,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    UserMessage,
)

ACTIONS: Final = ("message_action", "api_action", "code_action")
OBSERVATIONS: Final = ("text_observation", "web_observation", "image_observation")
#: The tool and argument a code action is a call of, by language (ADP's ATIF converter's names).
CODE_TOOLS: Final = {
    "python": ("execute_ipython_cell", "code"),
    "bash": ("execute_bash", "command"),
    "sh": ("execute_bash", "command"),
    "shell": ("execute_bash", "command"),
}
_FINISH: Final = re.compile(r"^\s*<finish>(.*)</finish>\s*$", re.DOTALL)
_TEXT_KEYS: Final = ("axtree", "html", "content", "url")


def adp_to_trajectory(data: Any) -> Trajectory:
    """One ADP standardized record as a trajectory (ConversionError with a field path)."""
    record = expect(data, dict, "$")
    reader = _Reader()
    for index, item in enumerate(member(record, "content", list, "$")):
        reader.read(expect(item, dict, f"content[{index}]"), f"content[{index}]")
    apis = expect(record.get("available_apis") or [], list, "available_apis")
    names = [expect(name, str, f"available_apis[{i}]") for i, name in enumerate(apis)]
    tools = [ToolSpec(name=name) for name in names]
    tools += [_code_tool(name, arg) for name, arg in reader.code_tools if name not in names]
    keep_unmapped(reader.extra, "$", record, ("id", "content", "available_apis"))
    return Trajectory(
        id=f"adp-{member(record, 'id', str, '$')}",
        task=Task(instruction=reader.instruction),
        tools=tools,
        system_prompt=reader.system,
        steps=reader.steps,
        provenance=Provenance(extra=reader.extra),
    )


def _code_tool(name: str, argument: str) -> ToolSpec:
    return ToolSpec(
        name=name,
        parameters={
            "type": "object",
            "properties": {argument: {"type": "string"}},
            "required": [argument],
        },
    )


class _Reader(Transcript):
    """Turns ADP content items, in order, into the prompt, instruction and steps."""

    def __init__(self) -> None:
        super().__init__()
        self.code_tools: dict[tuple[str, str], None] = {}  # ordered set
        self.pending: list[ToolCall] = []  # calls of the last step still without a result
        self.after_action = False

    def read(self, item: dict[str, Any], where: str) -> None:
        kind = item.get("class_")
        if kind in ACTIONS:
            self._action(item, where, kind)
        elif kind in OBSERVATIONS:
            self._observation(item, where)
        else:
            raise ConversionError(
                f"unknown content class {kind!r}",
                path=f"{where}.class_",
                hint=f"ADP content is one of {', '.join(ACTIONS + OBSERVATIONS)}",
            )
        self.after_action = kind in ACTIONS

    def _action(self, item: dict[str, Any], where: str, kind: str) -> None:
        mapped = ["class_"]
        action = self._act(item, where, kind, mapped)
        if not (self.after_action and isinstance(action, ToolCall) and self.steps):
            self.steps.append(Step())
            self.pending = []
        step = self.steps[-1]
        step.actions.append(action)
        if isinstance(action, ToolCall):
            self.pending.append(action)
        for key in ("reasoning_content", "description"):
            if item.get(key) is None:
                mapped.append(key)  # ADP's default: says nothing
            elif step.reasoning is None and isinstance(item[key], str):
                step.reasoning = item[key]
                mapped.append(key)
        keep_unmapped(self.extra, where, item, mapped)

    def _act(self, item: dict[str, Any], where: str, kind: str, mapped: list[str]) -> Action:
        if kind == "api_action":
            mapped += ["function", "kwargs"]
            return ToolCall(
                name=member(item, "function", str, where),
                arguments=expect(item.get("kwargs") or {}, dict, f"{where}.kwargs"),
            )
        if kind == "code_action":
            mapped += ["language", "content"]
            language = member(item, "language", str, where)
            name, argument = CODE_TOOLS.get(language.lower(), (f"execute_{language}", "code"))
            self.code_tools[name, argument] = None
            return ToolCall(name=name, arguments={argument: member(item, "content", str, where)})
        text = member(item, "content", str, where)
        finished = _FINISH.match(text)
        if finished is None:
            mapped.append("content")
            return Reply(content=text)
        return Finish(content=finished.group(1).strip())

    def _observation(self, item: dict[str, Any], where: str) -> None:
        """A call's result, a user message, the instruction or the system prompt; ``source`` and
        ``name`` stay in extra where the place they took does not say them."""
        mapped = ["class_"]
        text = self._text(item, mapped, where)
        source, name = item.get("source"), item.get("name")
        if name is None:
            mapped.append("name")
        if self.pending:
            call = self.pending.pop(0)
            mapped += ["name"] * (name == call.name)
            self.steps[-1].observations.append(ToolResult(name=call.name, content=text))
        elif self.steps and source == "agent":
            self.steps.append(Step(actions=[Reply(content=text)]))
            mapped.append("source")
        elif self.steps:
            mapped += ["name", "source"]
            user = UserMessage(content=text, name=name if isinstance(name, str) else None)
            self.steps[-1].observations.append(user)
        else:  # before the first action, environment text is the system prompt
            self.place("user" if source == "user" else "system", text, f"{where}.source")
            mapped.append("source")
        keep_unmapped(self.extra, where, item, mapped)

    def _text(self, item: dict[str, Any], mapped: list[str], where: str) -> str:
        """The observation's text: a text observation's content, a web page's accessibility tree
        (or HTML, or URL), an image's path."""
        for key in _TEXT_KEYS:
            if isinstance(item.get(key), str):
                mapped.append(key)
                return str(item[key])
        if item.get("class_") == "text_observation":
            member(item, "content", str, where)  # raises: a text observation needs its text
        return ""


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of one ADP record."""
    return [adp_to_trajectory(record.data)]


def detect(data: Any) -> bool:
    """Whether a record is ADP: a ``content`` list whose items have a ``class_``."""
    if not isinstance(data, dict) or not isinstance(data.get("content"), list):
        return False
    items = data["content"][:3]
    return bool(items) and all(isinstance(i, dict) and "class_" in i for i in items)


FORMAT = import_format(
    "adp",
    "Agent Data Protocol standardized trajectories ({id, content, details})",
    convert,
    detect=detect,
)
