"""A readable, step-by-step transcript of one trajectory, as rich renderables."""

from __future__ import annotations

import msgspec
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Reply,
    Step,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)
from trajforge.schema.records import Action, Observation

STATUS_STYLE = {"ok": "green", "error": "red", "timeout": "yellow", "partial": "yellow"}
OUTCOME_STYLE = {"success": "green", "partial": "yellow", "failure": "red", "unknown": "dim"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… (+{len(text) - limit} chars)"


def _action_line(action: Action, limit: int, reasoning: str | None = None) -> Text:
    if isinstance(action, ToolCall):
        args = action.raw_arguments if action.raw_arguments is not None else _args(action)
        line = Text.from_markup(f"[bold cyan]→ {escape(action.name)}[/]")
        line.append(f"({_clip(args, limit)})")
        if action.id:
            line.append(f"  #{action.id}", style="dim")
        if action.rationale and action.rationale not in (reasoning or ""):
            line.append(f"\n   because: {_clip(action.rationale, limit)}", style="italic dim")
        return line
    labels = {
        Reply: ("reply", "bold"),
        ClarifyingQuestion: ("asks", "bold magenta"),
        HandOff: ("hands off", "bold red"),
        Finish: ("finish", "bold green"),
    }
    label, style = labels[type(action)]
    return Text.assemble((f"{label}: ", style), _clip(action.content, limit))


def _args(call: ToolCall) -> str:
    return msgspec.json.encode(call.arguments).decode()


def observation_line(obs: Observation, limit: int) -> Text:
    """One observation as a styled line."""
    if isinstance(obs, UserMessage):
        return Text.assemble(("user: ", "bold blue"), _clip(obs.content, limit))
    assert isinstance(obs, ToolResult)
    style = STATUS_STYLE.get(obs.status, "white")
    head = (
        f"← {obs.name or 'result'} [{obs.status}{'/' + obs.error_kind if obs.error_kind else ''}]"
    )
    return Text.assemble((head, style), " ", _clip(obs.content, limit))


def _step_panel(index: int, step: Step, limit: int) -> Panel:
    parts: list[RenderableType] = []
    if step.reasoning:
        parts.append(Text(f"thinks: {_clip(step.reasoning, limit)}", style="italic"))
    if step.plan:
        plan = "; ".join(f"{i + 1}. {s}" for i, s in enumerate(step.plan.steps))
        rev = f" (revision {step.plan.revision}: {step.plan.reason})" if step.plan.revision else ""
        parts.append(Text(f"plan{rev}: {plan}", style="magenta"))
    parts.extend(_action_line(a, limit, step.reasoning) for a in step.actions)
    parts.extend(observation_line(o, limit) for o in step.observations)
    for fault in step.faults:
        parts.append(
            Text(f"⚡ fault: {fault.kind} on {fault.tool} ({fault.detail})", style="yellow")
        )
    if step.state_notes:
        notes = step.state_notes
        parts.append(
            Text(
                f"done: {len(notes.done)} · remaining: {len(notes.remaining)}"
                f" · assumptions: {len(notes.assumptions)}",
                style="dim",
            )
        )
    for label in step.labels:
        value = f"{label.value:.2f}" if label.value is not None else ""
        parts.append(Text(f"🏷 {label.name} {label.grade or ''} {value}".rstrip(), style="dim"))
    return Panel(Group(*parts), title=f"step {index}", title_align="left", border_style="dim")


def render_transcript(trajectory: Trajectory, *, max_chars: int = 400) -> Group:
    """The trajectory as a header, the user's request and one panel per step."""
    task = trajectory.task
    outcome = trajectory.outcome
    header = Text.assemble(
        (trajectory.id, "bold"),
        f"  env={task.environment or '-'}  source={trajectory.provenance.source}  ",
        (f"outcome={outcome.status}", OUTCOME_STYLE[outcome.status]),
        f" score={outcome.score:.2f}" if outcome.score is not None else "",
        f"  steps={len(trajectory.steps)}  tools={len(trajectory.tools)}",
    )
    parts: list[RenderableType] = [header]
    if trajectory.system_prompt:
        parts.append(Text(f"system: {_clip(trajectory.system_prompt, max_chars)}", style="dim"))
    if task.instruction is not None:
        parts.append(Text.assemble(("user: ", "bold blue"), _clip(task.instruction, max_chars)))
    parts.extend(_step_panel(i, s, max_chars) for i, s in enumerate(trajectory.steps))
    return Group(*parts)
