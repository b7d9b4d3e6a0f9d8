"""Strata of trajectories, and how a sample's total is shared among them."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.curate.generated import generated
from trajforge.curate.strata import allocate, first_label, stratum_of
from trajforge.schema import Trajectory


def test_proportional_shares_follow_the_strata_sizes() -> None:
    assert allocate({"a": 600, "b": 300, "c": 100}, 10) == {"a": 6, "b": 3, "c": 1}
    # 10 * (0.55, 0.35, 0.10) = 5.5, 3.5, 1.0: the half units go by largest remainder, ties to
    # the earlier stratum
    assert allocate({"a": 550, "b": 350, "c": 100}, 10) == {"a": 6, "b": 3, "c": 1}
    assert allocate({"a": 350, "b": 550, "c": 100}, 10) == {"a": 4, "b": 5, "c": 1}


def test_small_strata_get_their_minimum_and_the_rest_is_shared_again() -> None:
    # proportional shares would be 19.4, 0.4 and 0.2
    shares = allocate({"big": 970, "small": 20, "tiny": 10}, 20, minimum=2)
    assert shares == {"big": 16, "small": 2, "tiny": 2}
    assert allocate({"big": 970, "small": 20, "tiny": 1}, 20, minimum=2)["tiny"] == 1


def test_a_stratum_never_gets_more_than_it_has() -> None:
    assert allocate({"a": 3, "b": 100}, 50, allocation="equal") == {"a": 3, "b": 47}
    assert allocate({"a": 3, "b": 4}, 50) == {"a": 3, "b": 4}
    assert allocate({"a": 0, "b": 4}, 2) == {"a": 0, "b": 2}


def test_minimums_win_over_a_total_too_small_for_them() -> None:
    assert allocate(dict.fromkeys("abcde", 10), 3, minimum=1) == dict.fromkeys("abcde", 1)


@pytest.mark.parametrize("total", [1, 7, 50, 333])
def test_shares_add_up_to_the_total(total: int) -> None:
    sizes = {f"s{i}": 13 * i + 1 for i in range(12)}
    for allocation in ("proportional", "equal"):
        shares = allocate(sizes, total, allocation=allocation)  # type: ignore[arg-type]
        assert sum(shares.values()) == min(total, sum(sizes.values()))


def test_strata_of_generated_graded_runs() -> None:
    runs = generated(("support", 12), ("itops", 8), faults="flaky", mistakes=0.3)
    kinds = ("policy_violation", "recovery", "injected_mistake")
    strata = Counter(stratum_of(t, ["environment", "outcome", "label"], kinds) for t in runs)
    assert sum(strata.values()) == 20
    assert {env for env, _, _ in strata} == {"support", "itops"}
    for t in runs:
        env, outcome, label = stratum_of(t, ["environment", "outcome", "label"], kinds)
        assert (env, outcome) == (t.task.environment, t.outcome.status)
        names = {lab.name for s in t.steps for lab in s.labels} | {lab.name for lab in t.labels}
        expected = next((k for k in kinds if k in names), "none")
        assert label == expected == first_label(t, kinds)
    # the priority order decides which label names a trajectory's stratum
    both = next(t for t in runs if {"recovery", "injected_mistake"} <= _names(t))
    assert first_label(both, ["injected_mistake", "recovery"]) == "injected_mistake"
    assert first_label(both, ["recovery", "injected_mistake"]) == "recovery"
    source, agent = stratum_of(both, ["source", "agent"], kinds)
    assert (source, agent) == ("synthetic", "expert+mistakes0.3")  # the generator's policy


def _names(t: Trajectory) -> set[str]:
    return {label.name for step in t.steps for label in step.labels}
