"""Dataset statistics computed in one streaming pass with memory bounded by distinct values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import msgspec

from trajforge.io import BadRecord
from trajforge.schema import ToolCall, ToolResult, Trajectory

PERCENTILES = (50, 90, 99)


class Distribution(msgspec.Struct):
    """Summary of an integer distribution: count, mean, percentiles, min and max."""

    count: int = 0
    mean: float = 0.0
    min: int = 0
    max: int = 0
    percentiles: dict[str, int] = {}


class DatasetStats(msgspec.Struct):
    """What ``trajforge stats`` reports."""

    trajectories: int = 0
    steps: Distribution = msgspec.field(default_factory=Distribution)
    tool_calls_per_trajectory: Distribution = msgspec.field(default_factory=Distribution)
    tool_calls: int = 0
    tool_calls_by_name: dict[str, int] = {}
    action_kinds: dict[str, int] = {}
    result_statuses: dict[str, int] = {}
    outcome_statuses: dict[str, int] = {}
    environments: dict[str, int] = {}
    sources: dict[str, int] = {}
    faults: dict[str, int] = {}
    labels: dict[str, int] = {}
    mean_outcome_score: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: records that could not be read (left out of every other count), and the first's reason
    bad_records: int = 0
    first_bad_record: str | None = None


def distribution(histogram: Counter[int]) -> Distribution:
    """Exact percentiles (nearest rank) of an integer histogram."""
    total = sum(histogram.values())
    if total == 0:
        return Distribution()
    values = sorted(histogram)
    marks: dict[str, int] = {}
    for p in PERCENTILES:
        rank = max(1, -(-p * total // 100))  # ceil(p/100 * total)
        seen = 0
        for value in values:
            seen += histogram[value]
            if seen >= rank:
                marks[f"p{p}"] = value
                break
    mean = sum(v * c for v, c in histogram.items()) / total
    return Distribution(count=total, mean=mean, min=values[0], max=values[-1], percentiles=marks)


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(counter.most_common())


class StatsAccumulator:
    """Feed trajectories one at a time; ``result()`` gives the DatasetStats."""

    def __init__(self) -> None:
        self.count = 0
        self.steps: Counter[int] = Counter()
        self.calls_per_traj: Counter[int] = Counter()
        self.calls: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.envs: Counter[str] = Counter()
        self.sources: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.labels: Counter[str] = Counter()
        self.score_sum = 0.0
        self.scored = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.bad_records = 0
        self.first_bad_record: str | None = None

    def bad(self, record: BadRecord) -> None:
        """Account for a record that could not be read (a reader's ``on_error``)."""
        self.bad_records += 1
        if self.first_bad_record is None:
            self.first_bad_record = record.describe()

    def add(self, trajectory: Trajectory) -> None:
        """Account for one trajectory."""
        self.count += 1
        self.steps[len(trajectory.steps)] += 1
        self.outcomes[trajectory.outcome.status] += 1
        self.envs[trajectory.task.environment or "(none)"] += 1
        self.sources[trajectory.provenance.source] += 1
        self.labels.update(label.name for label in trajectory.labels)
        if trajectory.outcome.score is not None:
            self.score_sum += trajectory.outcome.score
            self.scored += 1
        calls = 0
        for step in trajectory.steps:
            for action in step.actions:
                kind = type(action).__struct_config__.tag
                self.kinds[str(kind)] += 1
                if isinstance(action, ToolCall):
                    calls += 1
                    self.calls[action.name] += 1
            for obs in step.observations:
                if isinstance(obs, ToolResult):
                    self.statuses[obs.status] += 1
            self.faults.update(f.kind for f in step.faults)
            self.labels.update(label.name for label in step.labels)
            if step.usage is not None:
                self.prompt_tokens += step.usage.prompt_tokens or 0
                self.completion_tokens += step.usage.completion_tokens or 0
        self.calls_per_traj[calls] += 1

    def result(self) -> DatasetStats:
        """The statistics of everything added so far."""
        return DatasetStats(
            trajectories=self.count,
            steps=distribution(self.steps),
            tool_calls_per_trajectory=distribution(self.calls_per_traj),
            tool_calls=sum(self.calls.values()),
            tool_calls_by_name=_sorted(self.calls),
            action_kinds=_sorted(self.kinds),
            result_statuses=_sorted(self.statuses),
            outcome_statuses=_sorted(self.outcomes),
            environments=_sorted(self.envs),
            sources=_sorted(self.sources),
            faults=_sorted(self.faults),
            labels=_sorted(self.labels),
            mean_outcome_score=self.score_sum / self.scored if self.scored else None,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            bad_records=self.bad_records,
            first_bad_record=self.first_bad_record,
        )


def compute_stats(
    trajectories: Iterable[Trajectory], acc: StatsAccumulator | None = None
) -> DatasetStats:
    """Statistics of a stream of trajectories in one pass (into ``acc``, whose ``bad`` the
    stream's reader may call for records it could not read)."""
    acc = acc or StatsAccumulator()
    for trajectory in trajectories:
        acc.add(trajectory)
    return acc.result()
