"""unsupported_claim: facts told to the user that nothing the agent saw or did supports."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, steps_of

ORDER = {
    "order_id": "W1001",
    "status": "delivered",
    "items": [
        {"item_id": "W1001-1", "name": "Lamp", "price": 168.99, "qty": 2},
        {"item_id": "W1001-2", "name": "Mat", "price": 24.5, "qty": 1},
    ],
}


def graded(text: str) -> list[int]:
    t = Build("Refund my lamps from order W1001.").call("get_order", ORDER, order_id="W1001")
    t.call(
        "refund_order",
        {"refund_id": "R0003", "amount": 337.98},
        changes=True,
        order_id="W1001",
        reason="defective",
    )
    return steps_of(t.finish(text).build(), "unsupported_claim")


def test_supported_facts_pass() -> None:
    # ids, statuses, amounts (price x quantity, sums), what the agent did, numbered items
    assert graded("Refund R0003 for W1001-1: $337.98 (2 x $168.99), reason defective.") == []
    assert graded("(1) W1001 was delivered. (2) I refunded $362.48 in total for both items.") == []


def test_an_amount_no_observation_supports() -> None:
    found = graded("I refunded $377.98 to your card.")
    assert found == [2]


def test_an_identifier_no_observation_supports() -> None:
    assert graded("Your refund R0008 is on its way.") == [2]


def test_a_count_that_contradicts_what_was_counted() -> None:
    t = Build("Reconcile.").call(
        "search", {"mismatch_counts": {"missing": 1, "extra": 2}}, query="diff"
    )
    t.finish("Found 4 missing and 2 extra.")
    found = labels(t.build(), "unsupported_claim")
    assert list(found) == [1]
    assert found[1][0].details["facts"] == ["4 missing"]


def test_times_dates_and_quotes_are_checked() -> None:
    slot = {
        "start": "2025-01-08T17:00:00-06:00",
        "end": "2025-01-08T17:30:00-06:00",
        "title": "Roadmap sync",
    }
    good = (
        Build()
        .call("search", slot, query="slot")
        .finish('I booked "Roadmap sync" on January 8, 5pm-5:30pm.')
    )
    assert steps_of(good.build(), "unsupported_claim") == []
    for bad in (
        'I booked "Roadmap sink" on January 8, 5pm-5:30pm.',
        'I booked "Roadmap sync" on January 9, 5pm-5:30pm.',
        'I booked "Roadmap sync" on January 8, 6pm-6:30pm.',
        "(3) Booked on January 8, 5pm-5:30pm.",
    ):
        t = Build().call("search", slot, query="slot").finish(bad)
        assert steps_of(t.build(), "unsupported_claim") == [1], bad


def test_facts_learned_only_later_do_not_support_an_earlier_reply() -> None:
    t = Build("Where is my order?").say("Your order W1001 has shipped.")
    t.call("get_order", ORDER, order_id="W1001")
    assert steps_of(t.build(), "unsupported_claim") == [0]
