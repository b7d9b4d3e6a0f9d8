"""One trajectory as plain texts for the HTML report, step by step (the page escapes them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import msgspec

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import is_mistake
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Label,
    Reply,
    Step,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)
from trajforge.schema.records import Action, Observation

#: Characters of one text shown before it is cut.
LIMIT: Final = 800
_OPTIONS = ExportOptions()
_TEXT_ACTIONS: Final = {
    Reply: "reply",
    ClarifyingQuestion: "asks",
    HandOff: "hands off",
    Finish: "finish",
}


@dataclass(frozen=True)
class Item:
    """One line of a step: what it is (``css`` class), a short head and the text."""

    css: str
    head: str
    text: str


@dataclass(frozen=True)
class StepView:
    """A step: its index, its lines, and whether its labels make it a mistake."""

    index: int
    items: list[Item]
    mistake: bool


@dataclass(frozen=True)
class TrajectoryView:
    """A trajectory's header facts and its steps."""

    id: str
    facts: list[tuple[str, str]]
    system_prompt: str | None
    instruction: str | None
    steps: list[StepView]


def clip(text: str, limit: int = LIMIT) -> str:
    """``text``, cut at ``limit`` characters with how many more there were."""
    return text if len(text) <= limit else f"{text[:limit]}… (+{len(text) - limit:,} chars)"


def _action(action: Action) -> Item:
    if isinstance(action, ToolCall):
        args = action.raw_arguments
        if args is None:
            args = msgspec.json.encode(action.arguments).decode()
        why = f"  (because: {action.rationale})" if action.rationale else ""
        return Item("call", f"→ {action.name}", clip(args + why))
    return Item(type(action).__name__.lower(), _TEXT_ACTIONS[type(action)], clip(action.content))


def _observation(obs: Observation) -> Item:
    if isinstance(obs, UserMessage):
        return Item("user", "user", clip(obs.content))
    assert isinstance(obs, ToolResult)
    status = obs.status + (f"/{obs.error_kind}" if obs.error_kind else "")
    return Item(f"result {obs.status}", f"← {obs.name or 'result'} [{status}]", clip(obs.content))


def _label(label: Label) -> Item:
    value = "" if label.value is None else f" {label.value:.2f}"
    source = label.source.kind + (f":{label.source.id}" if label.source.id else "")
    head = f"{label.name} {label.grade or ''}{value}".strip()
    return Item("label", f"label: {head}", clip(f"{source}: {label.rationale or ''}".rstrip(": ")))


def _step(index: int, step: Step) -> StepView:
    items: list[Item] = []
    if step.reasoning:
        items.append(Item("thinks", "thinks", clip(step.reasoning)))
    if step.plan:
        plan = "; ".join(f"{i + 1}. {s}" for i, s in enumerate(step.plan.steps))
        items.append(Item("plan", f"plan (revision {step.plan.revision})", clip(plan)))
    items += [_action(action) for action in step.actions]
    items += [_observation(obs) for obs in step.observations]
    for fault in step.faults:
        detail = f"{fault.kind} on {fault.tool or '-'}" + (
            f": {fault.detail}" if fault.detail else ""
        )
        items.append(Item("fault", "⚡ fault", clip(detail)))
    items += [_label(label) for label in step.labels]
    return StepView(index, items, is_mistake(step, _OPTIONS))


def trajectory_view(trajectory: Trajectory) -> TrajectoryView:
    """The view of ``trajectory``."""
    outcome = trajectory.outcome
    score = "-" if outcome.score is None else f"{outcome.score:.2f}"
    facts = [
        ("environment", trajectory.task.environment or "-"),
        ("source", trajectory.provenance.source),
        ("outcome", outcome.status),
        ("score", score),
        ("steps", str(len(trajectory.steps))),
    ]
    prompt = trajectory.system_prompt
    return TrajectoryView(
        id=trajectory.id,
        facts=facts,
        system_prompt=None if prompt is None else clip(prompt, 400),
        instruction=trajectory.task.instruction,
        steps=[_step(i, step) for i, step in enumerate(trajectory.steps)],
    )
