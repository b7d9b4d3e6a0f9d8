"""recovery: a setback followed by a successful retry, correction or alternative (positive)."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, steps_of


def test_a_successful_retry_after_a_fault_is_a_recovery() -> None:
    t = Build().fault("get_order", order_id="W1001").call("get_order", order_id="W1001")
    found = labels(t.build(), "recovery")
    assert list(found) == [1]
    label = found[1][0]
    assert label.grade == "recovery"
    assert label.value == 1.0
    assert "retrying" in (label.rationale or "")


def test_a_correction_and_an_alternative_are_recoveries() -> None:
    t = Build().error("get_order", "not found", order_id="W1009")
    t.call("get_order", order_id="W1001")
    assert "correcting" in (labels(t.build(), "recovery")[1][0].rationale or "")
    t = Build().fault("get_order", "permanent", order_id="W1001").call("search", query="W1001")
    assert "using search" in (labels(t.build(), "recovery")[1][0].rationale or "")


def test_requerying_doubtful_data_is_a_recovery() -> None:
    t = Build().call("get_order", {}, faults=("empty",), order_id="W1001")
    t.call("get_order", {"order_id": "W1001"}, order_id="W1001")
    assert steps_of(t.build(), "recovery") == [1]


def test_no_recovery_without_a_success_after_the_setback() -> None:
    t = Build().fault("get_order", order_id="W1001").fault("get_order", order_id="W1001")
    t.finish("I could not reach the order system.", completed=False)
    assert steps_of(t.build(), "recovery") == []
    assert steps_of(Build().call("get_order", order_id="W1001").build(), "recovery") == []
