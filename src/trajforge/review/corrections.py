"""Corrections with lineage: a reviewer edits a tool call's arguments, the rest of the episode
is re-run in the environment from there, and the result is a new trajectory whose provenance
names the original (left untouched) and the corrected step."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from trajforge.agents.base import Decision
from trajforge.agents.users import ScriptedUser
from trajforge.envs.factory import make_environment
from trajforge.envs.faults import PROFILES
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.errors import ConfigError, InputError
from trajforge.run.episode import EpisodeRecorder
from trajforge.schema import (
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


def edited_call(trajectory: Trajectory, step: int, action: int) -> ToolCall:
    """The tool call a correction edits; a ConfigError when there is none there."""
    if not 0 <= step < len(trajectory.steps):
        raise ConfigError(f"no step {step}", path="step")
    actions = trajectory.steps[step].actions
    if not 0 <= action < len(actions) or not isinstance(actions[action], ToolCall):
        raise ConfigError(f"step {step} has no tool call {action}", path="action")
    call = actions[action]
    assert isinstance(call, ToolCall)
    return call


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
    arguments: dict[str, Any],
    *,
    reviewer: str,
    new_id: str,
) -> Trajectory:
    """``trajectory`` with the arguments of ``steps[step].actions[action]`` replaced and every
    later action re-run in its environment (observations, state digests and outcome anew);
    steps before ``step`` stay as recorded. Its provenance points at the original."""
    call = edited_call(trajectory, step, action)
    arguments = check_arguments(trajectory.tools, call.name, arguments)
    return asyncio.run(_rerun(trajectory, step, action, call, arguments, reviewer, new_id))


async def _rerun(
    trajectory: Trajectory,
    k: int,
    j: int,
    call: ToolCall,
    arguments: dict[str, Any],
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
    fixed = msgspec.structs.replace(call, arguments=arguments)
    label = Label(
        name="correction",
        source=LabelSource(kind="human", id=reviewer),
        grade="corrected",
        rationale=f"the arguments of {call.name} were corrected by a reviewer",
        target=f"steps[{k}].actions[{j}]",
        details={"original": call.arguments, "corrected": arguments},
    )
    for i, step in enumerate(trajectory.steps):
        if recorder.done:
            break
        actions = list(step.actions)
        if i == k:
            actions[j] = fixed
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


def _decision(step: Step, actions: list[Any], labels: list[Label]) -> Decision:
    return Decision(
        actions=actions,
        reasoning=step.reasoning,
        plan=step.plan,
        notes=step.state_notes,
        usage=step.usage,
        labels=list(labels),
    )
