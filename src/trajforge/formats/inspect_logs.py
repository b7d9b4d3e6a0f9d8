"""inspect_ai eval logs (``.json`` and ``.eval``): each sample's messages as a trajectory.

Logs are read as plain JSON (see :mod:`trajforge.formats.inspect_archives`); the inspect_ai
package is not needed. For each sample:

- a first ``system`` message is the system prompt, the ``user`` message before the first
  assistant message the instruction, later user messages are observed after the step before them;
- each ``assistant`` message is a step: its text (string content, or the text parts of a content
  list) a reply, its ``reasoning`` parts the reasoning, its ``tool_calls`` (``{id, function,
  arguments}``) tool calls; ``tool`` messages are their results (``error`` makes an ``error``
  result, its ``type`` the kind); ``attachment://`` references are replaced by the attachment;
- ``scores``: a single score whose value is a number, a boolean or inspect's ``C``/``I``/``P``/``N``
  (1, 0, 0.5, 0) is the ``outcome.source_reward``; all scores stay in extra with their
  explanations;
- the log's ``eval.model`` and ``model_generate_config`` are the generator, ``eval.task`` the
  task's domain, the sample's ``target`` ``task.parameters["target"]``, its ``model_usage`` token
  totals and ``total_time`` the metrics.

The sample's other keys (``metadata``, ``output``, ``store``, ids of each message...) are kept in
``provenance.extra`` under their place (``samples[0]``, ``samples[0].messages[3]``), the log's own
keys (``eval``, ``plan``, ``results``, ``stats``...) under ``$`` with its first sample only. A
sample's ``events`` and ``message_pool`` (a transcript that repeats the messages with every model
call's internals) and its ``attachments`` (once resolved) are not kept.
"""

from __future__ import annotations

from typing import Any, Final

from trajforge.formats.fields import expect, keep_unmapped, member
from trajforge.formats.importer import import_format
from trajforge.formats.inspect_archives import log_records
from trajforge.formats.transcript import Transcript
from trajforge.io.documents import SourceRecord
from trajforge.schema import Trajectory
from trajforge.schema.records import (
    Action,
    Generator,
    Metrics,
    Outcome,
    Provenance,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
)

#: inspect_ai's letter scores (CORRECT, INCORRECT, PARTIAL, NOANSWER) as numbers.
LETTER_SCORES: Final = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
ATTACHMENT: Final = "attachment://"
_DROPPED: Final = ("events", "message_pool", "attachments")
_SAMPLE_KEYS: Final = ("id", "epoch", "messages", "target", "total_time", *_DROPPED)


def convert(record: SourceRecord) -> list[Trajectory]:
    """The trajectory of each sample of a log record (one, as the log reader splits them)."""
    data = expect(record.data, dict, "$")
    samples = expect(data.get("samples") or [], list, "samples")
    header = {key: value for key, value in data.items() if key != "samples"}
    first = record.item in (None, 0)
    return [
        _sample(header, expect(sample, dict, f"samples[{i}]"), f"samples[{i}]", first and i == 0)
        for i, sample in enumerate(samples)
    ]


def detect(data: Any) -> bool:
    """Whether a record is an inspect_ai log: ``eval`` with a ``task`` and ``samples``."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("eval"), dict)
        and "task" in data["eval"]
        and isinstance(data.get("samples"), list)
    )


def _sample(header: dict[str, Any], sample: dict[str, Any], where: str, first: bool) -> Trajectory:
    evaluation = header["eval"] if isinstance(header.get("eval"), dict) else {}
    reader = _Messages(sample.get("attachments") or {})
    extra = reader.extra
    if first:
        keep_unmapped(extra, "$", header, ())
    for index, message in enumerate(member(sample, "messages", list, where)):
        at = f"{where}.messages[{index}]"
        reader.read(expect(message, dict, at), at)
    mapped = list(_SAMPLE_KEYS)
    if sample.get("input") == reader.instruction:
        mapped.append("input")
    keep_unmapped(extra, where, sample, mapped)
    target = sample.get("target")
    config = evaluation.get("model_generate_config")
    model = evaluation.get("model")
    return Trajectory(
        id=_id(evaluation, sample),
        task=Task(
            instruction=reader.instruction,
            domain=evaluation.get("task") if isinstance(evaluation.get("task"), str) else None,
            parameters={} if target in (None, "", []) else {"target": target},
        ),
        system_prompt=reader.system,
        steps=reader.steps,
        outcome=Outcome(source_reward=_reward(sample.get("scores"))),
        metrics=_metrics(sample),
        provenance=Provenance(
            generator=Generator(
                model=model if isinstance(model, str) else None,
                sampling=config if isinstance(config, dict) else {},
            ),
            extra=extra,
        ),
    )


def _id(evaluation: dict[str, Any], sample: dict[str, Any]) -> str:
    """``inspect-`` and the sample's uuid, or the eval's id, the sample id and the epoch."""
    if isinstance(sample.get("uuid"), str):
        return f"inspect-{sample['uuid']}"
    run = evaluation.get("eval_id") or evaluation.get("run_id") or evaluation.get("task_id")
    return f"inspect-{run}-{sample.get('id')}-{sample.get('epoch', 1)}"


def _reward(scores: Any) -> float | None:
    """The source reward of a sample with exactly one score that reads as a number."""
    if not isinstance(scores, dict) or len(scores) != 1:
        return None
    score = next(iter(scores.values()))
    value = score.get("value") if isinstance(score, dict) else None
    if isinstance(value, bool | int | float):
        return float(value)
    return LETTER_SCORES.get(value) if isinstance(value, str) else None


def _metrics(sample: dict[str, Any]) -> Metrics:
    usage = sample.get("model_usage")
    models = [u for u in usage.values() if isinstance(u, dict)] if isinstance(usage, dict) else []
    seconds = sample.get("total_time")

    def total(key: str) -> int | None:
        counts = [u[key] for u in models if isinstance(u.get(key), int) and u[key] >= 0]
        return sum(counts) if counts else None

    return Metrics(
        prompt_tokens=total("input_tokens"),
        completion_tokens=total("output_tokens"),
        wall_time_ms=seconds * 1000 if isinstance(seconds, int | float) and seconds >= 0 else None,
    )


class _Messages(Transcript):
    """Turns a sample's chat messages, in order, into the prompt, instruction and steps."""

    def __init__(self, attachments: Any) -> None:
        super().__init__()
        self.attachments = attachments if isinstance(attachments, dict) else {}

    def read(self, message: dict[str, Any], where: str) -> None:
        role = message.get("role")
        mapped = ["role", "content"]
        text = self._text(message.get("content"), where)
        if role == "assistant":
            self.steps.append(self._step(message, text, where, mapped))
        elif role == "tool" and self.steps:
            self.steps[-1].observations.append(self._result(message, text, where, mapped))
        else:
            self.place(role, text, f"{where}.role")
        keep_unmapped(self.extra, where, message, mapped)

    def _text(self, content: Any, where: str) -> str:
        """A message's text: a string, or its text parts joined (the list is then kept)."""
        if isinstance(content, str):
            return self._resolved(content)
        parts = expect(content, list, f"{where}.content")
        texts = [p.get("text") for p in parts if isinstance(p, dict) and p.get("type") == "text"]
        if len(texts) != len(parts):  # reasoning, images...: keep the parts as they were
            self.extra.setdefault(where, {})["content"] = parts
        return "\n".join(self._resolved(str(text)) for text in texts)

    def _resolved(self, text: str) -> str:
        if text.startswith(ATTACHMENT):
            found = self.attachments.get(text.removeprefix(ATTACHMENT))
            return found if isinstance(found, str) else text
        return text

    def _step(self, message: dict[str, Any], text: str, where: str, mapped: list[str]) -> Step:
        actions: list[Action] = [Reply(content=text)] if text else []
        for index, call in enumerate(message.get("tool_calls") or []):
            at = f"{where}.tool_calls[{index}]"
            spec = expect(call, dict, at)
            keep_unmapped(self.extra, at, spec, ("id", "function", "arguments"))
            actions.append(
                ToolCall(
                    id=member(spec, "id", str, at),
                    name=member(spec, "function", str, at),
                    arguments=expect(spec.get("arguments") or {}, dict, f"{at}.arguments"),
                )
            )
        mapped.append("tool_calls")
        content = message.get("content")
        reasoning = [
            str(part.get("reasoning"))
            for part in (content if isinstance(content, list) else [])
            if isinstance(part, dict) and part.get("type") == "reasoning"
        ]
        return Step(reasoning="\n".join(reasoning) or None, actions=actions)

    def _result(
        self, message: dict[str, Any], text: str, where: str, mapped: list[str]
    ) -> ToolResult:
        mapped += ["tool_call_id", "function", "error"]
        error = message.get("error")
        kind = error.get("type") if isinstance(error, dict) else None
        if error is not None:
            self.extra.setdefault(where, {})["error"] = error  # its message beside the kind
        call_id, name = message.get("tool_call_id"), message.get("function")
        return ToolResult(
            call_id=call_id if isinstance(call_id, str) else None,
            name=name if isinstance(name, str) else None,
            content=text,
            status="ok" if error is None else "error",
            error_kind=kind if isinstance(kind, str) else None,
        )


FORMAT = import_format(
    "inspect-ai",
    "inspect_ai eval logs (.json, .eval): each sample's messages; scores as source rewards",
    convert,
    detect=detect,
    records=log_records,
)
