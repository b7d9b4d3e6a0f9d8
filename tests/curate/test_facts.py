"""Which problems count as recovered, against the generator's own truth: the curation tests'
dataset ran itops with ``recover = false`` (the agent carries on as if nothing happened) and
support and dataops with ``recover = true`` (the expert re-makes the call it meant to make)."""

from __future__ import annotations

from collections import Counter

from trajforge.curate.facts import INJECTED_MISTAKE, labels, recoveries
from trajforge.schema import Trajectory

#: The mistakes made in place of a call the expert meant to make.
IN_PLACE_OF_A_CALL = ("wrong_argument", "missing_argument", "redundant_call")


def test_mistakes_count_as_recovered_where_the_agent_made_good(
    dataset: list[Trajectory],
) -> None:
    recovered: dict[bool, Counter[bool]] = {True: Counter(), False: Counter()}
    for trajectory in dataset:
        recover = trajectory.task.environment in ("support", "dataops")
        if not recover and trajectory.task.environment != "itops":
            continue
        found = recoveries(trajectory)
        for step, label in labels(trajectory):
            if label.name == INJECTED_MISTAKE and label.grade in IN_PLACE_OF_A_CALL:
                recovered[recover][found.recovered(step, label)] += 1
    assert recovered[False][True] == 0 < recovered[False][False]
    share = recovered[True][True] / sum(recovered[True].values())
    assert share >= 0.75, recovered  # 0.82; a recovery label alone answers 0.46


def test_a_fault_is_recovered_only_by_a_recovery_label(dataset: list[Trajectory]) -> None:
    for trajectory in dataset:
        found = recoveries(trajectory)
        for step in range(len(trajectory.steps)):
            assert found.recovered(step) == (step in found.setbacks)
