"""Corrections with lineage: a reviewer edits a tool call's arguments or replaces an action (by
a call of another tool, its arguments checked against that tool's schema, or by a reply, a
question, a hand-off or a finish), the rest of the episode is re-run in the environment from
there, and the result is a new trajectory whose provenance names the original (left untouched)
and the corrected step."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import msgspec

from trajforge.agents.base import Decision
from trajforge.agents.users import ScriptedUser
from trajforge.envs.factory import make_environment
from trajforge.envs.faults import PROFILES
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.errors import ConfigError, InputError
from trajforge.review.forms import TEXT_ACTIONS, text_action
from trajforge.run.episode import EpisodeRecorder
from trajforge.schema import (
    Action,
    Label,
    LabelSource,
    StageRecord,
    Step,
    ToolCall,
    ToolSpec,
    Trajectory,
)
from trajforge.verify.replay import replay_seed
from trajforge.verify.schemas import compile_schema


def edited_action(trajectory: Trajectory, step: int, action: int) -> Action:
    """The action a correction replaces; a ConfigError when there is none there."""
    if not 0 <= step < len(trajectory.steps):
        raise ConfigError(f"no step {step}", path="step")
    actions = trajectory.steps[step].actions
    if not 0 <= action < len(actions):
        raise ConfigError(f"step {step} has no action {action}", path="action")
    return actions[action]


def kind_of(action: Action) -> str:
    """What a correction form calls ``action``: its tool's name, or reply/ask/handoff/finish."""
    if isinstance(action, ToolCall):
        return action.name
    return next(kind for kind, cls in TEXT_ACTIONS.items() if isinstance(action, cls))


def replacement(
    tools: list[ToolSpec], original: Action, kind: str, arguments: Any, content: str
) -> Action:
    """The action a reviewer puts in place of ``original``: the text action ``kind`` saying
    ``content``, or a call of the tool ``kind`` with ``arguments`` (valid under its schema;
    it keeps the original's call id when that was a call)."""
    if kind in TEXT_ACTIONS:
        return text_action(kind, content)
    checked = check_arguments(tools, kind, arguments)
    if isinstance(original, ToolCall):
        return msgspec.structs.replace(original, name=kind, arguments=checked, raw_arguments=None)
    digest = hashlib.sha256(msgspec.json.encode([kind, checked])).hexdigest()[:12]
    return ToolCall(id=f"call_review_{digest}", name=kind, arguments=checked)


def check_arguments(tools: list[ToolSpec], name: str, arguments: Any) -> dict[str, Any]:
    """``arguments`` if they are a JSON object valid under the JSON Schema of the tool ``name``
    among ``tools``; an InputError saying where they are not."""
    if not isinstance(arguments, dict):
        raise InputError("the arguments must be a JSON object", path="arguments")
    spec = next((t for t in tools if t.name == name), None)
    if spec is None:
        raise InputError(f"no tool {name!r} is declared", path="arguments")
    problem = compile_schema(spec.parameters).check(arguments)
    if problem is not None:
        raise InputError(
            f"the arguments do not match the schema of {name}: {problem.message}",
            path=f"arguments{problem.path}",
            hint=f"the schema's {problem.rule!r} rule",
        )
    return arguments


def correct(
    trajectory: Trajectory,
    step: int,
    action: int,
    new: Action,
    *,
    reviewer: str,
    new_id: str,
) -> Trajectory:
    """``trajectory`` with ``steps[step].actions[action]`` replaced by ``new`` (see
    :func:`replacement`) and every later action re-run in its environment (observations, state
    digests and outcome anew); steps before ``step`` stay as recorded. Its provenance points
    at the original."""
    original = edited_action(trajectory, step, action)
    return asyncio.run(_rerun(trajectory, step, action, original, new, reviewer, new_id))


async def _rerun(
    trajectory: Trajectory,
    k: int,
    j: int,
    original: Action,
    new: Action,
    reviewer: str,
    new_id: str,
) -> Trajectory:
    task = trajectory.task
    cls = ENVIRONMENT_CLASSES.get(task.environment or "")
    if cls is None:
        raise ConfigError(
            f"the environment {task.environment!r} is not registered here: the rest of the "
            "episode cannot be re-run",
            hint="corrections re-run episodes of trajforge's environments (trajforge envs list)",
        )
    profile = trajectory.provenance.fault_profile or "none"
    if profile not in PROFILES:
        raise ConfigError(f"the fault profile {profile!r} cannot be replayed")
    env = make_environment(cls, profile)
    recorder = EpisodeRecorder(
        env,
        task,
        trajectory_id=new_id,
        user=ScriptedUser(task, cls.hidden_info_keys),
        seed=replay_seed(trajectory),
        source=trajectory.provenance.source,
        generator=trajectory.provenance.generator,
        fault_profile=trajectory.provenance.fault_profile,
    )
    label = _correction_label(original, new, reviewer, f"steps[{k}].actions[{j}]")
    for i, step in enumerate(trajectory.steps):
        if recorder.done:
            break
        actions = list(step.actions)
        if i == k:
            actions[j] = new
        await recorder.act(_decision(step, actions, [label] if i == k else []))
    steps: list[Step] = [*trajectory.steps[:k], *recorder.steps[k:]]
    recorder.steps = steps
    result = recorder.trajectory(
        optimal_steps=trajectory.metrics.optimal_steps, system_prompt=trajectory.system_prompt
    )
    result.tools = list(trajectory.tools)
    provenance = result.provenance
    provenance.parent_id = trajectory.id
    provenance.branch_step = k
    provenance.stages = [*trajectory.provenance.stages, StageRecord(name="review-correction")]
    return result


def _correction_label(original: Action, new: Action, reviewer: str, target: str) -> Label:
    """The human label on the corrected step: what was there and what the reviewer put."""
    before, after = kind_of(original), kind_of(new)
    if isinstance(original, ToolCall) and isinstance(new, ToolCall) and before == after:
        rationale = f"the arguments of {before} were corrected by a reviewer"
        details = {"original": original.arguments, "corrected": new.arguments}
    else:
        rationale = f"a reviewer replaced the {before} action by {after}"
        details = {"original": msgspec.to_builtins(original), "corrected": msgspec.to_builtins(new)}
    return Label(
        name="correction",
        source=LabelSource(kind="human", id=reviewer),
        grade="corrected",
        rationale=rationale,
        target=target,
        details=details,
    )


def _decision(step: Step, actions: list[Any], labels: list[Label]) -> Decision:
    return Decision(
        actions=actions,
        reasoning=step.reasoning,
        plan=step.plan,
        notes=step.state_notes,
        usage=step.usage,
        labels=list(labels),
    )
