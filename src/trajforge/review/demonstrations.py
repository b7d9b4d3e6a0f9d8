"""Demonstrations: an expert builds a trajectory in a real environment, one decision at a time.

The decisions are kept in the database; each request rebuilds the episode by replaying them in
a fresh environment (environments are deterministic), so any server process can serve the next
one and nothing lives in memory between requests.
"""

from __future__ import annotations

import asyncio

import msgspec

from trajforge import __version__
from trajforge.agents.base import Decision
from trajforge.agents.users import ScriptedUser
from trajforge.envs.registry import get_environment
from trajforge.errors import ConfigError
from trajforge.run.episode import EpisodeRecorder
from trajforge.schema import Generator, Label, LabelSource, StageRecord, Task, Trajectory

_decisions = msgspec.json.Decoder(list[Decision])


def new_task(environment: str, seed: int, difficulty: int | None) -> Task:
    """The task of ``environment`` for ``seed`` (at ``difficulty``, else its first level)."""
    cls = get_environment(environment)
    levels = sorted(cls.difficulty_levels) or [1]
    level = difficulty if difficulty is not None else levels[0]
    if cls.difficulty_levels and level not in cls.difficulty_levels:
        raise ConfigError(f"{environment} has no difficulty {level}", path="difficulty")
    return cls.generate_task(seed, level)


def decode_decisions(data: str) -> list[Decision]:
    """The decisions a demonstration row holds."""
    return _decisions.decode(data)


def encode_decisions(decisions: list[Decision]) -> str:
    """The decisions as a demonstration row holds them."""
    return msgspec.json.encode(decisions).decode()


def replay(
    environment: str, task: Task, decisions: list[Decision], trajectory_id: str
) -> EpisodeRecorder:
    """The episode after ``decisions``, rebuilt in a fresh environment."""
    cls = get_environment(environment)
    recorder = EpisodeRecorder(
        cls(),
        task,
        trajectory_id=trajectory_id,
        user=ScriptedUser(task, cls.hidden_info_keys),
        seed=task.seed,
        source="human",
    )

    async def run() -> None:
        for decision in decisions:
            await recorder.act(decision)

    asyncio.run(run())
    return recorder


def finished_trajectory(
    recorder: EpisodeRecorder, expert: str, system_prompt: str | None
) -> Trajectory:
    """The demonstration as a trajectory: source human, generator ``human:<expert>``, and a
    ``demonstration`` label naming the expert."""
    trajectory = recorder.trajectory(system_prompt=system_prompt)
    trajectory.provenance.generator = Generator(policy=f"human:{expert}", seed=recorder.task.seed)
    trajectory.provenance.stages.append(
        StageRecord(name="review-demonstration", version=__version__)
    )
    trajectory.labels.append(
        Label(
            name="demonstration",
            source=LabelSource(kind="human", id=expert),
            grade="expert",
            rationale="built step by step by an expert in the review workspace",
        )
    )
    return trajectory
