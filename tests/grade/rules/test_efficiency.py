"""efficiency: steps taken against the expert's optimal count (a trajectory label)."""

from __future__ import annotations

from tests.grade.rules.build import Build
from trajforge.grade.rules import grade_rules


def efficiency(trajectory):  # type: ignore[no-untyped-def]
    graded = grade_rules(trajectory, rules="efficiency")
    return [lb for lb in graded.labels if lb.name == "efficiency"]


def test_optimal_over_steps_taken() -> None:
    t = Build().call("get_order", order_id="W1001").call("get_order", order_id="W1001")
    t.call("cancel_order", changes=True, order_id="W1001").finish()
    (label,) = efficiency(t.build(optimal=2))
    assert label.value == 0.5
    assert label.grade == "inefficient"
    assert label.target == "trajectory"
    assert label.details["optimal"] == 2
    assert label.details["steps"] == 4


def test_steps_lost_to_faults_are_excused() -> None:
    t = Build().fault("get_order", order_id="W1001").call("get_order", order_id="W1001").finish()
    (label,) = efficiency(t.build(optimal=2))
    assert label.value == 1.0
    assert label.grade == "efficient"
    assert label.details["fault_steps"] == 1


def test_no_optimal_count_no_label() -> None:
    assert efficiency(Build().finish().build()) == []
