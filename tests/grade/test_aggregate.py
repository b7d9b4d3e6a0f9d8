"""The aggregate score: graded in [0, 1], configurable, validated, explained."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from tests.envs.toy_env import CounterEnv
from tests.grade.rules.build import Build
from trajforge.errors import ConfigError
from trajforge.grade import (
    ScoreWeights,
    grade_rules,
    load_weights,
    read_weights,
    score,
    score_trajectory,
)
from trajforge.grade.aggregate import SOURCE
from trajforge.schema import Label, LabelSource, Trajectory


def clean() -> Trajectory:
    t = Build("Cancel W1001.").call(
        "get_order", {"status": "pending", "total": 12.5}, order_id="W1001"
    )
    t.call("cancel_order", {"status": "cancelled"}, changes=True, order_id="W1001")
    return grade_rules(t.finish("W1001 is cancelled; $12.5 voided.").build(optimal=3))


def stumbling() -> Trajectory:
    t = Build("Cancel W1001.").call(
        "get_order", {"status": "pending", "total": 12.5}, order_id="W1001"
    )
    t.call("get_order", {"status": "pending", "total": 12.5}, order_id="W1001")
    t.error("cancel_order", "no such order", order_id="W1009")
    t.call("cancel_order", {"status": "cancelled"}, changes=True, order_id="W1001")
    return grade_rules(t.finish("W1001 is cancelled; $12.5 voided.").build(optimal=3))


def test_same_outcome_but_stumbling_scores_lower() -> None:
    good, bad = score(clean()), score(stumbling())
    assert good.outcome == bad.outcome == 1.0
    assert good.score == 1.0
    assert good.grade == "excellent"
    assert 0.0 < bad.score < good.score
    assert bad.efficiency == 0.6
    assert bad.steps is not None
    assert bad.steps < 1.0


def test_partial_outcomes_and_violations_grade_down_smoothly() -> None:
    t = Build("Bring it to 3.").call("add", {"value": 3}, changes=True, amount=3).finish()
    full = score(t.build(status="success", score=1.0)).score
    half = score(t.build(status="partial", score=0.5)).score
    none = score(t.build(status="failure", score=0.0)).score
    assert full > half > none > 0.0  # the other components still count

    bad = t.call("reset_counter", "reset", changes=True).build()
    graded = grade_rules(bad, env=CounterEnv)
    breakdown = score(graded)
    assert breakdown.violation_count == 1
    assert breakdown.violations == 0.5
    harsher = score(graded, ScoreWeights(violation_penalty=3.0))
    assert harsher.violations == 0.25
    assert harsher.score < breakdown.score


def test_missing_components_are_left_out_not_counted_as_zero() -> None:
    t = Build().finish().build(status="unknown")
    breakdown = score(t)
    assert breakdown.outcome is None
    assert breakdown.efficiency is None
    assert breakdown.score == 1.0  # nothing went wrong that could be seen


def test_a_trajectory_with_nothing_in_it_scores_zero() -> None:
    """No steps and no outcome: no violation is no merit (it used to score 1.0, excellent)."""
    empty = Trajectory(id="empty")
    breakdown = score(empty)
    assert (breakdown.score, breakdown.grade, breakdown.violations) == (0.0, "bad", None)
    (label,) = score_trajectory(empty).labels
    assert label.rationale == "0.00 (bad) nothing to grade: no steps and no outcome"


def test_weights_change_the_balance() -> None:
    t = stumbling()
    outcome_only = score(t, ScoreWeights(outcome=1, efficiency=0, violations=0, steps=0))
    assert outcome_only.score == 1.0
    steps_only = score(t, ScoreWeights(outcome=0, efficiency=0, violations=0, steps=1))
    assert steps_only.score == steps_only.steps


def test_generator_labels_never_count() -> None:
    t = clean()
    t.steps[0].labels.append(
        Label(name="injected_mistake", source=LabelSource(kind="generator"), value=0.0)
    )
    assert score(t).score == 1.0
    with pytest.raises(ConfigError, match="ground truth"):
        ScoreWeights(step_sources=("rule", "generator"))


def test_other_graders_step_labels_count() -> None:
    t = clean()
    t.steps[0].labels.append(Label(name="process", source=LabelSource(kind="rollout"), value=0.0))
    assert score(t).steps == pytest.approx(2 / 3)
    only_rules = ScoreWeights(step_sources=("rule",))
    assert score(t, only_rules).steps == 1.0


def test_the_score_label_carries_its_components_and_replaces_an_older_one() -> None:
    t = score_trajectory(stumbling())
    (label,) = [lb for lb in t.labels if lb.name == "score"]
    assert label.source == SOURCE
    assert label.target == "trajectory"
    assert label.value is not None
    assert label.grade in {"good", "fair", "poor"}
    components = label.details["components"]
    assert set(components) == {"outcome", "efficiency", "violations", "steps"}
    assert label.details["weights"]["outcome"] == 0.5
    again = score_trajectory(t, ScoreWeights(outcome=1.0))
    assert [lb.name for lb in again.labels].count("score") == 1
    msgspec.json.encode(again)  # still a valid record


def test_weights_are_validated_with_their_field_named() -> None:
    assert load_weights(None) == ScoreWeights()
    assert load_weights({"steps": 0.5}).steps == 0.5
    with pytest.raises(ConfigError) as error:
        load_weights({"outcome": -1}, file="run.toml")
    assert error.value.path == "weights.outcome"
    assert error.value.file == "run.toml"
    with pytest.raises(ConfigError, match="unknown field"):
        load_weights({"speed": 1})
    with pytest.raises(ConfigError, match="all zero"):
        load_weights({"outcome": 0, "efficiency": 0, "violations": 0, "steps": 0})


def test_weights_are_read_from_a_weights_table_or_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text("[weights]\nsteps = 0.5\n")
    assert read_weights(path).steps == 0.5
    path.write_text("steps = 0.25\n")
    assert read_weights(path).steps == 0.25
    path.write_text("weights = 1\n")
    with pytest.raises(ConfigError, match="weights must be a table") as error:
        read_weights(path)
    assert error.value.file == str(path)
    path.write_text("[weights]\nspeed = 1\n")
    with pytest.raises(ConfigError) as error:
        read_weights(path)
    assert error.value.file == str(path)
