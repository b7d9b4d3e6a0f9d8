"""Harbor's Agent Trajectory Interchange Format (ATIF) to and from trajforge trajectories.

An ATIF trajectory (``{schema_version, session_id, agent, steps, ...}``, the RFC in
laude-institute/harbor ``docs/rfcs/0001-trajectory-format.md``; ADP writes ``ATIF-v1.7``) maps:

- ``session_id`` is the trajectory id; ``agent.name`` and ``agent.model_name`` the generator's
  policy and model; ``agent.tool_definitions`` (OpenAI-style ``{type: function, function}``) the
  tools; ``final_metrics.total_prompt_tokens``/``total_completion_tokens`` the metrics;
- a first ``system`` step is the system prompt, the ``user`` step before any agent step the
  instruction, a later ``user`` step a user message observed after the agent step before it;
- each ``agent`` step is a step: ``message`` a reply (none when ``""``), ``reasoning_content`` the
  reasoning, ``tool_calls`` tool calls, ``observation.results`` their tool results (by
  ``source_call_id``), ``metrics.prompt_tokens``/``completion_tokens`` the step's usage.

Everything else -- ``schema_version``, ``trajectory_id``, ``notes``, ``extra`` objects, timestamps,
per-step ``model_name``, cached tokens, costs, logprobs, multimodal message parts, keys the spec
does not know -- is kept in ``provenance.extra`` under its place in the record (``$``, ``agent``,
``steps[3]``, ``steps[3].metrics``, ``steps[3].tool_calls[0]``, ``steps[3].observation.results[1]``)
and put back on export, so import then export gives the same object. Exporting another
trajectory gives its actions' text as messages (a clarifying question, hand-off or finish become
a plain message), calls without ids ids of the form ``call_<step>_<n>``, and results' statuses
are not written (ATIF has no field for them). A system step after the first step, or a second user
step before the first agent step, has no place in trajforge's records: such records are set aside.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import msgspec

from trajforge.formats.atif_export import FUNCTION_KEYS, NAME, write
from trajforge.formats.fields import expect, keep_unmapped, member
from trajforge.formats.importer import import_format
from trajforge.formats.transcript import Transcript
from trajforge.io.documents import SourceRecord
from trajforge.schema import Trajectory
from trajforge.schema.records import (
    Action,
    Generator,
    Metrics,
    Observation,
    Provenance,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)

MAX_COUNT: Final = 2**63 - 1


# ---------------------------------------------------------------- import


def atif_to_trajectory(data: Any) -> Trajectory:
    """One ATIF trajectory object as a Trajectory (ConversionError with a field path)."""
    record = expect(data, dict, "$")
    reader = _StepReader()
    extra = reader.extra
    mapped = ["steps", *_present(record, ("session_id",), str)]
    agent = record.get("agent")
    tools = None
    if isinstance(agent, dict):
        mapped.append("agent")
        tools = _tools(agent.get("tool_definitions"))
        agent_keys = _present(agent, ("name", "model_name"), str)
        if tools:  # [] stays as it was: no tools export no definitions
            agent_keys.append("tool_definitions")
        keep_unmapped(extra, "agent", agent, agent_keys)
    for index, step in enumerate(member(record, "steps", list, "$")):
        reader.read(expect(step, dict, f"steps[{index}]"), index)
    metrics = _final_metrics(record.get("final_metrics"), extra)
    if metrics is not None:
        mapped.append("final_metrics")
    keep_unmapped(extra, "$", record, mapped)
    return Trajectory(
        id=_id(record),
        task=Task(instruction=reader.instruction),
        tools=tools or [],
        system_prompt=reader.system,
        steps=reader.steps,
        metrics=metrics or Metrics(),
        provenance=Provenance(
            generator=_generator(agent if isinstance(agent, dict) else {}),
            original_format=NAME,
            extra=extra,
        ),
    )


def _present(obj: dict[str, Any], keys: tuple[str, ...], kind: type) -> list[str]:
    """Which of ``keys`` hold a ``kind`` (the others stay unmapped, ``null`` included)."""
    return [key for key in keys if isinstance(obj.get(key), kind)]


def _id(record: dict[str, Any]) -> str:
    for key in ("session_id", "trajectory_id"):
        if isinstance(record.get(key), str):
            return str(record[key])
    digest = hashlib.blake2b(msgspec.json.encode(record, order="sorted"), digest_size=16)
    return "atif-" + digest.hexdigest()


def _generator(agent: dict[str, Any]) -> Generator | None:
    policy, model = agent.get("name"), agent.get("model_name")
    if not isinstance(policy, str) and not isinstance(model, str):
        return None
    return Generator(
        policy=policy if isinstance(policy, str) else None,
        model=model if isinstance(model, str) else None,
    )


def _tools(definitions: Any) -> list[ToolSpec] | None:
    """The tools of ``agent.tool_definitions`` when every one is an OpenAI-style function that
    exports back the same, else None (the definitions are then kept in extra as they are)."""
    if not isinstance(definitions, list):
        return None
    tools = []
    for item in definitions:
        if not (isinstance(item, dict) and set(item) == {"type", "function"}):
            return None
        function = item["function"]
        if item["type"] != "function" or not _plain_function(function):
            return None
        tools.append(msgspec.convert(function, ToolSpec))
    return tools


def _plain_function(function: Any) -> bool:
    return (
        isinstance(function, dict)
        and set(function) <= set(FUNCTION_KEYS)
        and isinstance(function.get("name"), str)
        and isinstance(function.get("description", ""), str)
        and isinstance(function.get("parameters", {}), dict)
        and isinstance(function.get("strict", False), bool)
    )


def _final_metrics(value: Any, extra: dict[str, Any]) -> Metrics | None:
    if not isinstance(value, dict):
        return None
    mapped = _counts(value, ("total_prompt_tokens", "total_completion_tokens"))
    if not mapped:
        return None
    keep_unmapped(extra, "final_metrics", value, mapped)
    return Metrics(
        prompt_tokens=value.get("total_prompt_tokens") if "total_prompt_tokens" in mapped else None,
        completion_tokens=(
            value.get("total_completion_tokens") if "total_completion_tokens" in mapped else None
        ),
    )


def _counts(obj: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """Which of ``keys`` hold token counts (non-negative integers)."""
    return [
        key
        for key in keys
        if isinstance(obj.get(key), int)
        and not isinstance(obj[key], bool)
        and 0 <= obj[key] <= MAX_COUNT
    ]


class _StepReader(Transcript):
    """Turns ATIF steps, in order, into the system prompt, instruction and trajforge steps."""

    def read(self, step: dict[str, Any], index: int) -> None:
        where = f"steps[{index}]"
        source = step.get("source")
        mapped = ["source", "message"]
        if step.get("step_id") == index + 1:
            mapped.append("step_id")
        text = self._message(step, where)
        if source == "agent":
            self.steps.append(self._agent(step, where, text, mapped))
        else:
            self.place(source, text, f"{where}.source")
        keep_unmapped(self.extra, where, step, mapped)

    def _message(self, step: dict[str, Any], where: str) -> str:
        """The message text; parts (text and images) are joined, and kept whole in extra."""
        message = step.get("message", "")
        if isinstance(message, str):
            return message
        parts = expect(message, list, f"{where}.message")
        self.extra.setdefault(where, {})["message"] = parts
        return "\n".join(
            part["text"] for part in parts if isinstance(part, dict) and "text" in part
        )

    def _agent(self, step: dict[str, Any], where: str, text: str, mapped: list[str]) -> Step:
        actions: list[Action] = [Reply(content=text)] if text else []
        calls = step.get("tool_calls")
        if isinstance(calls, list) and calls:
            actions.extend(
                self._call(call, f"{where}.tool_calls[{i}]") for i, call in enumerate(calls)
            )
            mapped.append("tool_calls")
        names = {a.id: a.name for a in actions if isinstance(a, ToolCall)}
        observations = self._results(step.get("observation"), f"{where}.observation", names)
        if observations:
            mapped.append("observation")
        usage = self._usage(step.get("metrics"), f"{where}.metrics")
        if usage is not None:
            mapped.append("metrics")
        reasoning = step.get("reasoning_content")
        if isinstance(reasoning, str):
            mapped.append("reasoning_content")
        return Step(
            reasoning=reasoning if isinstance(reasoning, str) else None,
            actions=actions,
            observations=observations,
            usage=usage,
        )

    def _call(self, call: Any, where: str) -> ToolCall:
        spec = expect(call, dict, where)
        keep_unmapped(self.extra, where, spec, ("tool_call_id", "function_name", "arguments"))
        return ToolCall(
            id=member(spec, "tool_call_id", str, where),
            name=member(spec, "function_name", str, where),
            arguments=expect(spec.get("arguments", {}), dict, f"{where}.arguments"),
        )

    def _results(self, value: Any, where: str, names: dict[str | None, str]) -> list[Observation]:
        if not isinstance(value, dict) or not isinstance(value.get("results"), list):
            return []
        results: list[Observation] = []
        for index, item in enumerate(value["results"]):
            path = f"{where}.results[{index}]"
            result = expect(item, dict, path)
            call_id = result.get("source_call_id")
            content = result.get("content")
            mapped = _present(result, ("source_call_id", "content"), str)
            keep_unmapped(self.extra, path, result, mapped)
            results.append(
                ToolResult(
                    call_id=call_id if isinstance(call_id, str) else None,
                    name=names.get(call_id) if isinstance(call_id, str) else None,
                    content=content if isinstance(content, str) else "",
                )
            )
        if results:
            keep_unmapped(self.extra, where, value, ("results",))
        return results

    def _usage(self, value: Any, where: str) -> Usage | None:
        if not isinstance(value, dict):
            return None
        mapped = _counts(value, ("prompt_tokens", "completion_tokens"))
        if not mapped:
            return None
        keep_unmapped(self.extra, where, value, mapped)
        return Usage(
            prompt_tokens=value["prompt_tokens"] if "prompt_tokens" in mapped else None,
            completion_tokens=value["completion_tokens"] if "completion_tokens" in mapped else None,
        )


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of one ATIF object."""
    return [atif_to_trajectory(record.data)]


def detect(data: Any) -> bool:
    """Whether a record is an ATIF trajectory: a ``steps`` list and an ``ATIF-`` schema version."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("steps"), list)
        and str(data.get("schema_version", "")).startswith("ATIF-")
    )


FORMAT = import_format(
    NAME,
    "Harbor's Agent Trajectory Interchange Format (ATIF); written as JSON lines",
    convert,
    detect=detect,
    write=write,
)
