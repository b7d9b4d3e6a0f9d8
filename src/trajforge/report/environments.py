"""Per environment: outcomes, scores, steps per trajectory, and the balance of tool use."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from trajforge.schema import ToolCall, Trajectory

#: The environment of a trajectory that names none.
NO_ENVIRONMENT = "(none)"


@dataclass
class ToolBalance:
    """Trajectories and steps with at least one tool call, and without any."""

    trajectories_with: int = 0
    trajectories_without: int = 0
    steps_with: int = 0
    steps_without: int = 0

    def add(self, trajectory: Trajectory) -> None:
        """Account for one trajectory."""
        calling = [any(isinstance(a, ToolCall) for a in s.actions) for s in trajectory.steps]
        self.steps_with += sum(calling)
        self.steps_without += len(calling) - sum(calling)
        if any(calling):
            self.trajectories_with += 1
        else:
            self.trajectories_without += 1


@dataclass
class Environments:
    """Outcome statuses, score bins (tenths), steps per trajectory and tool balance by
    environment: memory bounded by environments times distinct values."""

    outcomes: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    scores: defaultdict[str, Counter[float]] = field(default_factory=lambda: defaultdict(Counter))
    steps: defaultdict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    tools: defaultdict[str, ToolBalance] = field(default_factory=lambda: defaultdict(ToolBalance))

    def add(self, trajectory: Trajectory) -> None:
        """Account for one trajectory."""
        env = trajectory.task.environment or NO_ENVIRONMENT
        self.outcomes[env][trajectory.outcome.status] += 1
        if trajectory.outcome.score is not None:
            self.scores[env][round(trajectory.outcome.score, 1)] += 1
        self.steps[env][len(trajectory.steps)] += 1
        self.tools[env].add(trajectory)

    def names(self) -> list[str]:
        """The environments, most trajectories first."""
        totals = {env: sum(c.values()) for env, c in self.outcomes.items()}
        return sorted(totals, key=lambda env: (-totals[env], env))
