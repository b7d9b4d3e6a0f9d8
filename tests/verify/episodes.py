"""Trajectories for the verify tests: real episodes of every registered environment."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from trajforge.agents.base import Decision
from trajforge.agents.registry import expert_for, with_experts
from trajforge.envs.factory import make_environment
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.run.episode import (
    Budget,
    EpisodeRecorder,
    generate_episode,
    run_episode,
)
from trajforge.schema import Finish, Generator, Step, Task, ToolCall, Trajectory


class ExpectedActionsPolicy:
    """Plays a task's expected actions, one call a step, then finishes (envs with no expert)."""

    name = "expected-actions"

    def __init__(self, task: Task) -> None:
        self.task = task

    async def decide(self, steps: Sequence[Step]) -> Decision:
        k = len(steps)
        expected = self.task.expected_actions
        if k < len(expected):
            action = expected[k]
            return Decision(
                actions=[ToolCall(id=f"call_{k + 1}", name=action.name, arguments=action.arguments)]
            )
        return Decision(actions=[Finish(content="Done.")])


def episode(env: str, index: int = 0, *, faults: str = "none") -> Trajectory:
    """Episode ``index`` of environment ``env``: its expert if it has one, else expected actions."""
    cls = ENVIRONMENT_CLASSES[env]
    task = cls.sample_tasks(index + 1, seed=7)[index]
    seed = 1000 + index
    if env in with_experts():
        return generate_episode(
            cls, expert_for(env), task, trajectory_id=f"{env}-{index}", seed=seed, faults=faults
        )
    recorder = EpisodeRecorder(
        make_environment(cls, faults),
        task,
        trajectory_id=f"{env}-{index}",
        seed=seed,
        generator=Generator(policy="expected-actions", seed=seed),
        fault_profile=faults,
    )
    return asyncio.run(run_episode(recorder, ExpectedActionsPolicy(task), Budget()))


def with_faults(env: str, *, profile: str = "flaky", tries: int = 40) -> Trajectory:
    """An episode of ``env`` in which at least one fault was injected."""
    for index in range(tries):
        trajectory = episode(env, index, faults=profile)
        if any(step.faults for step in trajectory.steps):
            return trajectory
    raise AssertionError(f"no {profile} episode of {env} had a fault in {tries} tries")
