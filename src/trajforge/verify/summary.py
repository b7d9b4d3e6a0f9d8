"""Counting what verification (or any stage) found: labels per environment, source, name, grade."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from trajforge.schema import Label, Trajectory

#: The environment column for trajectories of no environment (imported data).
NO_ENVIRONMENT = "-"


@dataclass(frozen=True, slots=True, order=True)
class LabelKey:
    """One row of the summary table."""

    environment: str
    source: str
    name: str
    grade: str


@dataclass
class LabelSummary:
    """Label counts per (environment, source kind, name, grade), plus trajectory totals.

    ``kinds`` limits counting to labels from those source kinds (None: every label).
    """

    kinds: frozenset[str] | None = frozenset({"verify", "replay"})
    counts: Counter[LabelKey] = field(default_factory=Counter)
    trajectories: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)

    def _count(self, environment: str, labels: Iterable[Label]) -> None:
        kinds = self.kinds
        for label in labels:
            kind = label.source.kind
            if kinds is None or kind in kinds:
                key = LabelKey(environment, kind, label.name, label.grade or "")
                self.counts[key] += 1

    def add(self, trajectory: Trajectory) -> Trajectory:
        """Count one trajectory's labels (returned unchanged, to use inside a stream)."""
        environment = trajectory.task.environment or NO_ENVIRONMENT
        self.trajectories[environment] += 1
        self._count(environment, trajectory.labels)
        for step in trajectory.steps:
            if step.labels:
                self._count(environment, step.labels)
        if any(x.name == "verify" and x.grade == "fail" for x in trajectory.labels):
            self.failed[environment] += 1
        return trajectory

    def merge(self, other: LabelSummary) -> None:
        """Add the counts of another summary (from a worker process)."""
        self.counts.update(other.counts)
        self.trajectories.update(other.trajectories)
        self.failed.update(other.failed)

    def fresh(self) -> LabelSummary:
        """An empty summary counting the same kinds."""
        return LabelSummary(kinds=self.kinds)

    def watch(self, trajectories: Iterable[Trajectory]) -> Iterator[Trajectory]:
        """Pass a stream through, counting each trajectory."""
        for trajectory in trajectories:
            yield self.add(trajectory)

    def rows(self) -> list[tuple[LabelKey, int]]:
        """The table: one row per key, sorted by environment, source, name and grade."""
        return sorted(self.counts.items())
