"""corrected_call: a call made again for what it was for (it failed or found nothing, or a value
the conversation gave replaces the first) with one argument changed, where the first value looks
wrong; a tool used again on a new value after it answered is a new question."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, spec, steps_of
from trajforge.schema import ToolSpec

ORDERS = [{"order_id": "W1001"}, {"order_id": "W1002"}]


def test_an_id_found_nowhere_then_corrected() -> None:
    """The lookup answered, but the agent put an id the listing gave in place of its own."""
    t = Build().call("list_orders", ORDERS, customer_id="C1")
    t.call("get_order", {"order_id": "W1009"}, order_id="W1009")
    t.call("get_order", {"order_id": "W1001"}, order_id="W1001")
    found = labels(t.build(), "corrected_call")
    assert list(found) == [1]
    assert found[1][0].target == "steps[1].actions[0].arguments.order_id"
    assert found[1][0].grade == "wrong-argument"


def test_iterating_over_known_candidates_is_no_correction() -> None:
    t = Build().call("list_orders", ORDERS, customer_id="C1")
    t.call("get_order", order_id="W1001").call("get_order", order_id="W1002")
    assert steps_of(t.build(), "corrected_call") == []


def test_a_flipped_choice_counts_against_the_value_settled_on() -> None:
    tools = [
        ToolSpec(
            name="search",
            parameters={
                "type": "object",
                "properties": {"query": {"type": "string"}, "exact": {"type": "boolean"}},
                "required": ["query"],
            },
        )
    ]
    t = Build("Find lamps.").call("search", [], query="lamps", exact=True)
    t.call("search", ["lamp"], query="lamps", exact=False)
    assert steps_of(t.build(tools=tools), "corrected_call") == [0]
    # the other way round: the settled value was first, the flip in the middle is the mistake
    t = Build("Find lamps.").fault("search", query="lamps", exact=False)
    t.call("search", [], query="lamps", exact=True)
    t.call("search", ["lamp"], query="lamps", exact=False)
    assert steps_of(t.build(tools=tools), "corrected_call") == [1]


def test_a_list_cut_short_then_completed() -> None:
    tools = [spec("free_slots", "people")]
    t = Build("Meet with p1, p2 and p3.").call("free_slots", [], people=["p1", "p2"])
    t.call("free_slots", ["9:00"], people=["p1", "p2", "p3"])
    assert steps_of(t.build(tools=tools), "corrected_call") == [0]


def test_a_date_far_from_every_date_in_sight() -> None:
    tools = [spec("calendar", "date")]
    t = Build("What do I have on 2025-03-04?").call("calendar", [], date="2052-03-04")
    t.call("calendar", ["standup"], date="2025-03-04")
    assert steps_of(t.build(tools=tools), "corrected_call") == [0]
    t = Build("Anything this week? Today is 2025-03-04.").call("calendar", [], date="2025-03-05")
    t.call("calendar", ["dentist"], date="2025-03-06")  # working through the week
    assert steps_of(t.build(tools=tools), "corrected_call") == []


def test_several_changed_arguments_are_a_new_question() -> None:
    t = Build("Search lamps, then chairs.").call("search", [], query="lamps", limit="5")
    t.call("search", [], query="chairs", limit="10")
    assert steps_of(t.build(), "corrected_call") == []


def test_a_change_in_between_ends_the_window() -> None:
    t = Build().call("get_order", order_id="W1009")
    t.call("cancel_order", changes=True, order_id="W1001").call("get_order", order_id="W1001")
    assert steps_of(t.build(), "corrected_call") == []


def test_a_tool_used_again_after_it_answered_asks_anew() -> None:
    """A calculator, a code runner, a clock asked about a second city: new questions, though
    the first values appear nowhere in the conversation."""
    tools = [spec("calculate", "expression"), spec("run_python", "code"), spec("clock", "zone")]
    t = Build("What do the two orders cost together, and what time is it in Paris and Tokyo?")
    t.call("calculate", "305.0", expression="158 + 147")
    t.call("calculate", "610.0", expression="(158 + 147) * 2")
    t.call("run_python", "3\n", code="print(len(orders))")
    t.call("run_python", "W1001\n", code="print(orders[0])")
    t.call("clock", "14:02", zone="Europe/Paris").call("clock", "21:02", zone="Asia/Tokyo")
    assert steps_of(t.build(tools=tools), "corrected_call") == []


def test_a_think_tool_answers_nothing_each_time() -> None:
    tools = [spec("think", "thought")]
    t = Build().call("think", "", thought="First I look the order up.")
    t.call("think", "", thought="Now I can cancel it.")
    assert steps_of(t.build(tools=tools), "corrected_call") == []


def test_a_rejected_argument_changed_until_the_tool_took_it() -> None:
    """tau-bench's book_reservation: the payment did not add up, then it did."""
    tools = [spec("book", "flight", "payments")]
    t = Build("Book HAT136 for me.")
    rejection = "Error: payment amount does not add up, total price is 305, but paid 255"
    paid = [{"id": "gift_card_1", "amount": 255}]
    t.call("book", rejection, status="error", flight="HAT136", payments=paid)
    paid = [{"id": "gift_card_1", "amount": 305}]
    t.call("book", {"reservation_id": "R1"}, flight="HAT136", payments=paid)
    found = labels(t.build(tools=tools), "corrected_call")
    assert list(found) == [0]
    assert f"the tool rejected payments ({rejection})" in (found[0][0].rationale or "")


def test_a_value_the_user_gave_is_not_the_agents_mistake() -> None:
    t = Build("Please look at order W1009.").error("get_order", "no such order", order_id="W1009")
    t.call("get_order", {"order_id": "W1001"}, order_id="W1001")
    assert steps_of(t.build(), "corrected_call") == []
