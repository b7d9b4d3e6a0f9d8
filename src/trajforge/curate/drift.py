"""Drift between two datasets (synthetic against imported production traces, one generator
version against the next): each dataset is summarised in one streaming pass (:class:`Profile`:
counts by category and histograms of numbers, so memory is bounded by the number of
categories, not of records), then the two profiles are compared measure by measure.

- categorical mixes (tools called, outcomes, result statuses, faults per tool call, labels
  per step and per trajectory as ``name=grade``, ...; ``(none)`` counts a call without a
  fault, a step or trajectory without labels): the Jensen–Shannon distance (0 to 1), and the
  categories whose share moved most;
- numbers per trajectory (steps, tool calls, lengths, score): the Kolmogorov–Smirnov statistic
  (0 to 1) with its p-value, and the Wasserstein-1 distance in the measure's unit;
- rates (faults per call, errors per result, errors recovered): the difference of the rates
  (0 to 1) with the p-value of a two-proportion test.

A measure has drifted when its distance (JS, KS, or the rates' difference) is at least the
threshold and its p-value (of the G-test for mixes, KS for numbers, the two-proportion z-test
for rates) is below ``alpha``: a large distance between small samples is not drift yet. The
tests take calls and results as independent, which they are not quite (they come in
trajectories), so their p-values are on the low side. An error result counts as recovered
when a later call of the same tool succeeds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

import msgspec

from trajforge.curate.distances import (
    g_test_p_value,
    js_distance,
    ks_p_value,
    ks_statistic,
    two_proportion_p_value,
    wasserstein,
)
from trajforge.curate.diversity import words
from trajforge.curate.sketches import Histogram
from trajforge.schema import TEXT_ACTIONS, Label, ToolCall, ToolResult, Trajectory

CATEGORICAL: Final = (
    "environments",
    "sources",
    "outcomes",
    "tools",
    "action_kinds",
    "result_statuses",
    "faults",
    "step_labels",
    "trajectory_labels",
)
NUMERIC: Final = ("steps", "tool_calls", "instruction_words", "agent_words", "score")
RATES: Final = ("fault_rate", "error_rate", "recovery_rate")
#: The category of a tool call without a fault, a step or trajectory without labels.
NONE: Final = "(none)"
#: Categories named per categorical measure: those whose share moved most.
TOP_MOVES: Final = 3


@dataclass
class Tally:
    """``hits`` of ``total``."""

    hits: int = 0
    total: int = 0

    def rate(self) -> float | None:
        """hits / total (``None`` when there is nothing to count)."""
        return self.hits / self.total if self.total else None


@dataclass
class Profile:
    """One dataset summarised: categorical counts, histograms and rates, by measure name."""

    trajectories: int = 0
    mixes: dict[str, Counter[str]] = field(
        default_factory=lambda: {name: Counter() for name in CATEGORICAL}
    )
    numbers: dict[str, Histogram] = field(
        default_factory=lambda: {name: Histogram() for name in NUMERIC}
    )
    rates: dict[str, Tally] = field(default_factory=lambda: {name: Tally() for name in RATES})

    def add(self, trajectory: Trajectory) -> None:
        """Account for one trajectory."""
        self.trajectories += 1
        mixes, numbers = self.mixes, self.numbers
        mixes["environments"][trajectory.task.environment or NONE] += 1
        mixes["sources"][trajectory.provenance.source] += 1
        mixes["outcomes"][trajectory.outcome.status] += 1
        numbers["steps"].add(len(trajectory.steps))
        if trajectory.task.instruction:
            numbers["instruction_words"].add(len(words(trajectory.task.instruction)))
        if trajectory.outcome.score is not None:
            numbers["score"].add(trajectory.outcome.score)
        _labels(mixes["trajectory_labels"], trajectory.labels)
        self._steps(trajectory)

    def _steps(self, trajectory: Trajectory) -> None:
        mixes, rates = self.mixes, self.rates
        calls = agent_words = 0
        failed: Counter[str] = Counter()  # error results per tool, not yet recovered
        for step in trajectory.steps:
            for action in step.actions:
                mixes["action_kinds"][str(type(action).__struct_config__.tag)] += 1
                if isinstance(action, ToolCall):
                    calls += 1
                    mixes["tools"][action.name] += 1
                elif isinstance(action, TEXT_ACTIONS):
                    agent_words += len(words(action.content))
            for observation in step.observations:
                if isinstance(observation, ToolResult):
                    self._result(observation, failed)
            mixes["faults"].update(fault.kind for fault in step.faults)
            _labels(mixes["step_labels"], step.labels)
        faults = sum(len(step.faults) for step in trajectory.steps)
        mixes["faults"][NONE] += max(0, calls - faults)
        rates["fault_rate"].hits += faults
        rates["fault_rate"].total += calls
        self.numbers["tool_calls"].add(calls)
        self.numbers["agent_words"].add(agent_words)

    def _result(self, result: ToolResult, failed: Counter[str]) -> None:
        self.mixes["result_statuses"][result.status] += 1
        errors, recovered = self.rates["error_rate"], self.rates["recovery_rate"]
        errors.total += 1
        name = result.name or ""
        if result.status != "ok":
            errors.hits += 1
            recovered.total += 1
            failed[name] += 1
        elif failed[name]:
            recovered.hits += failed.pop(name)


def _labels(mix: Counter[str], labels: list[Label]) -> None:
    """Count labels as ``name=grade`` (or ``name``), and a holder without any as ``(none)``."""
    mix.update(f"{label.name}={label.grade}" if label.grade else label.name for label in labels)
    if not labels:
        mix[NONE] += 1


Kind = Literal["categorical", "numeric", "rate"]


class Measure(msgspec.Struct, kw_only=True):
    """One measure compared: its value in each dataset, the distance, and whether it drifted.

    ``a`` and ``b`` are the mean (numeric), the rate (rate) or the number of categories
    (categorical); ``moves`` names the categories whose share moved most (``+`` towards B).
    """

    name: str
    kind: Kind
    a: float | None
    b: float | None
    distance: float | None
    p_value: float | None = None
    wasserstein: float | None = None
    moves: dict[str, float] = {}
    drifted: bool = False


class DriftReport(msgspec.Struct, kw_only=True):
    """What ``trajforge report drift`` reports."""

    a: int
    b: int
    threshold: float
    alpha: float
    measures: list[Measure]

    @property
    def drifted(self) -> list[str]:
        """The names of the measures that drifted."""
        return [m.name for m in self.measures if m.drifted]


def profile(trajectories: Iterable[Trajectory]) -> Profile:
    """The profile of a stream of trajectories."""
    result = Profile()
    for trajectory in trajectories:
        result.add(trajectory)
    return result


def compare(a: Profile, b: Profile, *, threshold: float = 0.1, alpha: float = 0.01) -> DriftReport:
    """Every measure of ``a`` against ``b``."""
    measures = [_categorical(name, a.mixes[name], b.mixes[name]) for name in CATEGORICAL]
    measures += [_numeric(name, a.numbers[name], b.numbers[name]) for name in NUMERIC]
    measures += [_rate(name, a.rates[name], b.rates[name]) for name in RATES]
    for m in measures:
        significant = m.p_value is not None and m.p_value < alpha
        m.drifted = m.distance is not None and m.distance >= threshold and significant
    return DriftReport(
        a=a.trajectories, b=b.trajectories, threshold=threshold, alpha=alpha, measures=measures
    )


def _shares(counts: Counter[str]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()} if total else {}


def _categorical(name: str, a: Counter[str], b: Counter[str]) -> Measure:
    share_a, share_b = _shares(a), _shares(b)
    moved = {k: share_b.get(k, 0.0) - share_a.get(k, 0.0) for k in share_a.keys() | share_b}
    top = sorted(moved, key=lambda k: (-abs(moved[k]), k))[:TOP_MOVES]
    return Measure(
        name=name,
        kind="categorical",
        a=len(a),
        b=len(b),
        distance=js_distance(a, b) if a and b else None,
        p_value=g_test_p_value(a, b) if a and b else None,
        moves={k: moved[k] for k in top if moved[k]},
    )


def _numeric(name: str, a: Histogram, b: Histogram) -> Measure:
    if not a.total or not b.total:
        return Measure(name=name, kind="numeric", a=a.mean(), b=b.mean(), distance=None)
    statistic = ks_statistic(a.counts, b.counts)
    return Measure(
        name=name,
        kind="numeric",
        a=a.mean(),
        b=b.mean(),
        distance=statistic,
        p_value=ks_p_value(statistic, a.total, b.total),
        wasserstein=wasserstein(a.counts, b.counts),
    )


def _rate(name: str, a: Tally, b: Tally) -> Measure:
    rate_a, rate_b = a.rate(), b.rate()
    if rate_a is None or rate_b is None:
        return Measure(name=name, kind="rate", a=rate_a, b=rate_b, distance=None)
    return Measure(
        name=name,
        kind="rate",
        a=rate_a,
        b=rate_b,
        distance=abs(rate_a - rate_b),
        p_value=two_proportion_p_value(a.hits, a.total, b.hits, b.total),
    )
