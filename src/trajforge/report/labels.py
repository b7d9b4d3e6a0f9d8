"""Step labels by source (rule, rollout, judge, human, ...), and process-label curves: the mean
process value at each step index, by how the episode ended."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Final

from trajforge.grade.process import PROCESS
from trajforge.schema import Trajectory

#: The sources the report names first, in this order; others follow by name.
SOURCES: Final = ("rule", "rollout", "judge", "human")
#: Process curves stop at this step index (later steps are counted apart).
CURVE_STEPS: Final = 40


@dataclass
class LabelMix:
    """Step and trajectory labels counted by ``(source kind, name, grade)``."""

    steps: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    trajectories: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, trajectory: Trajectory) -> None:
        """Account for one trajectory."""
        for label in trajectory.labels:
            self.trajectories[(label.source.kind, label.name, label.grade or "")] += 1
        for step in trajectory.steps:
            for label in step.labels:
                self.steps[(label.source.kind, label.name, label.grade or "")] += 1

    def by_source(self) -> dict[str, Counter[str]]:
        """Step labels per source kind as ``name=grade`` counts, the named sources first."""
        found: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for (source, name, grade), count in self.steps.items():
            found[source][f"{name}={grade}" if grade else name] += count
        order = [s for s in SOURCES if s in found] + sorted(set(found) - set(SOURCES))
        return {source: found[source] for source in order}


@dataclass
class ProcessCurves:
    """Sums and counts of process-label values by outcome status and step index."""

    sums: defaultdict[str, defaultdict[int, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )
    counts: defaultdict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    trajectories: Counter[str] = field(default_factory=Counter)
    beyond: int = 0

    def add(self, trajectory: Trajectory) -> None:
        """Account for the process labels of one trajectory."""
        status = trajectory.outcome.status
        seen = False
        for i, step in enumerate(trajectory.steps):
            for label in step.labels:
                if label.name != PROCESS or label.source.kind != "rollout" or label.value is None:
                    continue
                seen = True
                if i >= CURVE_STEPS:
                    self.beyond += 1
                    continue
                self.sums[status][i] += label.value
                self.counts[status][i] += 1
        self.trajectories[status] += seen

    def curves(self) -> dict[str, list[tuple[int, float]]]:
        """Per outcome status (success first), the mean value at each step index."""
        order = sorted(self.counts, key=lambda s: (s != "success", s))
        return {
            status: [(i, self.sums[status][i] / n) for i, n in sorted(self.counts[status].items())]
            for status in order
        }
