"""ignored_error: after a failure, a claim of success or an unrelated call."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, spec, steps_of
from trajforge.schema import ToolSpec


def test_claiming_success_right_after_a_failure() -> None:
    t = Build().error(
        "cancel_order", "order W1001 cannot be cancelled", "invalid_request", order_id="W1001"
    )
    t.finish("Your order is cancelled.")
    found = labels(t.build(), "ignored_error")
    assert list(found) == [1]
    assert found[1][0].details["failed_step"] == 0


def test_moving_on_to_an_unrelated_call() -> None:
    t = Build().fault("get_order", "server_error", order_id="W1001")
    t.call("list_rooms")
    assert steps_of(t.build(), "ignored_error") == [1]


def test_retrying_correcting_or_switching_to_an_alternative_is_handling_it() -> None:
    t = Build().fault("get_order", order_id="W1001").call("get_order", order_id="W1001")
    assert steps_of(t.build(), "ignored_error") == []
    t = Build().fault("get_order", "permanent", order_id="W1001").call("search", query="x")
    assert steps_of(t.build(), "ignored_error") == []
    t = Build().fault("get_order", "server_error", order_id="W1001")
    t.call("search", [{"order_id": "W1001"}], query="orders")  # its answer is about W1001
    assert steps_of(t.build(), "ignored_error") == []


def test_an_honest_report_or_a_question_is_handling_it() -> None:
    t = Build().error("cancel_order", "too late", "invalid_request", order_id="W1001")
    t.finish("I could not cancel W1001: it has shipped.", completed=False)
    assert steps_of(t.build(), "ignored_error") == []
    t = Build().error("cancel_order", "too late", "invalid_request", order_id="W1001")
    t.ask("It has shipped; shall I start a return instead?", "yes")
    assert steps_of(t.build(), "ignored_error") == []


def test_thinking_or_computing_after_a_failure_is_working_on_it() -> None:
    """Tools declared read-only that look nothing up (tau-bench's think and calculate) are the
    agent working on the failure: its next move after them is what counts."""
    tools = [
        spec("book", "flight"),
        ToolSpec(name="think", read_only=True),
        ToolSpec(name="calculate", read_only=True),
        spec("list_rooms"),
    ]
    t = Build().error("book", "total price is 305, but paid 255", "invalid", flight="HAT136")
    t.call("think", "", thought="The amounts do not add up.")
    t.call("calculate", "50.0", expression="305 - 255").call("book", flight="HAT136")
    assert steps_of(t.build(tools=tools), "ignored_error") == []
    t = Build().error("book", "total price is 305, but paid 255", "invalid", flight="HAT136")
    t.call("think", "", thought="Never mind.").call("list_rooms")
    assert steps_of(t.build(tools=tools), "ignored_error") == [2]
