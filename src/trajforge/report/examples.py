"""A few example trajectories for the report, picked while the data streams by: one that shows a
recovery, one with a mistake, one that hands off to a human.

Per kind, the ``CANDIDATES`` trajectories of smallest seeded priority are kept (short ones
before long ones), as encoded bytes: memory holds a handful of records whatever the dataset's
size, and the pick does not depend on the order of the stream.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import msgspec

from trajforge.curate.facts import RECOVERY
from trajforge.curate.reservoir import priority
from trajforge.formats.export_options import ExportOptions
from trajforge.formats.mistakes import is_mistake
from trajforge.schema import HandOff, ToolCall, Trajectory

CANDIDATES: Final = 3
#: Trajectories longer than this are picked only when no shorter one shows the kind.
SHORT: Final = 14
_OPTIONS = ExportOptions()


def shows_recovery(trajectory: Trajectory) -> bool:
    """A step has a ``recovery`` label."""
    return any(label.name == RECOVERY for step in trajectory.steps for label in step.labels)


def shows_mistake(trajectory: Trajectory) -> bool:
    """A step is a mistake by its labels (as exports read them)."""
    return any(is_mistake(step, _OPTIONS) for step in trajectory.steps)


def shows_handoff(trajectory: Trajectory) -> bool:
    """The agent hands off: a hand-off action, or a call of a tool whose role is ``handoff``."""
    handoff_tools = {tool.name for tool in trajectory.tools if tool.role == "handoff"}
    return any(
        isinstance(action, HandOff)
        or (isinstance(action, ToolCall) and action.name in handoff_tools)
        for step in trajectory.steps
        for action in step.actions
    )


#: The kinds of example, in the order they are chosen (the rarest first).
KINDS: Final[dict[str, Callable[[Trajectory], bool]]] = {
    "a hand-off": shows_handoff,
    "a recovery": shows_recovery,
    "a mistake": shows_mistake,
}


@dataclass
class Examples:
    """The candidates of each kind: a max-heap of ``(-rank, id, bytes)``."""

    seed: int = 0
    kept: dict[str, list[tuple[tuple[int, int], str, bytes]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )

    def add(self, trajectory: Trajectory) -> None:
        """Offer one trajectory to every kind it shows."""
        rank = (int(len(trajectory.steps) > SHORT), priority(self.seed, trajectory.id))
        encoded: bytes | None = None
        for kind, shows in KINDS.items():
            heap = self.kept[kind]
            worst = (-heap[0][0][0], -heap[0][0][1]) if heap else None
            if len(heap) >= CANDIDATES and worst is not None and rank >= worst:
                continue
            if not shows(trajectory):
                continue
            encoded = encoded or msgspec.json.encode(trajectory)
            item = ((-rank[0], -rank[1]), trajectory.id, encoded)
            if len(heap) < CANDIDATES:
                heapq.heappush(heap, item)
            else:
                heapq.heapreplace(heap, item)

    def picked(self) -> list[tuple[str, Trajectory]]:
        """One trajectory per kind, each a different one where the candidates allow."""
        chosen: list[tuple[str, Trajectory]] = []
        used: set[str] = set()
        for kind, heap in self.kept.items():
            best = sorted(heap, reverse=True)
            fresh = [item for item in best if item[1] not in used] or best
            if fresh:
                used.add(fresh[0][1])
                chosen.append((kind, msgspec.json.decode(fresh[0][2], type=Trajectory)))
        return chosen
