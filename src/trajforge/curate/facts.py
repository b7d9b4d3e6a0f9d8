"""What curation asks of a trajectory beyond its fields: labels and faults with their steps, and
which problems were recovered.

A problem at step ``i`` (a label there, or a fault injected there) is **recovered** when a later
step carries a ``recovery`` label (the recovery rule's good move) whose ``setback_step`` is ``i``:
the agent got through after it. Ungraded data has no recovery labels, so nothing in it counts as
recovered: grade it first (``trajforge grade``). A mistake the generator injected in place of a
call (its ``injected_mistake`` label's ``intended`` action) is recovered too when a later step
makes that call, same tool and arguments, and it succeeds: a wrong argument that did not fail, or
a redundant call, gives the recovery rule no setback to answer, yet the agent made good.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from trajforge.schema import FaultRecord, Label, ToolCall, ToolResult, Trajectory

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


@dataclass(frozen=True)
class Recoveries:
    """Which problems of a trajectory were recovered: the steps whose setback a later recovery
    label answers, and those whose injected mistake a later successful intended call made good."""

    setbacks: frozenset[int]
    made_good: frozenset[int]

    def recovered(self, step: int | None, label: Label | None = None) -> bool:
        """Whether the problem at ``step`` (a fault injected there, or ``label``) was recovered."""
        if step is None:
            return False
        mistake = label is not None and label.name == INJECTED_MISTAKE
        return step in self.setbacks or (mistake and step in self.made_good)


def recoveries(trajectory: Trajectory) -> Recoveries:
    """The problems of ``trajectory`` that were recovered."""
    made_good = {
        step
        for step, label in labels(trajectory)
        if step is not None
        and label.name == INJECTED_MISTAKE
        and _made_later(trajectory, step, label)
    }
    return Recoveries(recovered_steps(trajectory), frozenset(made_good))


def recovered_steps(trajectory: Trajectory) -> frozenset[int]:
    """The steps whose setback a later recovery label answers (what recovers a fault)."""
    found = set()
    for step, label in labels(trajectory):
        setback = label.details.get("setback_step")
        # a retry in the same step (parallel calls) answers a setback too
        if label.name == RECOVERY and isinstance(setback, int) and step is not None:
            found.update([setback] if setback <= step else [])
    return frozenset(found)


def _made_later(trajectory: Trajectory, step: int, mistake: Label) -> bool:
    """Whether a step after ``step`` makes the call the mistake replaced, and it succeeds."""
    intended = mistake.details.get("intended")
    if not isinstance(intended, dict) or intended.get("kind") != "tool_call":
        return False
    wanted = (intended.get("name"), intended.get("arguments"))
    for later in trajectory.steps[step + 1 :]:
        ok = {o.call_id for o in later.observations if isinstance(o, ToolResult)
              and o.status == "ok"}  # fmt: skip
        made = [a.id for a in later.actions if isinstance(a, ToolCall)
                and (a.name, a.arguments) == wanted]  # fmt: skip
        if ok.intersection(made):
            return True
    return False
