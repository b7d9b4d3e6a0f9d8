"""looping: the same call with the same answer three times, or the same message over and over."""

from __future__ import annotations

from tests.grade.rules.build import Build, steps_of


def test_the_third_identical_attempt_is_a_loop() -> None:
    t = Build()
    for _ in range(4):
        t.error("get_order", "order 'W9' not found", order_id="W9")
    assert steps_of(t.build(), "looping") == [2, 3]


def test_the_same_message_three_times_is_a_loop() -> None:
    t = Build().say("Could you confirm?", "hm").say("Could you confirm?", "hm")
    t.say("Could you confirm?", "hm")
    assert steps_of(t.build(), "looping") == [2]


def test_retrying_through_faults_is_not_looping() -> None:
    t = Build()
    for _ in range(4):
        t.fault("get_order", "server_error", order_id="W1001")
    assert steps_of(t.build(), "looping") == []


def test_twice_is_not_a_loop_and_a_change_resets_the_count() -> None:
    t = Build().call("search", [], query="lamp").call("search", [], query="lamp")
    assert steps_of(t.build(), "looping") == []
    t.call("cancel_order", changes=True, order_id="W1001").call("search", [], query="lamp")
    assert steps_of(t.build(), "looping") == []
