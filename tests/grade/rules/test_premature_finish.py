"""premature_finish: finishing as done before the goal is met."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, steps_of
from trajforge.schema import ExpectedAction


def test_finishing_as_done_while_goal_checks_fail() -> None:
    t = Build().call("get_order", order_id="W1001").finish("All done!")
    found = labels(t.build(status="partial", score=0.5), "premature_finish")
    assert list(found) == [1]
    assert found[1][0].target == "steps[1].actions[0]"


def test_finishing_right_after_an_unconfirmed_call() -> None:
    t = Build().call(
        "cancel_order", '{"status": "canc …[truncated]', status="partial", order_id="W1001"
    )
    assert steps_of(t.finish().build(), "premature_finish") == [1]


def test_without_an_outcome_the_expected_changes_decide() -> None:
    expected = [ExpectedAction(name="cancel_order", arguments={"order_id": "W1001"})]
    t = Build().call("get_order", order_id="W1001").finish()
    assert steps_of(t.build(status="unknown", expected=expected), "premature_finish") == [1]
    t = Build().call("cancel_order", changes=True, order_id="W1001").finish()
    assert steps_of(t.build(status="unknown", expected=expected), "premature_finish") == []


def test_success_or_an_honest_failure_is_not_premature() -> None:
    t = Build().call("cancel_order", changes=True, order_id="W1001").finish()
    assert steps_of(t.build(), "premature_finish") == []
    t = Build().fault("cancel_order", "permanent", order_id="W1001")
    t.finish("I could not cancel it.", completed=False)
    assert steps_of(t.build(status="failure", score=0.0), "premature_finish") == []
