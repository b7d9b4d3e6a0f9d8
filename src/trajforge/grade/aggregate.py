"""The trajectory score: outcome, efficiency, violations and step labels in one graded number.

Each component is a number in [0, 1]:

- ``outcome``: the goal checks' partial-credit score (``outcome.score``; else success 1, partial
  0.5, failure 0);
- ``efficiency``: the ``efficiency`` rule's value (the expert's optimal step count over the steps
  taken), else computed from ``metrics.optimal_steps``;
- ``violations``: ``1 / (1 + violation_penalty * n)`` for ``n`` policy-violation labels (none
  without steps: no violation is no merit when nothing was done);
- ``steps``: the mean step score, a step scoring the mean value of its labels from the chosen
  sources (a rule's problem 0, a recovery 1, a roll-out's success share as it is; a step without
  labels 1). The generator's own labels (injected mistakes) never count.

The score is the weighted mean of the components that can be computed (the weights of the others
are spread over the rest), so an imported trajectory without goal checks is still graded. A
trajectory with none (no steps, no outcome) scores 0: there is nothing in it to learn from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final

import msgspec

from trajforge.config import read_toml
from trajforge.errors import ConfigError
from trajforge.pipeline.provenance import clear_labels
from trajforge.pipeline.stage import TrajectoryStage
from trajforge.schema import Label, LabelSource, Trajectory
from trajforge.schema.codec import schema_error
from trajforge.schema.records import LabelSourceKind

VERSION: Final = "1"
SOURCE: Final = LabelSource(kind="rule", id="aggregate", version=VERSION)
Weight = Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)]
#: Score bands, best first: the grade a score at or above the bound gets.
BANDS: Final = ((0.9, "excellent"), (0.75, "good"), (0.5, "fair"), (0.25, "poor"), (0.0, "bad"))
_STATUS: Final = {"success": 1.0, "partial": 0.5, "failure": 0.0}


class ScoreWeights(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How much each component counts (relative weights, at least one positive), and how hard
    each policy violation hits."""

    outcome: Weight = 0.5
    efficiency: Weight = 0.15
    violations: Weight = 0.15
    steps: Weight = 0.2
    violation_penalty: Annotated[float, msgspec.Meta(gt=0.0, le=100.0)] = 1.0
    step_sources: tuple[LabelSourceKind, ...] = ("rule", "verify", "replay", "rollout", "judge")

    def __post_init__(self) -> None:
        if self.outcome + self.efficiency + self.violations + self.steps <= 0:
            raise ConfigError(
                "the score weights are all zero", path="weights", hint="give one a positive weight"
            )
        if "generator" in self.step_sources:
            raise ConfigError(
                "the generator's labels are ground truth and cannot feed the score",
                path="weights.step_sources",
            )


def load_weights(data: Mapping[str, Any] | None, *, file: str | None = None) -> ScoreWeights:
    """Validated weights from a mapping (a TOML table, CLI values); errors name the field."""
    if data is None:
        return ScoreWeights()
    try:
        return msgspec.convert(dict(data), ScoreWeights)
    except msgspec.ValidationError as exc:
        error = schema_error(exc)
        path = f"weights.{error.path.removeprefix('$.')}" if error.path else "weights"
        raise ConfigError(error.message, file=file, path=path) from None
    except ConfigError as exc:
        raise exc.located(file=file) from None


def read_weights(path: str | Path) -> ScoreWeights:
    """Validated weights from a TOML file: its ``[weights]`` table, or the whole file."""
    data = read_toml(path, what="the weights")
    weights = data.get("weights", data)
    if not isinstance(weights, dict):
        raise ConfigError("weights must be a table", file=str(path), path="weights")
    return load_weights(weights, file=str(path))


class ScoreBreakdown(msgspec.Struct, frozen=True, kw_only=True):
    """A trajectory's score and how it came about (``None``: a component not computable)."""

    score: float
    grade: str
    outcome: float | None
    efficiency: float | None
    violations: float | None
    steps: float | None
    violation_count: int
    step_label_count: int


def outcome_component(trajectory: Trajectory) -> float | None:
    """The goal checks' partial-credit score, or the status mapped to 1 / 0.5 / 0."""
    outcome = trajectory.outcome
    if outcome.score is not None:
        return outcome.score
    return _STATUS.get(outcome.status)


def efficiency_component(trajectory: Trajectory) -> float | None:
    """The efficiency rule's value, else optimal steps over steps taken (capped at 1)."""
    for label in trajectory.labels:
        if label.name == "efficiency" and label.source.kind == "rule" and label.value is not None:
            return label.value
    optimal = trajectory.metrics.optimal_steps
    if optimal and trajectory.steps:
        return min(1.0, optimal / len(trajectory.steps))
    return None


def _violations(trajectory: Trajectory) -> int:
    return sum(
        1
        for step in trajectory.steps
        for label in step.labels
        if label.name == "policy_violation" and label.source.kind == "rule"
    )


def steps_component(trajectory: Trajectory, weights: ScoreWeights) -> tuple[float | None, int]:
    """The mean step score and how many labels went into it."""
    if not trajectory.steps:
        return None, 0
    sources = set(weights.step_sources)
    total = 0.0
    used = 0
    for step in trajectory.steps:
        values = [
            lb.value
            for lb in step.labels
            if lb.value is not None and lb.source.kind in sources and lb.source.kind != "generator"
        ]
        used += len(values)
        total += sum(values) / len(values) if values else 1.0
    return total / len(trajectory.steps), used


def band(score: float) -> str:
    """The grade of a score."""
    return next(name for bound, name in BANDS if score >= bound)


def score(trajectory: Trajectory, weights: ScoreWeights | None = None) -> ScoreBreakdown:
    """Score a (graded) trajectory: the weighted mean of the components it allows."""
    w = weights or ScoreWeights()
    count = _violations(trajectory)
    step_score, labels = steps_component(trajectory, w)
    parts = {
        "outcome": (outcome_component(trajectory), w.outcome),
        "efficiency": (efficiency_component(trajectory), w.efficiency),
        "violations": (
            1.0 / (1.0 + w.violation_penalty * count) if trajectory.steps else None,
            w.violations,
        ),
        "steps": (step_score, w.steps),
    }
    known = [(value, weight) for value, weight in parts.values() if value is not None]
    total_weight = sum(weight for _, weight in known)
    value = sum(v * weight for v, weight in known) / total_weight if total_weight else 0.0
    value = min(1.0, max(0.0, value))
    return ScoreBreakdown(
        score=value,
        grade=band(value),
        outcome=parts["outcome"][0],
        efficiency=parts["efficiency"][0],
        violations=parts["violations"][0],
        steps=parts["steps"][0],
        violation_count=count,
        step_label_count=labels,
    )


def score_label(breakdown: ScoreBreakdown, weights: ScoreWeights) -> Label:
    """The trajectory-level ``score`` label of a breakdown (components in ``details``)."""
    shown = ", ".join(
        f"{name} {value:.2f}"
        for name in ("outcome", "efficiency", "violations", "steps")
        if (value := getattr(breakdown, name)) is not None
    )
    why = f"from {shown}" if shown else "nothing to grade: no steps and no outcome"
    return Label(
        name="score",
        source=SOURCE,
        value=breakdown.score,
        grade=breakdown.grade,
        rationale=f"{breakdown.score:.2f} ({breakdown.grade}) {why}",
        target="trajectory",
        details={
            "components": {
                "outcome": breakdown.outcome,
                "efficiency": breakdown.efficiency,
                "violations": breakdown.violations,
                "steps": breakdown.steps,
            },
            "violation_count": breakdown.violation_count,
            "step_label_count": breakdown.step_label_count,
            "weights": msgspec.to_builtins(weights),
        },
    )


def owns_score(label: Label) -> bool:
    """Whether ``label`` is the aggregate score (scoring again replaces it)."""
    return (
        label.name == "score" and label.source.kind == SOURCE.kind and label.source.id == SOURCE.id
    )


def score_trajectory(trajectory: Trajectory, weights: ScoreWeights | None = None) -> Trajectory:
    """The trajectory with its ``score`` label (an earlier aggregate score replaced)."""
    return ScoreStage(weights).apply(clear_labels(trajectory, owns_score))


class ScoreStage(TrajectoryStage):
    """The ``score`` stage: a trajectory-level score label from everything graded before."""

    name = "score"
    version = VERSION

    def __init__(self, weights: ScoreWeights | None = None) -> None:
        self.weights = weights or ScoreWeights()

    @property
    def params(self) -> dict[str, Any]:
        """The weights."""
        params: dict[str, Any] = msgspec.to_builtins(self.weights)
        return params

    #: The aggregate score label (the function itself: called per label).
    owns = staticmethod(owns_score)

    def apply(self, trajectory: Trajectory) -> Trajectory:
        """A copy of the trajectory with its score label added."""
        label = score_label(score(trajectory, self.weights), self.weights)
        return msgspec.structs.replace(trajectory, labels=[*trajectory.labels, label])
