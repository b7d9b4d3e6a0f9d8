"""corrected_call: a call replaced at once by the same tool with one argument changed, where the
first value looks wrong."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, spec, steps_of
from trajforge.schema import ToolSpec

ORDERS = [{"order_id": "W1001"}, {"order_id": "W1002"}]


def test_an_id_found_nowhere_then_corrected() -> None:
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
    t.call("search", ["lamp"], query="lamps", exact=True)
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
    t.call("calendar", [], date="2025-03-04")
    assert steps_of(t.build(tools=tools), "corrected_call") == [0]
    t = Build("Anything this week? Today is 2025-03-04.").call("calendar", [], date="2025-03-05")
    t.call("calendar", [], date="2025-03-06")  # working through the week
    assert steps_of(t.build(tools=tools), "corrected_call") == []


def test_several_changed_arguments_are_a_new_question() -> None:
    t = Build("Search lamps, then chairs.").call("search", [], query="lamps", limit="5")
    t.call("search", [], query="chairs", limit="10")
    assert steps_of(t.build(), "corrected_call") == []


def test_a_change_in_between_ends_the_window() -> None:
    t = Build().call("get_order", order_id="W1009")
    t.call("cancel_order", changes=True, order_id="W1001").call("get_order", order_id="W1001")
    assert steps_of(t.build(), "corrected_call") == []
