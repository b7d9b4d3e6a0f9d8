"""The work of a run, item by item: which task, which seeds, which id; all derived, never drawn."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from trajforge.envs.base import derive_seed
from trajforge.envs.registry import get_environment
from trajforge.run.spec import MixSpec, RunSpec
from trajforge.schema import Task


@dataclass(frozen=True)
class WorkItem:
    """One episode to generate (plus its branches)."""

    index: int
    mix_index: int
    mix: MixSpec
    task: Task
    seed: int
    trajectory_id: str


def agent_label(mix: MixSpec) -> str:
    """How the agent is named in ids and provenance."""
    label: str = mix.agent
    if mix.mistakes:
        label += f"+mistakes{mix.mistakes:g}" + ("" if mix.recover else "-norecover")
    return label


def trajectory_id(mix: MixSpec, task: Task, seed: int) -> str:
    """A stable id from the task, the agent and the seed."""
    key = "\x1f".join(
        map(
            str, (mix.env, task.seed, task.difficulty, agent_label(mix), mix.faults, mix.user, seed)
        )
    )
    return f"{mix.env}-{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}"


def make_item(spec: RunSpec, index: int) -> WorkItem:
    """The ``index``-th item of the run (mixes in order)."""
    offset = index
    for m, (mix, count) in enumerate(zip(spec.mix, spec.counts(), strict=True)):
        if offset < count:
            cls = get_environment(mix.env)
            levels = sorted(cls.difficulty_levels) or [1]
            level = mix.difficulty if mix.difficulty is not None else levels[offset % len(levels)]
            task = cls.generate_task(derive_seed(spec.seed, "task", m, offset) >> 16, level)
            seed = derive_seed(spec.seed, "episode", m, offset) >> 16
            return WorkItem(index, m, mix, task, seed, trajectory_id(mix, task, seed))
        offset -= count
    raise IndexError(index)


def items(spec: RunSpec, indices: Iterator[int] | range) -> Iterator[WorkItem]:
    """The items with these indices, made lazily."""
    for index in indices:
        yield make_item(spec, index)
