"""ungrounded_argument: identifiers in a call that nothing the agent was told contains."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, steps_of


def test_an_id_nobody_mentioned_is_ungrounded() -> None:
    t = Build("Cancel my order please.").call("cancel_order", order_id="W4711")
    found = labels(t.build(), "ungrounded_argument")
    assert list(found) == [0]
    assert found[0][0].details["values"] == ["W4711"]


def test_ids_from_the_task_results_or_the_user_are_grounded() -> None:
    t = Build("Cancel order W1001.").call("cancel_order", order_id="W1001")
    t.call("list_orders", [{"order_id": "W2002"}], customer_id="C17")
    t.call("get_order", order_id="W2002")
    t.ask("Which email?", "It is ann.lee7@example.com").call(
        "find_customer", email="ann.lee7@example.com"
    )
    assert steps_of(t.build(), "ungrounded_argument") == [1]  # C17 came from nowhere


def test_an_id_echoed_only_by_its_own_error_is_still_ungrounded() -> None:
    t = Build("Refund my order.").error("get_order", "order 'W77' not found", order_id="W77")
    t.call("get_order", order_id="W77")
    assert steps_of(t.build(), "ungrounded_argument") == [0, 1]
