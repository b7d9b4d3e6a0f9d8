"""Preference pairs from trajectories of one task: at the branch point of a trajectory tree, and
as whole trajectories otherwise.

Trajectories are of one task when their task, system prompt and tools are the same. Two of a task
that belong to one tree (``provenance.parent_id`` / ``branch_step`` lead to a common ancestor,
present or not) share the steps before the earliest branch point between them: the shared steps
are the prompt and the rest of each is its continuation (the prefix is checked step by step, and
cut where the steps differ). Two that are not in one tree are compared whole, from the task on.
The better continuation (:mod:`trajforge.formats.ranking`, with the margin) is chosen; a pair is
never a trajectory with itself (same id), two identical continuations, nor across tasks.

Memory: trajectories are grouped while they come *consecutively* (``trajforge generate`` writes
a tree's trajectories together), so one group is held at a time. A task whose records come again
after another task's is paired within each run only and counted in the details as split; telling
that costs a 16-byte digest per task seen.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import combinations, groupby
from typing import Generic, TypeVar

import msgspec

from trajforge.formats.export_options import ExportOptions
from trajforge.formats.ranking import prefer, quality
from trajforge.schema import Step, Trajectory

T = TypeVar("T")

SPLIT = "task groups split (records of a task not consecutive)"
NO_PREFERENCE = "pairs without a preference (ties, or within the margin)"
IDENTICAL = "pairs of identical trajectories"
SAME_ID = "pairs of a trajectory with itself (same id)"
NOTHING_AFTER = "pairs where one ends at the branch point"


@dataclass(frozen=True)
class Pair(Generic[T]):
    """A preference pair: two trajectories (with what was rendered of each) and the number of
    steps they share, which make the prompt."""

    chosen: tuple[Trajectory, T]
    rejected: tuple[Trajectory, T]
    prefix: int
    tree: bool
    """Whether the two branch from one tree (else they are whole runs of one task)."""


def task_key(trajectory: Trajectory) -> bytes:
    """A digest of what makes two trajectories' prompts the same: task, system prompt, tools."""
    parts = (trajectory.task, trajectory.system_prompt, trajectory.tools)
    encoded = msgspec.json.encode(parts, order="sorted")
    return hashlib.blake2b(encoded, digest_size=16).digest()


def task_groups(
    items: Iterable[tuple[Trajectory, T]], details: Counter[str]
) -> Iterator[list[tuple[Trajectory, T]]]:
    """Runs of consecutive items of one task (see the module on memory and split tasks)."""
    seen: set[bytes] = set()
    for key, run in groupby(items, key=lambda item: task_key(item[0])):
        if key in seen:
            details[SPLIT] += 1
        seen.add(key)
        yield list(run)


def pairs(
    group: list[tuple[Trajectory, T]], options: ExportOptions, details: Counter[str]
) -> Iterator[Pair[T]]:
    """The preference pairs of one task's trajectories, in input order."""
    lineage = {t.id: (t.provenance.parent_id, t.provenance.branch_step) for t, _ in group}
    for a, b in combinations(group, 2):
        first, second = a[0], b[0]
        if first.id == second.id:
            details[SAME_ID] += 1
            continue
        if (
            _same_steps(first.steps, second.steps, math.inf)
            == len(first.steps)
            == len(second.steps)
        ):
            details[IDENTICAL] += 1
            continue
        bound = _tree_prefix(first.id, second.id, lineage)
        prefix = 0 if bound is None else _same_steps(first.steps, second.steps, bound)
        if prefix in (len(first.steps), len(second.steps)):
            details[NOTHING_AFTER] += 1
            continue
        order = prefer(
            quality(first, options, prefix), quality(second, options, prefix), options.margin
        )
        if order == 0:
            details[NO_PREFERENCE] += 1
            continue
        chosen, rejected = (a, b) if order > 0 else (b, a)
        yield Pair(chosen, rejected, prefix, tree=bound is not None)


def _tree_prefix(
    a: str, b: str, lineage: Mapping[str, tuple[str | None, int | None]]
) -> int | None:
    """The steps ``a`` and ``b`` share by their tree: the earliest branch point on the way from
    each to their nearest common ancestor; ``None`` when they are not in one tree."""
    up_a, up_b = _ancestry(a, lineage), _ancestry(b, lineage)
    common = next((node for node in up_a if node in up_b), None)
    if common is None:
        return None
    return int(min(up_a[common], up_b[common]))


def _ancestry(node: str, lineage: Mapping[str, tuple[str | None, int | None]]) -> dict[str, float]:
    """``node`` and its ancestors, nearest first, each with the steps ``node`` shares with it."""
    shared: dict[str, float] = {node: math.inf}
    steps = math.inf
    while node in lineage:
        parent, branch_step = lineage[node]
        if parent is None or parent in shared:
            break
        steps = min(steps, branch_step or 0)
        shared[parent] = steps
        node = parent
    return shared


def _same_steps(a: list[Step], b: list[Step], most: float) -> int:
    """How many leading steps ``a`` and ``b`` have alike (reasoning, actions, observations), at
    most ``most``: labels and notes may differ."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if count >= most or _step_text(x) != _step_text(y):
            break
        count += 1
    return count


def _step_text(step: Step) -> bytes:
    return msgspec.json.encode((step.reasoning, step.actions, step.observations))
