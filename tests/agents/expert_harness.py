"""What every expert's test needs: seeded tasks, one episode, cached runs per fault profile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from trajforge.agents.scripted import ScriptedExpert
from trajforge.envs import Environment, FaultProfile
from trajforge.run.episode import generate_episode
from trajforge.schema import (
    Finish,
    HandOff,
    Task,
    ToolCall,
    Trajectory,
    TrajectoryDecoder,
    encode,
)

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


def assert_written_down(
    trajectory: Trajectory, ends_with: tuple[type[Finish | HandOff], ...] = (Finish,)
) -> None:
    """The expert wrote its work down: a plan first, reasons for re-plans and for every call,
    state notes whose done items only grow, and a finish whose notes leave nothing on success."""
    first = trajectory.steps[0]
    assert first.plan is not None
    assert first.plan.steps
    done: list[str] = []
    for step in trajectory.steps:
        if step.plan is not None and step.plan.revision > 0:
            assert step.plan.reason
        for action in step.actions:
            if isinstance(action, ToolCall):
                assert action.rationale
        notes = step.state_notes
        assert notes is not None
        assert notes.done[: len(done)] == done  # done items only grow
        done = list(notes.done)
    final = trajectory.steps[-1].actions[0]
    assert isinstance(final, ends_with)
    if trajectory.outcome.status == "success":
        assert isinstance(final, Finish)
        assert trajectory.steps[-1].state_notes is not None
        assert trajectory.steps[-1].state_notes.remaining == []
        assert final.completed


def steps_per_level(
    clean: Sequence[Trajectory], flaky: Sequence[Trajectory]
) -> dict[int, list[int]]:
    """Check the recorded optimal step counts (a clean run's length; no more than a faulty
    run's) and return the clean runs' lengths by difficulty."""
    per_level: dict[int, list[int]] = {}
    for traj in clean:
        assert traj.metrics.optimal_steps == len(traj.steps)  # no faults, no retries
        per_level.setdefault(traj.task.difficulty or 0, []).append(len(traj.steps))
    for traj in flaky:
        assert traj.metrics.optimal_steps is not None
        assert traj.metrics.optimal_steps <= len(traj.steps)
    return per_level


def assert_decodes(trajectories: Sequence[Trajectory]) -> None:
    """Each trajectory survives encoding and strict decoding unchanged."""
    decoder = TrajectoryDecoder()
    for trajectory in trajectories:
        assert decoder.decode(encode(trajectory)) == trajectory


def assert_reproducible(
    tasks: Sequence[Task],
    episode: Episode,
    runs: Sequence[Trajectory],
    profile: str,
    indices: Sequence[int],
) -> None:
    """Running the same task, seed and profile again gives the same bytes."""
    for i in indices:
        assert encode(episode(tasks[i], i, profile)) == encode(runs[i])
