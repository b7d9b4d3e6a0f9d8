"""Agreement between reviewers, and between reviewers and the automatic graders.

Per label kind (a step's class, its quality, the should-have-asked mark, the trajectory's
verdict): Cohen's kappa for every pair of reviewers over the units both graded, Krippendorff's
alpha over every reviewer (nominal, ordinal for quality; the ``krippendorff`` package), and the
units where reviewers disagree, for adjudication. Against each automatic grader (a rule, the
judge, replay...): how often it and the reviewers agree on whether a step is a mistake, and the
kappa of that agreement.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import krippendorff
import numpy as np

from trajforge.report.agreement import cohen_kappa as kappa_of_pairs
from trajforge.review.labels import GOOD_CLASSES

#: A graded unit: (item key, step; -1 for the trajectory).
Unit = tuple[str, int]
#: One kind's ratings: unit -> reviewer -> value.
Ratings = Mapping[Unit, Mapping[str, Hashable]]
Level = Literal["nominal", "ordinal"]
KINDS = ("class", "quality", "ask_human", "verdict")


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' values on the same units (None: no units, or chance
    agreement is total so kappa is undefined)."""
    if len(a) != len(b):
        return None
    return kappa_of_pairs(Counter(zip(a, b, strict=True)))


def krippendorff_alpha(ratings: Ratings, level: Level = "nominal") -> float | None:
    """Krippendorff's alpha over every reviewer (None: fewer than two values to compare)."""
    pairable = [u for u, by in ratings.items() if len(by) >= 2]
    raters = sorted({r for u in pairable for r in ratings[u]})
    values = sorted({v for u in pairable for v in ratings[u].values()}, key=str)
    if len(values) < 2:  # no variation among the units two reviewers graded: undefined
        return None
    index = {v: i for i, v in enumerate(values)}
    data = np.full((len(raters), len(pairable)), np.nan)
    for j, unit in enumerate(pairable):
        for i, rater in enumerate(raters):
            if rater in ratings[unit]:
                value = ratings[unit][rater]
                data[i, j] = float(value) if level != "nominal" else index[value]  # type: ignore[arg-type]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


@dataclass(slots=True)
class KindAgreement:
    """Agreement on one label kind."""

    kind: str
    units: int
    alpha: float | None
    pairs: list[tuple[str, str, int, float | None]] = field(default_factory=list)
    disagreements: list[tuple[Unit, dict[str, Hashable]]] = field(default_factory=list)


def kind_agreement(kind: str, ratings: Ratings) -> KindAgreement:
    """Pairwise kappas, alpha and disagreements of one kind's ratings."""
    level: Level = "ordinal" if kind == "quality" else "nominal"
    raters = sorted({r for by in ratings.values() for r in by})
    pairs = []
    for x, y in combinations(raters, 2):
        shared = [u for u, by in ratings.items() if x in by and y in by]
        kappa = cohen_kappa([ratings[u][x] for u in shared], [ratings[u][y] for u in shared])
        pairs.append((x, y, len(shared), kappa))
    disagreements = [
        (u, dict(by)) for u, by in sorted(ratings.items()) if len(set(by.values())) > 1
    ]
    return KindAgreement(
        kind=kind,
        units=sum(1 for by in ratings.values() if len(by) >= 2),
        alpha=krippendorff_alpha(ratings, level),
        pairs=pairs,
        disagreements=disagreements,
    )


@dataclass(slots=True)
class GraderAgreement:
    """How often an automatic grader and the reviewers agree on whether a step is a mistake."""

    grader: str
    steps: int
    agreement: float
    kappa: float | None


def grader_agreement(
    human: Mapping[Unit, Mapping[str, Hashable]],
    automatic: Mapping[str, Mapping[Unit, bool]],
    graded_items: set[str],
) -> list[GraderAgreement]:
    """Per automatic grader: over the steps reviewers classed (majority class; a tie is left
    out), agreement on "mistake or not". A step of a graded item that a grader did not flag
    counts as "not a mistake" for it."""
    majority: dict[Unit, bool] = {}
    for unit, by in human.items():
        votes = Counter(v not in GOOD_CLASSES for v in by.values())
        if len(votes) == 1 or votes[True] != votes[False]:
            majority[unit] = votes.most_common(1)[0][0]
    found = []
    for grader, flags in sorted(automatic.items()):
        units = [u for u in majority if u[0] in graded_items]
        if not units:
            continue
        a = [majority[u] for u in units]
        b = [flags.get(u, False) for u in units]
        agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(units)
        found.append(GraderAgreement(grader, len(units), agree, cohen_kappa(a, b)))
    return found


def collect(
    rows: Sequence[tuple[str, int, str, Mapping[str, Hashable]]],
) -> dict[str, dict[Unit, dict[str, Hashable]]]:
    """Ratings by kind from (item key, step, reviewer, {kind: value}) rows."""
    by_kind: dict[str, dict[Unit, dict[str, Hashable]]] = {k: defaultdict(dict) for k in KINDS}
    for item, step, reviewer, values in rows:
        for kind, value in values.items():
            if value is not None:
                by_kind[kind][(item, step)][reviewer] = value
    return {k: dict(v) for k, v in by_kind.items()}
