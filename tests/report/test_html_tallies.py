"""The report's tallies: Cohen's kappa, fault recovery, process curves, and the example picks
(bounded, and the same whatever the order of the stream)."""

from __future__ import annotations

import random

import pytest

from tests.report.conftest import Run
from trajforge.io import read_trajectories
from trajforge.report.agreement import Table2x2
from trajforge.report.examples import CANDIDATES, Examples
from trajforge.report.faults import Faults
from trajforge.report.labels import ProcessCurves
from trajforge.schema import FaultRecord, Label, LabelSource, Outcome, Step, Trajectory
from trajforge.schema.records import OutcomeStatus

RULE = LabelSource(kind="rule", id="recovery")
ROLLOUT = LabelSource(kind="rollout", id="expert")


def test_kappa_of_a_textbook_table() -> None:
    # Cohen's kappa of 20 / 5 / 10 / 15 (yes-yes, yes-no, no-yes, no-no) is 0.4
    table = Table2x2(both=20, human_only=5, grader_only=10, neither=15)
    assert table.agreement == pytest.approx(0.7)
    assert table.kappa == pytest.approx(0.4)
    assert Table2x2(neither=8).kappa is None  # one class only: chance explains everything
    assert Table2x2().agreement is None


def test_faults_count_recoveries_by_kind() -> None:
    recovery = Label(name="recovery", source=RULE, value=1.0, details={"setback_step": 0})
    steps = [
        Step(faults=[FaultRecord(kind="timeout")]),
        Step(labels=[recovery], faults=[FaultRecord(kind="rate_limit")]),
    ]
    faults = Faults()
    faults.add(Trajectory(id="a", steps=steps, outcome=Outcome(status="success")))
    faults.add(Trajectory(id="b", steps=[Step(faults=[FaultRecord(kind="timeout")])]))
    faults.add(Trajectory(id="c", steps=[Step()]))
    timeout, rate_limit = faults.kinds["timeout"], faults.kinds["rate_limit"]
    assert (timeout.injected, timeout.recovered, timeout.succeeded) == (2, 1, 1)
    assert timeout.recovery_rate == 0.5
    assert (rate_limit.injected, rate_limit.recovered) == (1, 0)
    assert (faults.trajectories, faults.trajectories_succeeded) == (2, 1)


def _process(status: OutcomeStatus, *values: float) -> Trajectory:
    steps = [Step(labels=[Label(name="process", source=ROLLOUT, value=v)]) for v in values]
    return Trajectory(id=status + str(values), steps=steps, outcome=Outcome(status=status))


def test_process_curves_average_each_step_by_outcome() -> None:
    curves = ProcessCurves()
    for trajectory in (
        _process("failure", 1.0, 0.5, 0.0),
        _process("success", 1.0, 1.0),
        _process("success", 0.5, 1.0, 1.0),
        Trajectory(id="unlabelled", steps=[Step()]),
    ):
        curves.add(trajectory)
    assert curves.curves() == {
        "success": [(0, 0.75), (1, 1.0), (2, 1.0)],
        "failure": [(0, 1.0), (1, 0.5), (2, 0.0)],
    }
    assert curves.trajectories == {"success": 2, "failure": 1, "unknown": 0}


def test_examples_are_bounded_and_independent_of_order(run: Run) -> None:
    trajectories = list(read_trajectories(run.folder / "02-graded.jsonl", None))
    picks = []
    for seed in (1, 2):
        random.Random(seed).shuffle(trajectories)
        examples = Examples()
        for trajectory in trajectories:
            examples.add(trajectory)
        assert all(len(heap) == CANDIDATES for heap in examples.kept.values())
        picks.append([(kind, t.id) for kind, t in examples.picked()])
    assert picks[0] == picks[1]
    assert [kind for kind, _ in picks[0]] == ["a hand-off", "a recovery", "a mistake"]
    assert len({tid for _, tid in picks[0]}) == 3
