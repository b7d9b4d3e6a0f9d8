"""OpenTelemetry GenAI spans exported as JSON: production traces of agents, one trajectory per
trace (``provenance.source = "production"``).

The spans of a record (see :mod:`trajforge.formats.otel_spans` for the two JSON exports read) are
grouped by trace id and taken in start-time order. The ``gen_ai.*`` attributes of the semantic
conventions are read in both spellings seen in the wild:

- a model call (``gen_ai.operation.name`` ``chat``, ``text_completion``, ``generate_content``, or
  any-agent's ``call_llm``) is a step: its output (``gen_ai.output.messages`` with text,
  ``tool_call`` and ``reasoning`` parts, or any-agent's ``gen_ai.output``: a JSON list of
  ``{"tool.name", "tool.args"}`` or text) gives the actions, ``gen_ai.usage.input_tokens`` and
  ``output_tokens`` the usage; the first call's ``gen_ai.input.messages`` (or
  ``gen_ai.system_instructions``) give the system prompt and instruction, later calls' inputs the
  user messages and tool responses that came after;
- an ``execute_tool`` span is the result of the call it runs (matched by
  ``gen_ai.tool.call.id``, else by name): ``gen_ai.tool.call.result`` or ``gen_ai.output`` its
  content, an error status an ``error`` result (``error.type`` the kind), the span's duration its
  latency; the arguments it ran with (``gen_ai.tool.call.arguments`` or ``gen_ai.tool.args``) are
  the call's, and the model's own differing output is then kept in extra. A tool span no model
  output asked for adds its call to the current step. Tools are named and described by these
  spans; smolagents' ``final_answer`` and any-agent's ``final_output`` are finish tools;
- an ``invoke_agent`` span names the agent (``gen_ai.agent.name``, the generator's policy).

The message attributes of the events-based conventions (``gen_ai.user.message`` events...) are
not read: no export seen here uses them. Each span's other keys and attributes are kept in
``provenance.extra`` under its place in the record; the record's other keys (any-agent's
``final_output``) under ``$`` in its first trajectory.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import msgspec

from trajforge.errors import ConversionError
from trajforge.formats.fields import expect, keep_unmapped
from trajforge.formats.importer import import_format
from trajforge.formats.openai import parse_arguments
from trajforge.formats.otel_spans import Span, spans_of
from trajforge.formats.transcript import Transcript
from trajforge.io.documents import SourceRecord
from trajforge.schema import Trajectory
from trajforge.schema.records import (
    Action,
    Generator,
    Metrics,
    Provenance,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
    UserMessage,
)

LLM_OPERATIONS: Final = ("chat", "text_completion", "generate_content", "call_llm")
FINISH_TOOLS: Final = ("final_answer", "final_output")
OPERATION: Final = "gen_ai.operation.name"
INPUT: Final = "gen_ai.input.messages"
_COUNT_MAX: Final = 2**63 - 1


def convert(record: SourceRecord) -> list[Trajectory]:
    """One trajectory per trace of a record's spans."""
    data = expect(record.data, dict, "$")
    traces: dict[str, list[Span]] = {}
    for span in spans_of(data):
        traces.setdefault(span.trace_id, []).append(span)
    trajectories: list[Trajectory] = []
    for trace_id, spans in traces.items():
        trace = _Trace()
        for span in sorted(spans, key=lambda s: s.start):
            trace.add(span)
        if not trajectories:
            keep_unmapped(trace.extra, "$", data, ("spans", "resourceSpans"))
        trajectories.append(trace.trajectory(trace_id, spans))
    return trajectories


def detect(data: Any) -> bool:
    """Whether a record holds spans with ``gen_ai.*`` attributes (SDK JSON or OTLP/JSON)."""
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("resourceSpans"), list):
        return "gen_ai." in msgspec.json.encode(data["resourceSpans"][:1]).decode()
    spans = data.get("spans")
    return (
        isinstance(spans, list)
        and bool(spans)
        and all(
            isinstance(span, dict)
            and isinstance(span.get("attributes"), dict)
            and "context" in span
            for span in spans[:3]
        )
        and any(OPERATION in span["attributes"] for span in spans)
    )


class _Trace(Transcript):
    """Builds the trajectory of one trace from its spans, in start order."""

    def __init__(self) -> None:
        super().__init__()
        self.tools: dict[str, ToolSpec] = {}
        self.pending: list[tuple[ToolCall, Step, Span]] = []  # calls still without a result
        self.users = -1  # user messages seen in model inputs; -1 before the first model call
        self.model: str | None = None
        self.agent: str | None = None

    def add(self, span: Span) -> None:
        operation = span.attributes.get(OPERATION)
        if operation in LLM_OPERATIONS:
            mapped = self._model_call(span)
        elif operation == "execute_tool":
            mapped = self._tool_run(span)
        elif operation == "invoke_agent" and isinstance(
            span.attributes.get("gen_ai.agent.name"), str
        ):
            self.agent = self.agent or span.attributes["gen_ai.agent.name"]
            mapped = {OPERATION, "gen_ai.agent.name"}
        else:
            mapped = set()
        kept = {k: v for k, v in span.attributes.items() if k not in mapped}
        leftovers = {**span.rest, **({"attributes": kept} if kept else {})}
        if leftovers:
            self.extra.setdefault(span.where, {}).update(leftovers)

    # -------------------------------------------------------- model calls

    def _model_call(self, span: Span) -> set[str]:
        attributes = span.attributes
        mapped = {OPERATION, "gen_ai.output.type"}
        for key in ("gen_ai.request.model", "gen_ai.response.model"):
            if isinstance(attributes.get(key), str):
                self.model = self.model or attributes[key]
                mapped.add(key)
                break
        mapped |= self._inputs(attributes)
        reasoning, actions, output_keys = _outputs(attributes)
        mapped |= output_keys
        tokens = [_count(attributes.get(f"gen_ai.usage.{k}_tokens")) for k in ("input", "output")]
        usage = Usage(
            prompt_tokens=tokens[0], completion_tokens=tokens[1], latency_ms=span.latency_ms
        )
        mapped |= {
            f"gen_ai.usage.{k}_tokens"
            for k, n in zip(("input", "output"), tokens, strict=True)
            if n is not None
        }
        step = Step(reasoning=reasoning, actions=actions, usage=usage)
        self.steps.append(step)
        self.pending = [(a, step, span) for a in actions if isinstance(a, ToolCall)]
        return mapped

    def _inputs(self, attributes: dict[str, Any]) -> set[str]:
        """Take what is new in a model call's input: the prompt and instruction of the first
        call, then tool responses and user messages; the attributes wholly taken."""
        messages = _json(attributes.get(INPUT))
        instructions = _instructions(attributes.get("gen_ai.system_instructions"))
        first = self.users < 0
        if first and isinstance(messages, list) and messages:
            self._first_inputs(messages)
        elif not first and isinstance(messages, list):
            for message in messages:
                for call_id, content in _responses(message):
                    self._answer(call_id, content)
            users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
            for message in users[self.users :]:
                if self.steps:
                    self.steps[-1].observations.append(UserMessage(content=_text(message)))
            self.users = max(self.users, len(users))
        if first and self.system is None and instructions is not None:
            self.system, self.users = instructions, max(self.users, 0)
        mapped = {"gen_ai.system_instructions"} if instructions == self.system else set()
        roles = [m.get("role") if isinstance(m, dict) else None for m in messages or []]
        if not first or roles in (["user"], ["system", "user"]):
            mapped.add(INPUT)
        return mapped

    def _first_inputs(self, messages: list[Any]) -> None:
        if isinstance(messages[0], dict) and messages[0].get("role") == "system":
            self.system = _text(messages[0])
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            self.instruction = _text(users[0])
        self.users = len(users)

    # -------------------------------------------------------- tool runs

    def _tool_run(self, span: Span) -> set[str]:
        attributes = span.attributes
        name = attributes.get("gen_ai.tool.name")
        if not isinstance(name, str):
            raise ConversionError("an execute_tool span without gen_ai.tool.name", path=span.where)
        call_id = attributes.get("gen_ai.tool.call.id")
        call_id = call_id if isinstance(call_id, str) else None
        description = attributes.get("gen_ai.tool.description")
        self.tools.setdefault(
            name,
            ToolSpec(
                name=name,
                description=description if isinstance(description, str) else None,
                role="finish" if name in FINISH_TOOLS else None,
            ),
        )
        arguments, raw = _arguments(
            attributes.get("gen_ai.tool.call.arguments", attributes.get("gen_ai.tool.args"))
        )
        call, step = self._call_for(name, call_id, arguments, raw)
        result = attributes.get("gen_ai.tool.call.result", attributes.get("gen_ai.output"))
        error = attributes.get("error.type")
        step.observations.append(
            ToolResult(
                call_id=call.id,
                name=name,
                content=result if isinstance(result, str) else _encode(result),
                status="error" if span.error else "ok",
                error_kind=error if isinstance(error, str) else None,
                latency_ms=span.latency_ms,
            )
        )
        return {
            OPERATION,
            "gen_ai.tool.name",
            "gen_ai.tool.call.id",
            "gen_ai.tool.description",
            "gen_ai.tool.call.arguments",
            "gen_ai.tool.args",
            "gen_ai.tool.call.result",
            "gen_ai.output",
            "gen_ai.output.type",
            "error.type",
        }

    def _call_for(
        self, name: str, call_id: str | None, arguments: dict[str, Any], raw: str | None
    ) -> tuple[ToolCall, Step]:
        """The pending call a tool span ran (now with the arguments it ran with), or a new call
        in the current step when no model output asked for it."""
        found = next((p for p in self.pending if call_id and p[0].id == call_id), None)
        found = found or next((p for p in self.pending if p[0].name == name), None)
        if found is None:
            if not self.steps:
                self.steps.append(Step())
            call = ToolCall(id=call_id, name=name, arguments=arguments, raw_arguments=raw)
            self.steps[-1].actions.append(call)
            return call, self.steps[-1]
        self.pending.remove(found)
        call, step, model_span = found
        call.id = call.id or call_id
        if call.arguments != arguments:  # the model's words differ from what ran: keep them
            output = model_span.attributes.get("gen_ai.output.messages", None)
            key = "gen_ai.output.messages" if output is not None else "gen_ai.output"
            kept = self.extra.setdefault(model_span.where, {}).setdefault("attributes", {})
            kept[key] = model_span.attributes.get(key)
            call.arguments, call.raw_arguments = arguments, raw
        return call, step

    def _answer(self, call_id: str | None, content: Any) -> None:
        """A tool response seen in a later model input, for a call no tool span answered."""
        found = next((p for p in self.pending if call_id and p[0].id == call_id), None)
        if found is not None:
            self.pending.remove(found)
            text = content if isinstance(content, str) else _encode(content)
            found[1].observations.append(
                ToolResult(call_id=call_id, name=found[0].name, content=text)
            )

    # -------------------------------------------------------- the trajectory

    def trajectory(self, trace_id: str, spans: list[Span]) -> Trajectory:
        usages = [step.usage for step in self.steps if step.usage is not None]
        ends = [span.end for span in spans if span.end is not None]
        return Trajectory(
            id=f"otel-{trace_id}",
            task=Task(instruction=self.instruction),
            tools=list(self.tools.values()),
            system_prompt=self.system,
            steps=self.steps,
            metrics=Metrics(
                prompt_tokens=_total(u.prompt_tokens for u in usages),
                completion_tokens=_total(u.completion_tokens for u in usages),
                wall_time_ms=(max(ends) - min(s.start for s in spans)) / 1e6 if ends else None,
            ),
            provenance=Provenance(
                source="production",
                generator=Generator(policy=self.agent, model=self.model),
                extra=self.extra,
            ),
        )


def _outputs(attributes: dict[str, Any]) -> tuple[str | None, list[Action], set[str]]:
    """``(reasoning, actions, attributes read)`` of a model call's output."""
    messages = _json(attributes.get("gen_ai.output.messages"))
    if isinstance(messages, list):
        texts, reasoning, calls = [], [], []
        for message in messages:
            for part in _parts(message):
                kind = part.get("type")
                if kind == "text":
                    texts.append(str(part.get("content", "")))
                elif kind == "reasoning":
                    reasoning.append(str(part.get("content", "")))
                elif kind == "tool_call":
                    arguments, raw = _arguments(part.get("arguments"))
                    calls.append(
                        ToolCall(
                            id=part.get("id") if isinstance(part.get("id"), str) else None,
                            name=str(part.get("name")),
                            arguments=arguments,
                            raw_arguments=raw,
                        )
                    )
        actions: list[Action] = [Reply(content="\n".join(texts))] if texts else []
        return "\n".join(reasoning) or None, [*actions, *calls], {"gen_ai.output.messages"}
    output = attributes.get("gen_ai.output")
    if not isinstance(output, str):
        return None, [], set()
    decoded = _json(output) if attributes.get("gen_ai.output.type") == "json" else None
    if (
        isinstance(decoded, list)
        and decoded
        and all(isinstance(item, dict) and "tool.name" in item for item in decoded)
    ):
        return None, [_any_agent_call(item) for item in decoded], {"gen_ai.output"}
    return None, [Reply(content=output)], {"gen_ai.output"}


def _any_agent_call(item: dict[str, Any]) -> ToolCall:
    arguments, raw = _arguments(item.get("tool.args"))
    return ToolCall(name=str(item["tool.name"]), arguments=arguments, raw_arguments=raw)


def _parts(message: Any) -> list[dict[str, Any]]:
    """The parts of a semantic-conventions message (OpenAI-style ones made into parts)."""
    if not isinstance(message, dict):
        return []
    if isinstance(message.get("parts"), list):
        return [part for part in message["parts"] if isinstance(part, dict)]
    parts = [{"type": "text", "content": message["content"]}] if message.get("content") else []
    for call in message.get("tool_calls") or []:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": function.get("arguments"),
            }
        )
    return parts


def _responses(message: Any) -> list[tuple[str | None, Any]]:
    """The ``(call id, response)`` pairs of a tool message in a model's input."""
    if not isinstance(message, dict):
        return []
    if message.get("role") == "tool" and "tool_call_id" in message:
        return [(message.get("tool_call_id"), message.get("content"))]
    return [
        (part.get("id"), part.get("response"))
        for part in _parts(message)
        if part.get("type") == "tool_call_response"
    ]


def _text(message: Any) -> str:
    """The text of an input message (its content, or its text parts joined)."""
    if isinstance(message, dict) and isinstance(message.get("content"), str):
        return str(message["content"])
    return "\n".join(
        str(part.get("content", "")) for part in _parts(message) if part.get("type") == "text"
    )


def _instructions(value: Any) -> str | None:
    """The system instructions: a string, or (the conventions' JSON) text parts joined."""
    decoded = _json(value)
    if isinstance(decoded, list):
        return _text({"parts": decoded})
    return value if isinstance(value, str) else None


def _arguments(value: Any) -> tuple[dict[str, Any], str | None]:
    if isinstance(value, dict):
        return value, None
    if isinstance(value, str):
        return parse_arguments(value)
    return {}, None


def _json(value: Any) -> Any:
    """A JSON attribute decoded (exporters write structured attributes as JSON strings)."""
    if not isinstance(value, str):
        return value
    try:
        return msgspec.json.decode(value)
    except (msgspec.DecodeError, RecursionError):
        return None


def _encode(value: Any) -> str:
    return "" if value is None else msgspec.json.encode(value).decode()


def _count(value: Any) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _COUNT_MAX
    return value if ok else None


def _total(values: Iterable[int | None]) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


FORMAT = import_format(
    "otel",
    "OpenTelemetry GenAI spans exported as JSON (one trajectory per trace, source=production)",
    convert,
    detect=detect,
)
