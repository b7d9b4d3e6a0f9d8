"""redundant_call: the same call again while its earlier, complete answer still holds."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, steps_of

ORDER = {"order_id": "W1001", "status": "pending"}


def test_a_repeat_with_nothing_changed_is_redundant() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001")
    t.say("Looking.").call("get_order", ORDER, order_id="W1001").finish()
    found = labels(t.build(), "redundant_call")
    assert list(found) == [2]
    label = found[2][0]
    assert label.grade == "redundant"
    assert label.value == 0.0
    assert label.target == "steps[2].actions[0]"
    assert "step 0" in (label.rationale or "")


def test_a_failed_attempt_in_between_does_not_excuse_the_repeat() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001").fault("get_order", order_id="W1001")
    t.call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == [1, 2]


def test_asking_again_after_a_change_is_not_redundant() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001")
    t.call("cancel_order", {"status": "cancelled"}, changes=True, order_id="W1001")
    t.call("get_order", {**ORDER, "status": "cancelled"}, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == []


def test_retrying_after_a_fault_or_doubtful_data_is_not_redundant() -> None:
    t = Build().fault("get_order", order_id="W1001").call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == []
    t = Build().call("get_order", {}, faults=("empty",), order_id="W1001")
    t.call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == []
    t = Build().call("get_order", ORDER, status="partial", order_id="W1001")
    t.call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "redundant_call") == []


def test_other_arguments_are_another_call() -> None:
    t = Build().call("get_order", ORDER, order_id="W1001").call("get_order", order_id="W1002")
    assert steps_of(t.build(), "redundant_call") == []
