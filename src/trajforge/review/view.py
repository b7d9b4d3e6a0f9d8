"""A trajectory as the step-by-step page shows it: pretty JSON, results with their status,
injected faults marked on the results they hit, labels with who gave them and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import msgspec
from markupsafe import Markup

from trajforge.review.forms import TEXT_ACTIONS
from trajforge.schema import (
    Label,
    Step,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)


def pretty(value: Any) -> str:
    """``value`` as indented JSON."""
    return msgspec.json.format(msgspec.json.encode(value), indent=2).decode()


def pretty_text(text: str) -> str:
    """A tool result's text: indented when it is a JSON object or array, else as it is."""
    if text[:1] in ("{", "["):
        try:
            return msgspec.json.format(text, indent=2)
        except msgspec.DecodeError:
            return text
    return text


@lru_cache(maxsize=64)
def _options(values: tuple[str, ...], selected: str | None) -> Markup:
    return Markup("").join(
        Markup('<option value="{0}"{1}>{0}</option>').format(
            v, Markup(" selected") if v == selected else ""
        )
        for v in values
    )


def options(values: tuple[str, ...], selected: str | None) -> Markup:
    """The ``<option>``s of ``values``, ``selected`` marked (made once per value: a page of
    200 steps has 200 of these lists)."""
    return _options(values, selected)


@lru_cache(maxsize=16)
def quality_radios(checked: int | None) -> Markup:
    """The 1-5 quality radio buttons, ``checked`` marked."""
    return Markup("").join(
        Markup('<label><input type="radio" name="quality" value="{0}"{1}>{0}</label>').format(
            q, Markup(" checked") if q == checked else ""
        )
        for q in range(1, 6)
    )


@dataclass(slots=True)
class ActionView:
    """One action: its kind, what it says (tool name, text), its arguments as JSON."""

    index: int
    kind: str
    title: str
    text: str = ""
    arguments: str | None = None
    call_id: str | None = None
    rationale: str | None = None


@dataclass(slots=True)
class ObservationView:
    """One observation: a tool result (status, error kind, fault) or the user's message."""

    kind: str
    title: str
    text: str
    status: str | None = None
    error_kind: str | None = None
    latency_ms: float | None = None
    fault: str | None = None


@dataclass(slots=True)
class StepView:
    """One step of the page."""

    index: int
    reasoning: str | None
    plan: list[str]
    plan_note: str | None
    actions: list[ActionView]
    observations: list[ObservationView]
    notes: dict[str, list[str]]
    digest: str | None
    diff: str | None
    faults: list[str]
    labels: list[Label] = field(default_factory=list)


_KINDS: dict[type, str] = {cls: kind for kind, cls in TEXT_ACTIONS.items()}


def _action(index: int, action: Any) -> ActionView:
    if isinstance(action, ToolCall):
        return ActionView(
            index=index,
            kind="tool_call",
            title=action.name,
            arguments=pretty(action.arguments)
            if action.raw_arguments is None
            else action.raw_arguments,
            call_id=action.id,
            rationale=action.rationale,
        )
    kind = _KINDS.get(type(action), "action")
    return ActionView(index=index, kind=kind, title=kind, text=getattr(action, "content", ""))


def _observation(obs: Any, faults: dict[str | None, str]) -> ObservationView:
    if isinstance(obs, ToolResult):
        return ObservationView(
            kind="tool_result",
            title=obs.name or "result",
            text=pretty_text(obs.content),
            status=obs.status,
            error_kind=obs.error_kind,
            latency_ms=obs.latency_ms,
            fault=faults.get(obs.call_id) if obs.call_id is not None else None,
        )
    assert isinstance(obs, UserMessage)
    return ObservationView(kind="user", title=obs.name or "user", text=obs.content)


def step_view(index: int, step: Step) -> StepView:
    """The view of one step."""
    faults = {f.call_id: f.kind + (f": {f.detail}" if f.detail else "") for f in step.faults}
    notes = step.state_notes
    return StepView(
        index=index,
        reasoning=step.reasoning,
        plan=list(step.plan.steps) if step.plan else [],
        plan_note=(
            f"revision {step.plan.revision}" + (f": {step.plan.reason}" if step.plan.reason else "")
        )
        if step.plan and step.plan.revision
        else None,
        actions=[_action(j, a) for j, a in enumerate(step.actions)],
        observations=[_observation(o, faults) for o in step.observations],
        notes={"done": notes.done, "remaining": notes.remaining, "assumptions": notes.assumptions}
        if notes
        else {},
        digest=step.env_state_digest,
        diff=pretty(step.state_diff) if step.state_diff else None,
        faults=[
            f"{f.kind}"
            + (f" on {f.tool}" if f.tool else "")
            + (f": {f.detail}" if f.detail else "")
            for f in step.faults
        ],
        labels=list(step.labels),
    )


def trajectory_view(trajectory: Trajectory) -> list[StepView]:
    """The views of every step of ``trajectory``."""
    return [step_view(i, s) for i, s in enumerate(trajectory.steps)]
