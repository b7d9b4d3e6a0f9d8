"""What every expert's test needs: seeded tasks, one episode, cached runs per fault profile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from trajforge.agents.experts.script import ScriptedExpert
from trajforge.envs import Environment, FaultProfile
from trajforge.run.episode import generate_episode
from trajforge.schema import Task, ToolCall, Trajectory

Episode = Callable[..., Trajectory]


def expert_harness(
    env: type[Environment], expert: type[ScriptedExpert], n_tasks: int, seed: int = 2024
) -> tuple[Callable[[], tuple[Task, ...]], Episode, Callable[[str], tuple[Trajectory, ...]]]:
    """``tasks()``, ``episode(task, i, faults)`` and ``runs(profile)`` for one environment."""

    @cache
    def tasks() -> tuple[Task, ...]:
        return tuple(env.sample_tasks(n_tasks, seed=seed))

    def episode(task: Task, i: int, faults: str | FaultProfile = "none") -> Trajectory:
        return generate_episode(
            env, expert, task, trajectory_id=f"{env.name}-{i}", seed=i, faults=faults
        )

    @cache
    def runs(profile: str) -> tuple[Trajectory, ...]:
        return tuple(episode(task, i, profile) for i, task in enumerate(tasks()))

    return tasks, episode, runs


def success_rate(trajectories: Sequence[Trajectory]) -> float:
    """The share of trajectories whose outcome is a success."""
    return sum(t.outcome.status == "success" for t in trajectories) / len(trajectories)


def calls(trajectory: Trajectory) -> list[ToolCall]:
    """Every tool call of a trajectory, in order."""
    return [a for s in trajectory.steps for a in s.actions if isinstance(a, ToolCall)]
