"""``[balance]``: keep a sample whose mix meets the targets, and say what is missing.

    [balance]
    size = 1000        # how many to keep (default: the most the mixes allow)
    seed = 7           # default: the curation config's seed

with ``[[balance.mix]]`` and ``[[balance.at_least]]`` targets (:mod:`trajforge.curate.targets`).

Two passes, memory flat: the first reads the stream into a spill file (:mod:`.spill`) and counts
each stratum (the cell of its keys under every mix) and each minimum's items; then the cell
quotas are fitted (:mod:`.mixes`); the second reads the spill file back in order and keeps, in
each cell, its quota by selection sampling (Knuth's algorithm S) from a generator seeded by the
seed and the cell: deterministic, uniform, input order kept. Trajectories carrying an item a
minimum would otherwise miss (a tool too rare to survive the sampling) are taken first within
their cell. What the step holds is counts per cell and per item, not records.

The report's coverage table gives for every target what it wants, what the input has, what
was kept and what is missing; :meth:`BalanceStep.gaps` turns what is missing into what to
generate (``trajforge curate --fill-plan``).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final

import msgspec

from trajforge.curate.fill_plan import Gap, Seen
from trajforge.curate.mixes import Cell, Fit, largest_size, quotas, rake
from trajforge.curate.spill import Spill
from trajforge.curate.step import StepContext, step_settings
from trajforge.curate.targets import (
    AtLeast,
    Minimum,
    MixTarget,
    checked_minimum,
    checked_mix,
)
from trajforge.envs.base import derive_seed
from trajforge.errors import ConfigError
from trajforge.schema import Trajectory, TrajectoryDecoder, encode

NAME: Final = "balance"
OUTSIDE: Final = "outside the target mix"
SAMPLED_OUT: Final = "sampled out to meet the target mix"

Item = tuple[int, str]  # (the minimum's index, the tool or kind)


class BalanceSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The ``[balance]`` table."""

    mix: list[MixTarget] = []
    at_least: list[AtLeast] = []
    size: Annotated[int, msgspec.Meta(ge=1)] | None = None
    seed: int | None = None


@dataclass
class _Group:
    """Input trajectories of one cell or with one item: how many, and their environments and
    fault profiles (for planning what to generate)."""

    count: int = 0
    kept: int = 0
    envs: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)

    def add(self, trajectory: Trajectory) -> None:
        self.count += 1
        self.envs[trajectory.task.environment or ""] += 1
        self.profiles[trajectory.provenance.fault_profile or "none"] += 1


@dataclass
class _Plan:
    """What pass 1 decided: the fit, the quotas per cell, and the size the targets are for."""

    fit: Fit
    quotas: dict[Cell, int]
    intended: float  # the size the targets are meant for (the kept part is ``fit.scale`` of it)


class BalanceStep:
    """The ``[balance]`` step."""

    name = NAME
    version = "1"

    def __init__(self, settings: BalanceSettings, context: StepContext) -> None:
        self._settings = settings
        self._exclude = context.exclude
        self._seed = context.seed if settings.seed is None else settings.seed
        self._mixes = [checked_mix(m, f"[{NAME}].mix[{i}]") for i, m in enumerate(settings.mix)]
        self._minimums = [
            checked_minimum(m, f"[{NAME}].at_least[{i}]") for i, m in enumerate(settings.at_least)
        ]
        self._cells: dict[Cell, _Group] = defaultdict(_Group)
        self._items: dict[Item, _Group] = defaultdict(_Group)
        self._item_ids: dict[Item, int] = {}
        self._item_list: list[Item] = []
        self._values: list[Counter[str]] = [Counter() for _ in self._mixes]
        self._seen = Seen()
        self._plan: _Plan | None = None

    @property
    def params(self) -> Mapping[str, Any]:
        """The targets, size and seed, as written."""
        params: dict[str, Any] = msgspec.to_builtins(self._settings)
        return params

    # -- the two passes --------------------------------------------------------------------------

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The sample: each cell's quota, in input order; the rest go to the exclusion file."""
        cell_ids: dict[Cell, int] = {}
        with Spill() as spill:
            for trajectory in trajectories:
                cell = tuple(m.key(trajectory) for m in self._mixes)
                cid = cell_ids.setdefault(cell, len(cell_ids))
                items = self._count(trajectory, cell)
                spill.add(msgspec.msgpack.encode((cid, items)), encode(trajectory))
            cells = list(cell_ids)
            plan = self._plan = self._decide()
            forced, taken = self._force(spill, plan, cells)
            pickers = [
                _Picker(
                    self._seed,
                    cell,
                    plan.quotas.get(cell, 0) - taken[cid],
                    self._cells[cell].count - taken[cid],
                )
                for cid, cell in enumerate(cells)
            ]
            decoder = TrajectoryDecoder()
            for index, (header, payload) in enumerate(spill.records()):
                cid, items = _header(header)
                trajectory = decoder.decode(payload)
                cell = cells[cid]
                if cell not in plan.quotas:
                    self._exclude(trajectory, OUTSIDE, cell=self._named(cell))
                elif index in forced or pickers[cid].take():
                    self._kept(cell, items)
                    yield trajectory
                else:
                    self._exclude(trajectory, SAMPLED_OUT, cell=self._named(cell))

    def _count(self, trajectory: Trajectory, cell: Cell) -> list[int]:
        """Pass 1 for one trajectory: its cell, values and items counted; its item ids."""
        self._seen.add(trajectory)
        self._cells[cell].add(trajectory)
        for counter, key in zip(self._values, cell, strict=True):
            counter[key] += 1
        ids = []
        for i, minimum in enumerate(self._minimums):
            for name in sorted(minimum.items(trajectory)):
                item = (i, name)
                self._items[item].add(trajectory)
                if item not in self._item_ids:
                    self._item_ids[item] = len(self._item_list)
                    self._item_list.append(item)
                ids.append(self._item_ids[item])
        return ids

    def _kept(self, cell: Cell, items: list[int]) -> None:
        self._cells[cell].kept += 1
        for item_id in items:
            self._items[self._item_list[item_id]].kept += 1

    def _decide(self) -> _Plan:
        """The quotas per cell, and the items the sampling must favour."""
        counts = {cell: group.count for cell, group in self._cells.items()}
        fit = rake(counts, [m.shares for m in self._mixes])
        most = largest_size(fit, counts)
        size = self._settings.size
        kept = most if size is None else min(most, math.floor(size * fit.scale + 1e-9))
        intended = float(size) if size is not None else kept / fit.scale if fit.scale else 0.0
        return _Plan(fit, quotas(fit, counts, kept), intended)

    def _force(self, spill: Spill, plan: _Plan, cells: list[Cell]) -> tuple[set[int], Counter[int]]:
        """The records taken for the minimums (by index), and how many per cell.

        In input order, a record is taken while its cell's quota lasts if it carries an item
        still short of its minimum: first for the items the input has no more of than their
        minimum (every one is needed), then for those a uniform sample would likely keep too few
        of, so that common items neither use up the quota rare ones need nor bias the sample.
        At most the minimums' counts are taken; the rest of each quota is sampled.
        """
        budget = [plan.quotas.get(cell, 0) for cell in cells]
        eligible = sum(self._cells[cell].count for cell in plan.quotas)
        rate = sum(budget) / eligible if eligible else 0.0
        minimums = [self._minimums[i].count for i, _ in self._item_list]
        available = [self._items[item].count for item in self._item_list]
        need = [min(m, a) for m, a in zip(minimums, available, strict=True)]
        rare = [a <= m for m, a in zip(minimums, available, strict=True)]
        scarce = [a * rate < m for m, a in zip(minimums, available, strict=True)]
        forced: set[int] = set()
        taken: Counter[int] = Counter()
        for tier in (rare, scarce):
            for index, (cid, items) in enumerate(map(_header, spill.headers())):
                short = any(need[k] and tier[k] for k in items)
                if short and index not in forced and taken[cid] < budget[cid]:
                    forced.add(index)
                    taken[cid] += 1
                    for k in items:
                        need[k] = max(0, need[k] - 1)
        return forced, taken

    def _named(self, cell: Cell) -> dict[str, str]:
        return {m.text: key for m, key in zip(self._mixes, cell, strict=True)}

    # -- what it reports ----------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """The seed, the size wanted and kept, and the coverage table (one row per target)."""
        plan = self._decided()
        kept = sum(g.kept for g in self._cells.values())
        return {
            "seed": self._seed,
            "input": self._seen.total,
            "size": {"wanted": self._settings.size, "kept": kept},
            "coverage": [*self._mix_rows(plan, kept), *self._minimum_rows()],
        }

    def _mix_rows(self, plan: _Plan, kept: int) -> Iterator[dict[str, Any]]:
        shortfalls = self._shortfalls(plan)
        for j, mix in enumerate(self._mixes):
            for key, share in mix.shares.items():
                cells = [c for c in self._cells if c[j] == key]
                kept_here = sum(self._cells[c].kept for c in cells)
                missing = self._unavailable(plan, j, key)
                if not missing:
                    missing = sum(shortfalls.get(c, 0) for c in cells)
                yield {
                    "target": f"{mix.text} = {key}",
                    "wanted": round(share * plan.intended),
                    "available": self._values[j][key],
                    "kept": kept_here,
                    "missing": missing,
                    "wanted_share": share,
                    "kept_share": round(kept_here / kept, 6) if kept else None,
                }

    def _unavailable(self, plan: _Plan, j: int, key: str) -> int:
        """How many trajectories with ``key`` under mix ``j`` the target wants when no cell
        that can be sampled has it (0 if one does)."""
        if any(cell[j] == key for cell in plan.fit.weights):
            return 0
        return round(self._mixes[j].shares[key] * plan.intended)

    def _minimum_rows(self) -> Iterator[dict[str, Any]]:
        for i, minimum in enumerate(self._minimums):
            for name in self._universe(minimum):
                group = self._items.get((i, name), _Group())
                yield {
                    "target": minimum.describe(name),
                    "wanted": minimum.count,
                    "available": group.count,
                    "kept": group.kept,
                    "missing": max(0, minimum.count - group.kept),
                    "wanted_share": None,
                    "kept_share": None,
                }

    def _universe(self, minimum: Minimum) -> list[str]:
        """The items a minimum asks for: those it names, else every tool the input offers."""
        return list(minimum.only) if minimum.only else sorted(self._seen.tool_envs)

    def _shortfalls(self, plan: _Plan) -> dict[Cell, int]:
        """Per cell, how many more trajectories the intended size needs than the input has."""
        wanted = plan.intended * plan.fit.scale
        found = {}
        for cell, weight in plan.fit.weights.items():
            short = math.ceil(weight * wanted - self._cells[cell].count - 1e-9)
            if short > 0:
                found[cell] = short
        return found

    def gaps(self) -> tuple[list[Gap], Seen]:
        """What is missing, as trajectories to generate, and what the input holds."""
        plan = self._decided()
        found: list[Gap] = []
        for cell, short in self._shortfalls(plan).items():
            group = self._cells[cell]
            why = "too few with " + ", ".join(f"{t} = {k}" for t, k in self._named(cell).items())
            found.append(Gap(short, why, self._steer(cell), None, group.envs, group.profiles))
        for j, mix in enumerate(self._mixes):
            for key in mix.shares:
                missing = self._unavailable(plan, j, key)
                if missing:
                    where = {mix.field: key} if mix.field is not None else {}
                    found.append(Gap(missing, f"none with {mix.text} = {key}", where))
        for i, minimum in enumerate(self._minimums):
            for name in self._universe(minimum):
                group = self._items.get((i, name), _Group())
                if group.kept < minimum.count:
                    item = (minimum.each, name, minimum.recovered)
                    why = minimum.describe(name)
                    short = minimum.count - group.kept
                    found.append(Gap(short, why, {}, item, group.envs, group.profiles))
        return found, self._seen

    def _steer(self, cell: Cell) -> dict[str, str]:
        """A cell's keys by field path (mixes over a length have none to steer by)."""
        return {m.field: key for m, key in zip(self._mixes, cell, strict=True) if m.field}

    def _decided(self) -> _Plan:
        if self._plan is None:
            raise RuntimeError("the balance step reports once its stream has ended")
        return self._plan


class _Picker:
    """Selection sampling in one cell: ``quota`` of the next ``total`` records, each set of
    ``quota`` equally likely, from the cell's own generator."""

    def __init__(self, seed: int, cell: Cell, quota: int, total: int) -> None:
        self._rng = random.Random(derive_seed(seed, NAME, *cell))
        self._need = quota
        self._left = total

    def take(self) -> bool:
        """Whether to keep the next record."""
        left, self._left = self._left, self._left - 1
        if self._need and self._rng.random() * left < self._need:
            self._need -= 1
            return True
        return False


def _header(raw: bytes) -> tuple[int, list[int]]:
    cid, items = msgspec.msgpack.decode(raw)
    return cid, items


def make_balance(table: Mapping[str, Any], context: StepContext) -> BalanceStep:
    """The ``[balance]`` step from its table."""
    settings = step_settings(table, BalanceSettings, NAME)
    if not settings.mix and not settings.at_least and settings.size is None:
        raise ConfigError(
            "nothing to balance",
            path=f"[{NAME}]",
            hint="add [[balance.mix]] or [[balance.at_least]] targets, or a size",
        )
    return BalanceStep(settings, context)
