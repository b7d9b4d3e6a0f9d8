"""What ``[balance]`` counts of its input, the quotas it fits to them, and what it says
afterwards: the coverage table (per target: wanted, available, kept, missing) and the gaps a
fill plan makes up for.

Counts are per cell (a trajectory's keys under every mix), per item of a minimum, and per mix
value, each with the environments and fault profiles it was seen with: memory grows with the
number of cells and items, not with the data.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from trajforge.curate.fill_plan import Gap, Seen
from trajforge.curate.mixes import Cell, Fit, largest_size, quotas, rake
from trajforge.curate.targets import Minimum, Mix
from trajforge.schema import Trajectory

Item = tuple[int, str]  # (the minimum's index, the tool or kind)


@dataclass
class Group:
    """Input trajectories of one cell or with one item: how many, how many were kept, and their
    environments and fault profiles (for planning what to generate)."""

    count: int = 0
    kept: int = 0
    envs: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)

    def add(self, trajectory: Trajectory) -> None:
        """Count one trajectory."""
        self.count += 1
        self.envs[trajectory.task.environment or ""] += 1
        self.profiles[trajectory.provenance.fault_profile or "none"] += 1


@dataclass(frozen=True)
class Plan:
    """The fit, the quotas per cell, and the size the targets are meant for (the cells that can
    be sampled stand for ``fit.scale`` of it)."""

    fit: Fit
    quotas: dict[Cell, int]
    intended: float


@dataclass
class Tally:
    """What a balance step counted of its input, and then of what it kept."""

    mixes: list[Mix]
    minimums: list[Minimum]
    cells: defaultdict[Cell, Group] = field(default_factory=lambda: defaultdict(Group))
    items: defaultdict[Item, Group] = field(default_factory=lambda: defaultdict(Group))
    item_list: list[Item] = field(default_factory=list)
    seen: Seen = field(default_factory=Seen)
    _item_ids: dict[Item, int] = field(default_factory=dict)

    def add(self, trajectory: Trajectory) -> tuple[Cell, list[int]]:
        """Count one input trajectory; its cell and the ids of its items."""
        cell = tuple(m.key(trajectory) for m in self.mixes)
        self.seen.add(trajectory)
        self.cells[cell].add(trajectory)
        ids = []
        for i, minimum in enumerate(self.minimums):
            for name in sorted(minimum.items(trajectory)):
                item = (i, name)
                self.items[item].add(trajectory)
                if item not in self._item_ids:
                    self._item_ids[item] = len(self.item_list)
                    self.item_list.append(item)
                ids.append(self._item_ids[item])
        return cell, ids

    def keep(self, cell: Cell, items: list[int]) -> None:
        """Count one kept trajectory."""
        self.cells[cell].kept += 1
        for item_id in items:
            self.items[self.item_list[item_id]].kept += 1

    def plan(self, size: int | None) -> Plan:
        """The quotas per cell: ``size`` in all (fewer if the input has too few), else the most
        the mixes allow."""
        counts = {cell: group.count for cell, group in self.cells.items()}
        fit = rake(counts, [m.shares for m in self.mixes])
        most = largest_size(fit, counts)
        kept = most if size is None else min(most, math.floor(size * fit.scale + 1e-9))
        intended = float(size) if size is not None else kept / fit.scale if fit.scale else 0.0
        return Plan(fit, quotas(fit, counts, kept), intended)

    def universe(self, minimum: Minimum) -> list[str]:
        """The items a minimum asks for: those it names, else every tool the input offers."""
        return list(minimum.only) if minimum.only else sorted(self.seen.tool_envs)


def coverage(tally: Tally, plan: Plan) -> list[dict[str, Any]]:
    """One row per target: what it wants, what the input has, what was kept, what is missing
    (what more input it needs), and for a mix the shares wanted and kept."""
    return [*_mix_rows(tally, plan), *_minimum_rows(tally)]


def gaps(tally: Tally, plan: Plan) -> list[Gap]:
    """What is missing, as trajectories to generate."""
    found: list[Gap] = []
    for cell, short in _shortfalls(tally, plan).items():
        group = tally.cells[cell]
        named = ", ".join(f"{m.text} = {key}" for m, key in zip(tally.mixes, cell, strict=True))
        steer = {m.field: key for m, key in zip(tally.mixes, cell, strict=True) if m.field}
        found.append(Gap(short, f"too few with {named}", steer, None, group.envs, group.profiles))
    for j, mix in enumerate(tally.mixes):
        for key in mix.shares:
            missing = _unavailable(tally, plan, j, key)
            if missing:
                where = {mix.field: key} if mix.field is not None else {}
                found.append(Gap(missing, f"none with {mix.text} = {key}", where))
    for i, minimum in enumerate(tally.minimums):
        for name in tally.universe(minimum):
            group = tally.items.get((i, name), Group())
            if group.kept < minimum.count:
                item = (minimum.each, name, minimum.recovered)
                short = minimum.count - group.kept
                why = minimum.describe(name)
                found.append(Gap(short, why, {}, item, group.envs, group.profiles))
    return found


def _mix_rows(tally: Tally, plan: Plan) -> Iterator[dict[str, Any]]:
    shortfalls = _shortfalls(tally, plan)
    kept = sum(g.kept for g in tally.cells.values())
    for j, mix in enumerate(tally.mixes):
        for key, share in mix.shares.items():
            cells = [c for c in tally.cells if c[j] == key]
            kept_here = sum(tally.cells[c].kept for c in cells)
            missing = _unavailable(tally, plan, j, key) or sum(shortfalls.get(c, 0) for c in cells)
            yield {
                "target": f"{mix.text} = {key}",
                "wanted": round(share * plan.intended),
                "available": sum(tally.cells[c].count for c in cells),
                "kept": kept_here,
                "missing": missing,
                "wanted_share": share,
                "kept_share": round(kept_here / kept, 6) if kept else None,
            }


def _minimum_rows(tally: Tally) -> Iterator[dict[str, Any]]:
    for i, minimum in enumerate(tally.minimums):
        for name in tally.universe(minimum):
            group = tally.items.get((i, name), Group())
            yield {
                "target": minimum.describe(name),
                "wanted": minimum.count,
                "available": group.count,
                "kept": group.kept,
                "missing": max(0, minimum.count - group.kept),
                "wanted_share": None,
                "kept_share": None,
            }


def _unavailable(tally: Tally, plan: Plan, j: int, key: str) -> int:
    """How many trajectories with ``key`` under mix ``j`` the target wants when no cell that
    can be sampled has it (0 if one does)."""
    if any(cell[j] == key for cell in plan.fit.weights):
        return 0
    return round(tally.mixes[j].shares[key] * plan.intended)


def _shortfalls(tally: Tally, plan: Plan) -> dict[Cell, int]:
    """Per cell, how many more trajectories the intended size needs than the input has."""
    wanted = plan.intended * plan.fit.scale
    found = {}
    for cell, weight in plan.fit.weights.items():
        short = math.ceil(weight * wanted - tally.cells[cell].count - 1e-9)
        if short > 0:
            found[cell] = short
    return found
