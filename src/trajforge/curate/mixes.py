"""Target mixes over strata: the observed counts raked to the targets, and whole quotas.

A stratum (cell) is a trajectory's key under each mix (``("success", "3")`` for a mix over
``outcome.status`` and one over ``task.difficulty``). :func:`rake` finds cell weights whose
margins are the targets while staying as close as it can to the observed mix (iterative
proportional fitting, as survey weighting does): the mixes are met together without assuming
them independent. Values a target wants but no trajectory has cannot be sampled; the others'
shares are then scaled up to fill their place (the caller reports what is missing).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Cell = tuple[str, ...]
Shares = Mapping[str, float]

#: Rounds of fitting at most, and the margin error at which it stops.
ROUNDS = 500
TOLERANCE = 1e-12


@dataclass(frozen=True)
class Fit:
    """Weights over the cells that can be sampled (summing to 1), and for each mix the share of
    its target that the available values cover (1.0 when every value wanted has data)."""

    weights: dict[Cell, float]
    covered: list[float]

    @property
    def scale(self) -> float:
        """How much of the whole target the samplable cells stand for."""
        return math.prod(self.covered)


def rake(counts: Mapping[Cell, int], targets: Sequence[Shares]) -> Fit:
    """Fit the observed ``counts`` to the ``targets`` (one share mapping per mix)."""
    weights = {
        cell: float(n)
        for cell, n in counts.items()
        if n > 0 and all(t.get(key, 0.0) > 0 for key, t in zip(cell, targets, strict=True))
    }
    aims: list[dict[str, float]] = []
    covered: list[float] = []
    for j, target in enumerate(targets):
        present = {cell[j] for cell in weights}
        total = sum(share for key, share in target.items() if key in present)
        aims.append({key: target[key] / total for key in present} if total else {})
        covered.append(total)
    for _ in range(ROUNDS):
        if _adjust(weights, aims) < TOLERANCE:
            break
    total = sum(weights.values())
    return Fit({c: w / total for c, w in weights.items()} if total else {}, covered)


def _adjust(weights: dict[Cell, float], aims: list[dict[str, float]]) -> float:
    """One round of fitting (each mix's margins set to its aims in turn); the largest margin
    error seen before adjusting."""
    worst = 0.0
    for j, aim in enumerate(aims):
        margin: dict[str, float] = defaultdict(float)
        for cell, w in weights.items():
            margin[cell[j]] += w
        total = sum(margin.values())
        if not total:
            return 0.0
        worst = max([worst, *(abs(margin[key] / total - share) for key, share in aim.items())])
        for cell in weights:
            weights[cell] *= aim[cell[j]] * total / margin[cell[j]]
    return worst


def largest_size(fit: Fit, counts: Mapping[Cell, int]) -> int:
    """The most trajectories a sample in these proportions can have."""
    ratios = [counts[c] / w for c, w in fit.weights.items() if w > 0]
    return math.floor(min(ratios) + 1e-9) if ratios else 0


def quotas(fit: Fit, counts: Mapping[Cell, int], size: int) -> dict[Cell, int]:
    """Whole numbers per cell adding up to ``size`` (at most ``largest_size``), none above its
    cell's count: each cell's share rounded down, then the rest given one at a time to the cell
    whose values are furthest below their margins' exact counts, so that every margin is as
    close to its target as whole numbers allow (rounding cell by cell can put a margin off by
    several)."""
    exact = {c: w * size for c, w in fit.weights.items()}
    whole = {c: min(math.floor(x), counts[c]) for c, x in exact.items()}
    aim: defaultdict[tuple[int, str], float] = defaultdict(float)
    have: Counter[tuple[int, str]] = Counter()
    for cell, x in exact.items():
        for margin in enumerate(cell):
            aim[margin] += x
            have[margin] += whole[cell]

    def need(cell: Cell) -> tuple[float, float, Cell]:
        below = sum(aim[m] - have[m] for m in enumerate(cell))
        return below, exact[cell] - whole[cell], cell

    for _ in range(size - sum(whole.values())):
        room = [c for c in exact if whole[c] < counts[c]]
        if not room:
            break
        cell = max(room, key=need)
        whole[cell] += 1
        for margin in enumerate(cell):
            have[margin] += 1
    return whole
