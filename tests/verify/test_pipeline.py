"""The verify stage end to end: labels where they belong, idempotence, outcomes, the summary."""

from __future__ import annotations

import msgspec

from tests.verify.episodes import episode
from trajforge.schema import ExpectedAction, ToolResult, Trajectory, encode
from trajforge.verify import (
    LabelSummary,
    VerifyOptions,
    verify_parallel,
    verify_stream,
    verify_trajectory,
)
from trajforge.verify.summary import LabelKey


def copy(t: Trajectory) -> Trajectory:
    return msgspec.json.decode(msgspec.json.encode(t), type=Trajectory)


def names(t: Trajectory) -> list[str]:
    return [label.name for label in t.labels]


def test_a_correct_generated_trajectory_passes() -> None:
    t = verify_trajectory(copy(episode("dataops", 0)))
    assert names(t) == ["outcome", "verify"]
    verdict = t.labels[-1]
    assert (verdict.grade, verdict.value, verdict.source.kind) == ("pass", 1.0, "verify")
    assert verdict.details == {"errors": 0, "warnings": 0, "replayed": True}
    assert t.labels[0].value == t.outcome.score
    assert t.provenance.stages[-1].name == "verify"
    assert all(label.source.kind == "generator" for step in t.steps for label in step.labels)


def test_problems_are_labelled_on_their_step() -> None:
    t = copy(episode("dataops", 1))
    k, observation = next(
        (i, o) for i, s in enumerate(t.steps) for o in s.observations if type(o) is ToolResult
    )
    observation.content = "made up"
    t.steps[-1].actions = []
    verify_trajectory(t)
    assert [(label.name, label.grade) for label in t.steps[k].labels] == [
        ("observation_mismatch", "error")
    ]
    assert ("empty_step", "error") in [(label.name, label.grade) for label in t.steps[-1].labels]
    assert t.labels[-1].grade == "fail"
    assert t.labels[-1].details["errors"] >= 2


def test_verifying_twice_gives_the_same_record() -> None:
    once = verify_trajectory(copy(episode("dataops", 2)))
    twice = verify_trajectory(copy(once))
    assert encode(twice) == encode(once)


def test_without_replay_the_outcome_comes_from_expected_actions() -> None:
    recorded = copy(episode("dataops", 0))
    t = verify_trajectory(copy(recorded), VerifyOptions(replay=False))
    assert names(t) == ["expected_actions", "verify"]
    assert t.labels[-1].details["replayed"] is False
    assert t.outcome == recorded.outcome  # a recorded outcome is kept
    t = verify_trajectory(copy(recorded), VerifyOptions(replay=False, outcome=False))
    assert names(t) == ["verify"]


def test_imported_data_is_scored_by_expected_actions() -> None:
    t = copy(episode("dataops", 0))
    t.task.environment = None
    t.task.expected_actions = [
        *t.task.expected_actions[:2],
        ExpectedAction(name="list_tables", arguments={"x": 1}),
    ]
    t.outcome = msgspec.structs.replace(t.outcome, status="unknown", score=None, checks=[])
    verify_trajectory(t)
    label = next(label for label in t.labels if label.name == "expected_actions")
    assert label.source.kind == "verify"
    assert label.grade == "partial"
    assert label.value is not None
    assert 0 < label.value < 1
    assert t.outcome.status == "partial"  # filled in: nothing was recorded


def test_summary_counts_labels_per_environment() -> None:
    good = copy(episode("dataops", 0))
    bad = copy(episode("dataops", 1))
    bad.steps[-1].actions = []
    summary = LabelSummary()
    list(summary.watch(verify_stream([good, bad], VerifyOptions(replay=False))))
    counts = dict(summary.rows())
    assert counts[LabelKey("dataops", "verify", "verify", "pass")] == 1
    assert counts[LabelKey("dataops", "verify", "verify", "fail")] == 1
    assert counts[LabelKey("dataops", "verify", "empty_step", "error")] == 1
    assert summary.trajectories["dataops"] == 2
    assert summary.failed["dataops"] == 1


def test_a_process_pool_gives_the_same_records_in_order() -> None:
    trajectories = [episode("dataops", i) for i in range(5)]
    sequential = [encode(t) for t in verify_stream(copy(t) for t in trajectories)]
    pooled = [encode(t) for t in verify_parallel(trajectories, workers=2)]
    assert pooled == sequential


def test_a_trajectory_that_cannot_replay_falls_back_to_expected_actions() -> None:
    t = copy(episode("dataops", 0))
    t.provenance.fault_profile = "custom"
    verify_trajectory(t)
    assert names(t) == ["replay_skipped", "expected_actions", "verify"]
    assert t.labels[-1].details == {"errors": 0, "warnings": 1, "replayed": False}
