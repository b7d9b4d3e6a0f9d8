"""unnecessary_tool: a lookup the task did not call for, whose answer the agent did without."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, steps_of
from trajforge.schema import ExpectedAction

ROOMS = [{"id": "r-alder", "name": "Alder"}, {"id": "r-birch", "name": "Birch"}]
ORDERS = [{"order_id": "W1001", "total": 12.5}, {"order_id": "W1002", "total": 99.0}]


def test_a_listing_nothing_of_which_is_used_is_unnecessary() -> None:
    t = Build("Cancel order W1001.").call("list_rooms", ROOMS)
    t.call("cancel_order", {"status": "cancelled"}, changes=True, order_id="W1001").finish()
    found = labels(t.build(), "unnecessary_tool")
    assert list(found) == [0]
    assert found[0][0].grade == "unnecessary-tool"


def test_of_two_lookups_telling_the_same_the_broader_one_is_unnecessary() -> None:
    everything = [*ORDERS, *({"order_id": f"W20{n}", "total": n + 0.5} for n in range(10, 14))]
    t = Build("Cancel my latest order.").call("list_orders", ORDERS, customer_id="C17")
    t.call("search", everything, query="orders")  # all orders again, and more
    t.call("cancel_order", changes=True, order_id="W1002")
    assert steps_of(t.build(), "unnecessary_tool") == [1]
    t = Build("Cancel my latest order.").call("search", everything, query="orders")
    t.call("list_orders", ORDERS, customer_id="C17")  # the narrower answer, after the broad one
    t.call("cancel_order", changes=True, order_id="W1002")
    assert steps_of(t.build(), "unnecessary_tool") == [0]


def test_a_failed_lookup_the_agent_then_did_without() -> None:
    t = Build("Cancel order W1001.").fault("list_rooms", "rate_limit")
    t.call("cancel_order", changes=True, order_id="W1001")
    assert steps_of(t.build(), "unnecessary_tool") == [0]


def test_a_lookup_whose_answer_is_used_is_needed() -> None:
    t = Build("Cancel my latest order.").call("list_orders", ORDERS, customer_id="C17")
    t.call("cancel_order", changes=True, order_id="W1002")
    assert steps_of(t.build(), "unnecessary_tool") == []


def test_expected_lookups_checks_rechecks_and_followed_leads_are_needed() -> None:
    expected = [ExpectedAction(name="list_rooms")]
    t = Build("Book a room.").call("list_rooms", ROOMS).finish()
    assert steps_of(t.build(expected=expected), "unnecessary_tool") == []
    t = Build("Is search up?").call(
        "run_healthcheck", {"healthy": True, "pid": 4242}, name="search"
    )
    assert steps_of(t.build(), "unnecessary_tool") == []
    t = Build("Cancel W1001.").call("get_order", {"card": "visa_4242"}, order_id="W1001")
    t.call("cancel_order", changes=True, order_id="W1001")
    t.call("get_order", {"status": "cancelled", "note": "voided"}, order_id="W1001")
    t.finish("Cancelled; the charge on visa_4242 is voided.")
    assert steps_of(t.build(), "unnecessary_tool") == []  # the re-check after the change
    t = Build("Which order had my lamp?").call("list_orders", ORDERS, customer_id="C17")
    t.call("get_order", {"items": ["Chair"]}, order_id="W1001")  # not this one...
    t.call("get_order", {"items": ["Lamp"]}, order_id="W1002")
    t.finish("W1002 had your Lamp.")
    assert steps_of(t.build(), "unnecessary_tool") == []  # W1001 was a lead worth checking
