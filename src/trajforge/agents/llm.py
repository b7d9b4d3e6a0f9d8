"""An agent backed by an OpenAI-compatible chat model.

Each decision is one chat request: the system prompt, the task's instruction and every step so
far, rendered by :mod:`trajforge.formats.openai` (the same converter the exporter uses), plus the
tools. The answer becomes a Decision: native ``tool_calls`` first; else tool calls written as text
(Hermes ``<tool_call>`` blocks or bare JSON, see :mod:`trajforge.agents.tool_call_parser`); else
plain text, a ``ClarifyingQuestion`` when it ends in a question mark and a final answer
(``Finish``) otherwise. Hand-offs are ordinary tool calls of the environment's
``transfer_to_human``-style tool.

Output that cannot be used (cut off at the token limit, unreadable tool-call text, argument JSON
that is not an object, arguments longer than ``max_argument_chars``, an empty message) is not a
crash: it becomes a step labelled ``malformed_output`` (source ``generator``, grade ``error``)
that keeps the raw text as its reasoning, and the next request shows the model its output and a
notice that it could not be parsed. Arguments over the limit are neither called nor kept whole:
the record and every later request hold their first ``ECHOED_CHARS`` characters only, so one
runaway answer cannot grow each request until the server refuses it. After ``max_malformed``
such outputs in a row the agent finishes with ``completed=False``. The agent keeps no state beyond
the steps it is given, so a branch can resume it from any prefix.

``tool_mode="prompt"`` is for models and servers without native tool calling: the tools are
described in the system prompt in the Hermes format, earlier tool calls and results are shown as
``<tool_call>`` / ``<tool_response>`` text, and no ``tools`` are sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal

import msgspec

from trajforge.agents.base import Decision
from trajforge.agents.llm_client import ChatClient, ChatResult, seeded
from trajforge.agents.tool_call_parser import ParsedCall, parse_tool_calls
from trajforge.errors import EndpointError, ToolCallParseError
from trajforge.formats.openai import (
    parse_arguments,
    trajectory_to_messages,
    trajectory_to_record,
)
from trajforge.schema import (
    Action,
    ClarifyingQuestion,
    Finish,
    Generator,
    Label,
    LabelSource,
    Reply,
    Step,
    Task,
    TextAction,
    ToolCall,
    ToolSpec,
    Trajectory,
    UserMessage,
)

ToolMode = Literal["native", "prompt"]
ToolListing = Literal["json", "compact"]

MALFORMED_OUTPUT: Final = "malformed_output"
CONTEXT_EXCEEDED: Final = "context_exceeded"
RAW_OUTPUT_KEY: Final = "raw_output"
DEFAULT_MAX_MALFORMED: Final = 3
DEFAULT_MAX_ARGUMENT_CHARS: Final = 65_536
#: What is kept of arguments over the limit, in the record and in later requests.
ECHOED_CHARS: Final = 1_000
DEFAULT_SYSTEM_PROMPT: Final = (
    "You are a careful assistant who completes the user's request with the tools provided. "
    "Call a tool whenever you need information or want to make a change; never invent ids or "
    "results. If you need something only the user knows, ask one short question. Before a "
    "change that cannot be undone, ask the user to confirm. When the request is done, or cannot "
    "be done, reply with a short final message to the user."
)
PARSE_NOTICE: Final = (
    "[notice] Your last output could not be parsed: {reason}. Answer again with either valid "
    "tool calls or a plain-text message to the user."
)
PROMPT_TOOLS: Final = """

# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{tools}
</tools>

For each function call, return a json object with function name and arguments within \
<tool_call></tool_call> XML tags:
<tool_call>
{{"name": <function-name>, "arguments": <args-json-object>}}
</tool_call>"""

_THINK = re.compile(r"<think>(.*?)</think>", re.DOTALL)
# How OpenAI, vLLM, llama.cpp and others say that a request does not fit the model's context.
_CONTEXT = re.compile(
    r"context[ _](length|window)|maximum context|too many tokens|exceeds? (the )?(context|max)",
    re.IGNORECASE,
)


def malformed_label(reason: str, raw: str, finish_reason: str | None) -> Label:
    """The ``malformed_output`` label of a step whose model output could not be used."""
    details: dict[str, Any] = {RAW_OUTPUT_KEY: raw}
    if finish_reason is not None:
        details["finish_reason"] = finish_reason
    return Label(
        name=MALFORMED_OUTPUT,
        source=LabelSource(kind="generator", id="llm"),
        grade="error",
        rationale=reason,
        details=details,
    )


def is_malformed(step: Step) -> bool:
    """Whether a step carries the generator's ``malformed_output`` label."""
    return any(_is_malformed_label(label) for label in step.labels)


def _is_malformed_label(label: Label) -> bool:
    return label.name == MALFORMED_OUTPUT and label.source.kind == "generator"


@dataclass(frozen=True)
class AgentSettings:
    """How an LLM agent asks: the system prompt (None: the default), the environment's policy
    document (appended to it), sampling settings, native tool calls or tools described in the
    prompt (listed as JSON or compactly), how many malformed outputs in a row end the episode,
    whether each request carries a derived seed, and the longest argument text of a tool call
    taken from the model (characters of its JSON)."""

    system_prompt: str | None = None
    policy: str | None = None
    sampling: Mapping[str, Any] = field(default_factory=dict)
    tool_mode: ToolMode = "native"
    tool_listing: ToolListing = "json"
    max_malformed: int = DEFAULT_MAX_MALFORMED
    send_seed: bool = True
    max_argument_chars: int = DEFAULT_MAX_ARGUMENT_CHARS

    def __post_init__(self) -> None:
        if self.max_malformed < 1:
            raise ValueError("max_malformed must be >= 1")
        if self.max_argument_chars < 1:
            raise ValueError("max_argument_chars must be >= 1")


class LLMAgent:
    """A Policy that asks a chat model for each decision (see the module docstring)."""

    def __init__(
        self,
        client: ChatClient,
        task: Task,
        tools: Sequence[ToolSpec],
        *,
        seed: int = 0,
        settings: AgentSettings | None = None,
    ) -> None:
        self.client = client
        self.task = task
        self.tools = list(tools)
        self.tool_names = frozenset(tool.name for tool in self.tools)
        self.seed = seed
        self.settings = settings = settings or AgentSettings()
        base = DEFAULT_SYSTEM_PROMPT if settings.system_prompt is None else settings.system_prompt
        if settings.policy:
            base += "\n\n" + settings.policy.strip()
        if settings.tool_mode == "prompt" and self.tools:
            base += PROMPT_TOOLS.format(tools=render_tools(self.tools, settings.tool_listing))
        #: The system prompt sent with every request (record it on the trajectory).
        self.system_prompt = base

    @property
    def name(self) -> str:
        """``llm:<model>``."""
        return f"llm:{self.client.model}"

    async def fast_forward(self, prefix: Sequence[Step]) -> None:
        """Nothing to do: the agent's only state is the steps it is given."""

    # ------------------------------------------------------------ requests

    def request(self, steps: Sequence[Step]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The ``messages`` and ``tools`` of the request for the decision after ``steps``."""
        view = Trajectory(
            id="request",
            task=Task(instruction=self.task.instruction or ""),
            system_prompt=self.system_prompt,
            steps=[_request_step(step) for step in steps],
        )
        messages = trajectory_to_messages(view)
        if self.settings.tool_mode == "prompt":
            return _calls_as_text(messages), []
        return messages, self._wire_tools

    @cached_property
    def _wire_tools(self) -> list[dict[str, Any]]:
        """The tools in the request's ``tools`` shape (built once: they never change)."""
        record = trajectory_to_record(Trajectory(id="tools", task=Task(), tools=self.tools))
        tools: list[dict[str, Any]] = record.get("tools", [])
        return tools

    def _sampling(self, steps: Sequence[Step]) -> dict[str, Any]:
        return seeded(self.settings.sampling, self.settings.send_seed, "llm", self.seed, len(steps))

    async def decide(self, steps: Sequence[Step]) -> Decision:
        """Ask the model for the next decision; malformed output becomes a labelled step."""
        messages, tools = self.request(steps)
        try:
            result = await self.client.complete(messages, tools or None, **self._sampling(steps))
        except EndpointError as exc:
            if exc.status in (400, 413) and _CONTEXT.search(exc.message):
                return _context_exceeded(exc)
            raise
        return self.interpret(result, steps)

    # ------------------------------------------------------------ responses

    def interpret(self, result: ChatResult, steps: Sequence[Step]) -> Decision:
        """Turn a chat result into the decision after ``steps``."""
        message = result.message
        content = _text(message.get("content")) or _text(message.get("refusal"))
        reasoning = _text(message.get("reasoning_content") or message.get("reasoning")) or None
        thoughts = [m.strip() for m in _THINK.findall(content)]
        if thoughts:
            content = _THINK.sub("", content).strip()
            reasoning = "\n\n".join(filter(None, [reasoning, *thoughts])) or None
        native, shapes = _wires(message.get("tool_calls") or [])
        step = len(steps)
        limit = self.settings.max_argument_chars
        if result.finish_reason == "length":
            raw = _raw_output(content, native, limit)
            return self._malformed(
                steps, result, raw, "the output was cut off at the token limit", []
            )
        if native or shapes:
            calls, problems = self._native_calls(native, step)
            problems = shapes + problems
            actions: list[Action] = [Reply(content=content)] if content.strip() else []
            actions.extend(calls)
            if problems:
                raw = _raw_output(content, native, limit)
                return self._malformed(steps, result, raw, "; ".join(problems), calls)
            return Decision(actions=actions, reasoning=reasoning, usage=result.usage)
        try:
            parsed, leftover = parse_tool_calls(content, self.tool_names)
        except ToolCallParseError as exc:
            reason = f"{exc.path}: {exc.message}" if exc.path else exc.message
            return self._malformed(steps, result, _clipped(content, limit), reason, [])
        odd = _text_call_problems(parsed, limit)
        if odd:
            return self._malformed(steps, result, _clipped(content, limit), "; ".join(odd), [])
        if parsed:
            actions = [Reply(content=leftover)] if leftover else []
            actions.extend(
                ToolCall(id=_call_id(step, index), name=call.name, arguments=call.arguments)
                for index, call in enumerate(parsed)
            )
            return Decision(actions=actions, reasoning=reasoning, usage=result.usage)
        text = content.strip()
        if not text:
            return self._malformed(steps, result, content, "the model returned no text", [])
        final: TextAction = (
            ClarifyingQuestion(content=text) if text.endswith("?") else Finish(content=text)
        )
        return Decision(actions=[final], reasoning=reasoning, usage=result.usage)

    def _native_calls(
        self, native: list[dict[str, Any]], step: int
    ) -> tuple[list[ToolCall], list[str]]:
        calls: list[ToolCall] = []
        problems: list[str] = []
        for index, wire in enumerate(native):
            function = wire.get("function") or {}
            name = str(function.get("name") or "")
            text = function.get("arguments")
            if isinstance(text, dict):  # some servers send the object itself
                text = json.dumps(text)
            text = text if isinstance(text, str) else ""
            if len(text) > self.settings.max_argument_chars:  # neither called nor echoed back
                problems.append(_too_long(index, name, len(text), self.settings.max_argument_chars))
                continue
            if text.strip():
                arguments, raw = parse_arguments(text)
                if raw is not None and not arguments and text.strip() != "{}":
                    problems.append(
                        f"tool_call[{index}] ({name or 'no name'}): the arguments are not a "
                        "JSON object"
                    )
            else:
                arguments, raw = {}, None
            if not name:
                problems.append(f"tool_call[{index}]: no function name")
            elif name not in self.tool_names:
                problems.append(f"tool_call[{index}]: unknown tool {name!r}")
            calls.append(
                ToolCall(
                    id=_call_id(step, index), name=name, arguments=arguments, raw_arguments=raw
                )
            )
        return calls, problems

    def _malformed(
        self,
        steps: Sequence[Step],
        result: ChatResult,
        raw: str,
        reason: str,
        calls: list[ToolCall],
    ) -> Decision:
        """A failed step: the raw output as reasoning, the label, and maybe a giving-up Finish."""
        streak = 1
        for step in reversed(steps):
            if not is_malformed(step):
                break
            streak += 1
        actions: list[Action] = list(calls)
        if streak >= self.settings.max_malformed:
            actions.append(
                Finish(
                    content=f"I have to stop: {streak} of my outputs in a row could not be parsed.",
                    completed=False,
                )
            )
        return Decision(
            actions=actions,
            reasoning=raw or None,
            usage=result.usage,
            labels=[malformed_label(reason, raw, result.finish_reason)],
        )


class LLMAgentFactory:
    """Makes an ``LLMAgent`` per episode (a PolicyFactory): ``factory(task, tools, seed)``."""

    def __init__(self, client: ChatClient, settings: AgentSettings | None = None) -> None:
        self.client = client
        self.settings = settings or AgentSettings()

    @property
    def name(self) -> str:
        """``llm:<model>``, the policy name for provenance."""
        return f"llm:{self.client.model}"

    def generator(self, seed: int | None = None) -> Generator:
        """The provenance ``Generator`` of this factory's episodes."""
        settings = self.settings
        sampling = dict(settings.sampling)
        if settings.tool_mode != "native":
            sampling["tool_mode"] = settings.tool_mode
            sampling["tool_listing"] = settings.tool_listing
        return Generator(policy=self.name, model=self.client.model, sampling=sampling, seed=seed)

    def __call__(self, task: Task, tools: list[ToolSpec], seed: int) -> LLMAgent:
        """A fresh agent for one episode."""
        return LLMAgent(self.client, task, tools, seed=seed, settings=self.settings)


# ---------------------------------------------------------------- helpers


def render_tools(tools: Sequence[ToolSpec], listing: ToolListing = "json") -> str:
    """The tool list of a prompt-mode system prompt.

    ``json``: one OpenAI tool object per line (the Hermes convention). ``compact``: one line per
    tool, ``name(arg: type, optional?: type) - description``, several times shorter, for small
    models and short contexts.
    """
    if listing == "json":
        return "\n".join(
            json.dumps({"type": "function", "function": msgspec.to_builtins(tool)})
            for tool in tools
        )
    lines = []
    for tool in tools:
        schema = tool.parameters or {}
        required = set(schema.get("required", []))
        arguments = ", ".join(
            f"{name}{'' if name in required else '?'}: {_type_name(spec)}"
            for name, spec in (schema.get("properties") or {}).items()
        )
        description = f" - {tool.description}" if tool.description else ""
        lines.append(f"{tool.name}({arguments}){description}")
    return "\n".join(lines)


def _type_name(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array":
        return f"list[{_type_name(schema.get('items'))}]"
    if kind == "object" and "properties" in schema:
        inner = ", ".join(
            f"{name}: {_type_name(spec)}" for name, spec in schema["properties"].items()
        )
        return "{" + inner + "}"
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " | ".join(_type_name(option) for option in schema[union])
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return str(kind or "any")


def _context_exceeded(exc: EndpointError) -> Decision:
    """The episode ends, not completed, when the conversation outgrew the model's context."""
    label = Label(
        name=CONTEXT_EXCEEDED,
        source=LabelSource(kind="generator", id="llm"),
        grade="error",
        rationale=exc.message,
    )
    finish = Finish(
        content="I have to stop: the conversation no longer fits my context.", completed=False
    )
    return Decision(actions=[finish], labels=[label])


def _call_id(step: int, index: int) -> str:
    """Deterministic call ids, unique within a trajectory."""
    return f"call_{step}_{index}"


def _text(content: Any) -> str:
    """Message content as text (a list of content parts is joined)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


_ENCODE = msgspec.json.Encoder().encode


def _text_call_problems(calls: Sequence[ParsedCall], limit: int) -> list[str]:
    """What is wrong with tool calls read from text: Python's json, which reads them, takes
    ``"\\ud800"`` for a lone surrogate (which no record can hold), and arguments may be longer
    than ``limit``."""
    problems = []
    for index, call in enumerate(calls):
        try:
            size = len(_ENCODE(call.arguments))
        except UnicodeEncodeError:
            problems.append(f"tool_call[{index}] ({call.name}): text with a lone surrogate")
            continue
        if size > limit:
            problems.append(_too_long(index, call.name, size, limit))
    return problems


def _wires(native: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The tool calls of a response shaped as such (``{"function": {...}}``), and what is wrong
    with the rest: a server or model may send a string, an object or a list of strings."""
    if not isinstance(native, list):
        return [], [f"tool_calls: expected a list, got {type(native).__name__}"]
    wires: list[dict[str, Any]] = []
    problems: list[str] = []
    for index, wire in enumerate(native):
        function = wire.get("function") if isinstance(wire, dict) else None
        if isinstance(function, dict):
            wires.append(wire)
        else:
            problems.append(f"tool_call[{index}]: expected an object with a function object")
    return wires, problems


def _raw_output(content: str, native: list[dict[str, Any]], limit: int) -> str:
    """What the model wrote, tool calls included, as one text (arguments over ``limit``
    clipped)."""
    parts = [content] if content else []
    for wire in native:
        function = wire.get("function") or {}
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        parts.append(
            f'<tool_call>{{"name": {json.dumps(function.get("name"))}, '
            f'"arguments": {_clipped(arguments, limit)}}}</tool_call>'
        )
    return "\n".join(parts)


def _too_long(index: int, name: str, size: int, limit: int) -> str:
    """The problem of a call whose arguments are over the limit."""
    return (
        f"tool_call[{index}] ({name or 'no name'}): the arguments are {size:,} characters, "
        f"over the limit of {limit:,}"
    )


def _clipped(text: str, limit: int) -> str:
    """``text``, or only its start and a note when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    keep = min(limit, ECHOED_CHARS)
    return f"{text[:keep]} [... {len(text) - keep:,} more characters]"


def _request_step(step: Step) -> Step:
    """How a recorded step is shown to the model.

    Reasoning is not sent back. A malformed step shows the raw output as the assistant's text and
    adds the parse notice after its observations.
    """
    label = next((lb for lb in step.labels if _is_malformed_label(lb)), None)
    if label is None:
        return msgspec.structs.replace(step, reasoning=None)
    raw = str(label.details.get(RAW_OUTPUT_KEY, step.reasoning or ""))
    calls = [action for action in step.actions if isinstance(action, ToolCall)]
    actions: list[Action] = [*calls] if calls else [Reply(content=raw)]
    notice = UserMessage(content=PARSE_NOTICE.format(reason=label.rationale or "unknown"))
    return msgspec.structs.replace(
        step, reasoning=None, actions=actions, observations=[*step.observations, notice]
    )


def _calls_as_text(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages for a model without native tool calling: calls and results as Hermes text."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            wires = message.get("tool_calls") or [{"function": message["function_call"]}]
            blocks = [
                '<tool_call>\n{"name": '
                + json.dumps(wire["function"]["name"])
                + ', "arguments": '
                + _arguments_json(wire["function"]["arguments"])
                + "}\n</tool_call>"
                for wire in wires
            ]
            text = "\n".join([message["content"], *blocks] if message.get("content") else blocks)
            out.append({"role": "assistant", "content": text})
        elif role in ("tool", "function"):
            block = f"<tool_response>\n{message['content']}\n</tool_response>"
            if out and out[-1]["role"] == "user" and out[-1].get("_tool"):
                out[-1]["content"] += "\n" + block
            else:
                out.append({"role": "user", "content": block, "_tool": True})
        else:
            out.append(dict(message))
    for message in out:
        message.pop("_tool", None)
    return out


def _arguments_json(text: str) -> str:
    """Argument text as JSON for a Hermes block (not-JSON text becomes a JSON string)."""
    try:
        json.loads(text)
    except ValueError:
        return json.dumps(text)
    return text
