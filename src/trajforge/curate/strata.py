"""Strata of an audit sample: which stratum a trajectory falls in, and how many of each stratum
to draw.

A stratum is the tuple of a trajectory's values for the chosen keys (``environment``,
``source``, ``outcome``, ``label``, ``agent``). :func:`allocate` shares a total among strata,
in proportion to their sizes or equally, giving each at least a minimum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from typing import Final, Literal, TypeAlias, TypeVar

from trajforge.schema import Trajectory

StratumKey = Literal["environment", "source", "outcome", "label", "agent"]
Allocation = Literal["proportional", "equal"]
K = TypeVar("K")

#: What ``label`` stratifies by unless told: the first of these label names a trajectory has.
DEFAULT_LABEL_KINDS: Final = ("policy_violation", "ignored_error", "injected_mistake", "recovery")
#: The value of a key a trajectory has nothing for.
NONE: Final = "none"

Stratum: TypeAlias = tuple[str, ...]


def _environment(trajectory: Trajectory) -> str:
    return trajectory.task.environment or NONE


def _source(trajectory: Trajectory) -> str:
    return trajectory.provenance.source


def _outcome(trajectory: Trajectory) -> str:
    return trajectory.outcome.status


def _agent(trajectory: Trajectory) -> str:
    generator = trajectory.provenance.generator
    return (generator.policy if generator is not None else None) or NONE


_PLAIN: Final[dict[str, Callable[[Trajectory], str]]] = {
    "environment": _environment,
    "source": _source,
    "outcome": _outcome,
    "agent": _agent,
}


def first_label(trajectory: Trajectory, kinds: Sequence[str]) -> str:
    """The first of ``kinds`` (label names, in order of priority) among the trajectory's own
    and its steps' labels, or ``none``."""
    names = {label.name for label in trajectory.labels}
    names.update(label.name for label in chain.from_iterable(s.labels for s in trajectory.steps))
    return next((kind for kind in kinds if kind in names), NONE)


def stratum_of(
    trajectory: Trajectory, keys: Sequence[StratumKey], label_kinds: Sequence[str]
) -> Stratum:
    """The trajectory's value for each key, in order."""
    return tuple(
        first_label(trajectory, label_kinds) if key == "label" else _PLAIN[key](trajectory)
        for key in keys
    )


def allocate(
    sizes: Mapping[K, int], total: int, *, minimum: int = 0, allocation: Allocation = "proportional"
) -> dict[K, int]:
    """How many of each stratum to draw: ``total`` shared in proportion to the strata's
    ``sizes`` (or equally), each stratum getting at least ``minimum`` and at most its size.

    Shares below the minimum (or above the size) are fixed there and the rest is shared again
    among the others; whole numbers by largest remainder, ties to the earlier stratum. When the
    minimums add up to more than ``total``, the minimums win.
    """
    fixed: dict[K, int] = {}
    free = [s for s in sizes if sizes[s] > 0]
    while True:
        budget = max(0, total - sum(fixed.values()))
        weights = {s: float(sizes[s] if allocation == "proportional" else 1) for s in free}
        whole = sum(weights.values())
        shares = {s: budget * w / whole for s, w in weights.items()} if whole else {}
        low = {s: min(minimum, sizes[s]) for s in free}
        pinned = {s: low[s] for s in free if shares[s] < low[s]}
        pinned |= {s: sizes[s] for s in free if shares[s] > sizes[s]}
        if not pinned:
            break
        fixed |= pinned
        free = [s for s in free if s not in pinned]
    counts = {s: int(shares[s]) for s in free}
    by_remainder = sorted(free, key=lambda s: counts[s] - shares[s])  # stable: ties keep order
    for s in by_remainder[: round(budget - sum(counts.values()))]:
        counts[s] += 1
    return {s: fixed.get(s, counts.get(s, 0)) for s in sizes}
