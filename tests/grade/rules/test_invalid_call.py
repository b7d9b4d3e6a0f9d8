"""invalid_call: undeclared tools, required arguments left out, calls the environment rejected."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, steps_of


def test_a_required_argument_left_out_is_invalid_whatever_came_back() -> None:
    t = Build().fault("get_order", "timeout")  # no order_id, and a time-out hid the rejection
    found = labels(t.build(), "invalid_call")
    assert list(found) == [0]
    assert "order_id" in (found[0][0].rationale or "")
    assert found[0][0].grade == "error"


def test_an_undeclared_tool_is_invalid() -> None:
    assert steps_of(Build().call("teleport", where="x").build(), "invalid_call") == [0]


def test_a_rejection_for_what_was_asked_is_invalid() -> None:
    t = Build().error("get_order", "order 'W1007' not found", order_id="W1007")
    assert steps_of(t.build(), "invalid_call") == [0]


def test_faults_are_not_the_agents_fault() -> None:
    t = Build().fault("get_order", "rate_limit", order_id="W1001")
    t.fault("get_order", "timeout", order_id="W1001").call("get_order", order_id="W1001")
    assert steps_of(t.build(), "invalid_call") == []


def test_a_retried_write_that_had_gone_through_is_excused() -> None:
    t = Build().call(
        "cancel_order",
        '{"status": "canc …[truncated]',
        status="partial",
        changes=True,
        order_id="W1001",
    )
    t.error("cancel_order", "order W1001 is already cancelled", "invalid_request", order_id="W1001")
    assert steps_of(t.build(), "invalid_call") == []
