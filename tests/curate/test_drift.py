"""Drift between generated datasets that differ in known ways, and not between two runs of one
config."""

from __future__ import annotations

from tests.curate.generated import generated
from trajforge.curate.drift import DriftReport, Measure, Profile, compare, profile

SUPPORT = ("support", 60)


def drift(b: Profile) -> DriftReport:
    return compare(profile(generated(SUPPORT, seed=1)), b)


def measures(report: DriftReport) -> dict[str, Measure]:
    return {m.name: m for m in report.measures}


def test_another_seed_of_the_same_config_does_not_drift() -> None:
    report = drift(profile(generated(SUPPORT, seed=2)))
    assert report.drifted == []
    by_name = measures(report)
    for name in ("environments", "outcomes", "result_statuses", "faults", "step_labels"):
        assert by_name[name].distance == 0.0
    for m in report.measures:  # what differs is what a fresh draw of tasks gives
        assert m.distance is None or m.distance < 0.2, m
        assert m.p_value is None or m.p_value > 0.01, m


def test_faults_show_in_fault_and_error_rates() -> None:
    report = drift(profile(generated(SUPPORT, seed=1, faults="flaky")))
    by_name = measures(report)
    assert {"fault_rate", "error_rate", "faults", "result_statuses"} <= set(report.drifted)
    assert (by_name["fault_rate"].a, by_name["error_rate"].a) == (0.0, 0.0)
    assert by_name["fault_rate"].b is not None
    assert by_name["fault_rate"].b > 0.1
    assert by_name["faults"].moves["(none)"] < -0.1  # fewer calls without a fault
    # the same tasks: the instructions and the outcomes did not move
    for name in ("instruction_words", "environments", "outcomes"):
        assert by_name[name].distance == 0.0
        assert name not in report.drifted
    # the expert retried: the errors were recovered, and the graders saw it
    assert by_name["recovery_rate"].b is not None
    assert by_name["recovery_rate"].b > 0.8
    assert by_name["step_labels"].moves["recovery=recovery"] > 0.05


def test_mistakes_show_in_labels_outcomes_and_scores() -> None:
    report = drift(profile(generated(SUPPORT, seed=1, mistakes=0.3)))
    by_name = measures(report)
    drifted = set(report.drifted)
    assert {"step_labels", "outcomes", "score", "error_rate"} <= drifted
    assert not drifted & {"fault_rate", "faults", "instruction_words", "environments"}
    assert by_name["fault_rate"].distance == 0.0
    assert by_name["outcomes"].moves["success"] < -0.3
    score = by_name["score"]
    assert score.a == 1.0
    assert score.b is not None
    assert score.b < 0.9
    assert score.wasserstein is not None
    assert score.wasserstein > 0.1
    assert next(iter(by_name["step_labels"].moves)) == "(none)"


def test_a_dataset_against_itself_and_against_nothing() -> None:
    data = generated(SUPPORT, seed=1, faults="flaky")
    same = compare(profile(data), profile(data))
    assert same.drifted == []
    assert all(m.distance in (None, 0.0) for m in same.measures)
    empty = compare(profile(data), Profile())
    assert (empty.a, empty.b, empty.drifted) == (60, 0, [])
    assert all(m.distance is None for m in empty.measures)
