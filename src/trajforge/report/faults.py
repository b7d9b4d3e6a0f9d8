"""Injected faults by kind: how often, how often the agent recovered, and how the episodes
ended (a fault at step ``i`` is recovered when a later ``recovery`` label answers it, see
:func:`trajforge.curate.facts.recovered_steps`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from trajforge.curate.facts import faults, recovered_steps
from trajforge.schema import Trajectory


@dataclass
class FaultKind:
    """One kind of fault: injected, recovered from, and in trajectories that succeeded."""

    injected: int = 0
    recovered: int = 0
    succeeded: int = 0

    @property
    def recovery_rate(self) -> float | None:
        """recovered / injected."""
        return self.recovered / self.injected if self.injected else None


@dataclass
class Faults:
    """Fault tallies by kind, and the trajectories that met at least one fault."""

    kinds: defaultdict[str, FaultKind] = field(default_factory=lambda: defaultdict(FaultKind))
    trajectories: int = 0
    trajectories_succeeded: int = 0

    def add(self, trajectory: Trajectory) -> None:
        """Account for one trajectory."""
        found = list(faults(trajectory))
        if not found:
            return
        recovered = recovered_steps(trajectory)
        success = trajectory.outcome.status == "success"
        self.trajectories += 1
        self.trajectories_succeeded += success
        for step, fault in found:
            kind = self.kinds[fault.kind]
            kind.injected += 1
            kind.recovered += step in recovered
            kind.succeeded += success

    def ordered(self) -> list[tuple[str, FaultKind]]:
        """The kinds, most injected first."""
        return sorted(self.kinds.items(), key=lambda item: (-item[1].injected, item[0]))
