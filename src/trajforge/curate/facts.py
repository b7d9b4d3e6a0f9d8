"""What curation asks of a trajectory beyond its fields: labels and faults with their steps, and
which problems were recovered.

A problem at step ``i`` (a label there, or a fault injected there) is **recovered** when a later
step carries a ``recovery`` label (the recovery rule's good move) whose ``setback_step`` is ``i``:
the agent got through after it. Ungraded data has no recovery labels, so nothing in it counts as
recovered: grade it first (``trajforge grade``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from trajforge.schema import FaultRecord, Label, Trajectory

#: The label the recovery rule gives the call that got through after a setback.
RECOVERY: Final = "recovery"
#: The label the generator gives a step it made wrong on purpose (its grade is the kind).
INJECTED_MISTAKE: Final = "injected_mistake"


def labels(trajectory: Trajectory) -> Iterator[tuple[int | None, Label]]:
    """Every label with its step (``None`` for the trajectory's own)."""
    for label in trajectory.labels:
        yield None, label
    for i, step in enumerate(trajectory.steps):
        for label in step.labels:
            yield i, label


def faults(trajectory: Trajectory) -> Iterator[tuple[int, FaultRecord]]:
    """Every injected fault with its step."""
    for i, step in enumerate(trajectory.steps):
        for fault in step.faults:
            yield i, fault


def recovered_steps(trajectory: Trajectory) -> frozenset[int]:
    """The steps whose setback a later recovery label answers."""
    found = set()
    for step, label in labels(trajectory):
        setback = label.details.get("setback_step")
        # a retry in the same step (parallel calls) answers a setback too
        if label.name == RECOVERY and isinstance(setback, int) and step is not None:
            found.update([setback] if setback <= step else [])
    return frozenset(found)
