"""``[balance]``: keep a sample whose mix meets the targets, and say what is missing.

    [balance]
    size = 1000        # how many to keep (default: the most the mixes allow)
    seed = 7           # default: the curation config's seed

with ``[[balance.mix]]`` and ``[[balance.at_least]]`` targets (:mod:`trajforge.curate.targets`).

Two passes, memory flat: the first reads the stream into a spill file (:mod:`.spill`) and counts
each stratum (the cell of its keys under every mix) and each minimum's items; then the cell
quotas are fitted (:mod:`.mixes`); the second reads the spill file back in order and keeps, in
each cell, its quota by selection sampling (Knuth's algorithm S) from a generator seeded by the
seed and the cell: deterministic, uniform, input order kept. Before that, trajectories carrying
an item a minimum would otherwise miss (a tool too rare to survive the sampling) are taken
within their cell's quota (:meth:`BalanceStep._force`). What the step holds is counts per cell
and per item (:mod:`.coverage`) and the indices of those taken for minimums, not records.

The report's coverage table gives for every target what it wants, what the input has, what
was kept and what is missing; :meth:`BalanceStep.gaps` turns what is missing into what to
generate (``trajforge curate --fill-plan``).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Final

import msgspec

from trajforge.curate.coverage import Plan, Tally, coverage, gaps
from trajforge.curate.fill_plan import Gap, Seen
from trajforge.curate.mixes import Cell
from trajforge.curate.spill import Spill
from trajforge.curate.step import SettingsStep, StepContext, step_settings
from trajforge.curate.targets import AtLeast, MixTarget, checked_minimum, checked_mix
from trajforge.envs.base import derive_seed
from trajforge.errors import ConfigError
from trajforge.schema import Trajectory

NAME: Final = "balance"
OUTSIDE: Final = "outside the target mix"
SAMPLED_OUT: Final = "sampled out to meet the target mix"


class BalanceSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The ``[balance]`` table."""

    mix: list[MixTarget] = []
    at_least: list[AtLeast] = []
    size: Annotated[int, msgspec.Meta(ge=1)] | None = None
    seed: int | None = None


class BalanceStep(SettingsStep[BalanceSettings]):
    """The ``[balance]`` step."""

    name = NAME

    def __init__(self, settings: BalanceSettings, context: StepContext) -> None:
        super().__init__(settings, context)
        self._seed = context.seed if settings.seed is None else settings.seed
        mixes = [checked_mix(m, f"[{NAME}].mix[{i}]") for i, m in enumerate(settings.mix)]
        minimums = [
            checked_minimum(m, f"[{NAME}].at_least[{i}]") for i, m in enumerate(settings.at_least)
        ]
        self._tally = Tally(mixes, minimums)
        self._plan: Plan | None = None

    def __call__(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """The sample: each cell's quota, in input order; the rest go to the exclusion file."""
        tally = self._tally
        cell_ids: dict[Cell, int] = {}
        with Spill() as spill:
            for trajectory in trajectories:
                cell, items = tally.add(trajectory)
                cid = cell_ids.setdefault(cell, len(cell_ids))
                spill.write(trajectory, msgspec.msgpack.encode((cid, items)))
            cells = list(cell_ids)
            plan = self._plan = tally.plan(self.settings.size)
            forced, taken = self._force(spill, plan, cells)
            pickers = [
                _Picker(
                    derive_seed(self._seed, NAME, *cell),
                    plan.quotas.get(cell, 0) - taken[cid],
                    tally.cells[cell].count - taken[cid],
                )
                for cid, cell in enumerate(cells)
            ]
            for index, (header, trajectory) in enumerate(spill.records()):
                cid, items = _header(header)
                cell = cells[cid]
                if cell not in plan.quotas:
                    self.exclude(trajectory, OUTSIDE, cell=self._named(cell))
                elif index in forced or pickers[cid].take():
                    tally.keep(cell, items)
                    yield trajectory
                else:
                    self.exclude(trajectory, SAMPLED_OUT, cell=self._named(cell))

    def _force(self, spill: Spill, plan: Plan, cells: list[Cell]) -> tuple[set[int], Counter[int]]:
        """The records taken for the minimums (by index), and how many per cell.

        In input order, a record is taken while its cell's quota lasts if it carries an item
        still short of its minimum: first for the items the input has no more of than their
        minimum (every one is needed), then for those a uniform sample would likely keep too few
        of, so that common items neither use up the quota rare ones need nor bias the sample,
        and last for any item still short (a sample within one cell can keep fewer than the
        overall rate promises), so that a minimum the input and the quotas allow is always met.
        At most the minimums' counts are taken (the indices held); the rest is sampled.
        """
        tally = self._tally
        budget = [plan.quotas.get(cell, 0) for cell in cells]
        eligible = sum(tally.cells[cell].count for cell in plan.quotas)
        rate = sum(budget) / eligible if eligible else 0.0
        minimums = [tally.minimums[i].count for i, _ in tally.item_list]
        available = [tally.items[item].count for item in tally.item_list]
        need = [min(m, a) for m, a in zip(minimums, available, strict=True)]
        rare = [a <= m for m, a in zip(minimums, available, strict=True)]
        scarce = [a * rate < m for m, a in zip(minimums, available, strict=True)]
        forced: set[int] = set()
        taken: Counter[int] = Counter()
        for tier in (rare, scarce, [True] * len(need)):
            for index, (cid, items) in enumerate(map(_header, spill.headers())):
                short = any(need[k] and tier[k] for k in items)
                if short and index not in forced and taken[cid] < budget[cid]:
                    forced.add(index)
                    taken[cid] += 1
                    for k in items:
                        need[k] = max(0, need[k] - 1)
        return forced, taken

    def _named(self, cell: Cell) -> dict[str, str]:
        return {m.text: key for m, key in zip(self._tally.mixes, cell, strict=True)}

    def report(self) -> dict[str, Any]:
        """The seed, the size wanted and kept, and the coverage table (one row per target)."""
        kept = sum(g.kept for g in self._tally.cells.values())
        return {
            "seed": self._seed,
            "input": self._tally.seen.total,
            "size": {"wanted": self.settings.size, "kept": kept},
            "coverage": coverage(self._tally, self._decided()),
        }

    def gaps(self) -> tuple[list[Gap], Seen]:
        """What is missing, as trajectories to generate, and what the input holds."""
        return gaps(self._tally, self._decided()), self._tally.seen

    def _decided(self) -> Plan:
        if self._plan is None:
            raise RuntimeError("the balance step reports once its stream has ended")
        return self._plan


class _Picker:
    """Selection sampling in one cell: ``quota`` of the next ``total`` records, each set of
    ``quota`` equally likely, from the cell's own generator."""

    def __init__(self, seed: int, quota: int, total: int) -> None:
        self._rng = random.Random(seed)
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
