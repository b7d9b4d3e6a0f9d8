"""missing_tool: a verification the task requires, never made successfully, while the agent
went on."""

from __future__ import annotations

from tests.grade.rules.build import Build, labels, steps_of
from trajforge.schema import ExpectedAction

EXPECTED = [
    ExpectedAction(name="find_customer", arguments={"email": "ann@example.com"}),
    ExpectedAction(name="verify_identity", arguments={"customer_id": "C17"}),
    ExpectedAction(name="get_order", arguments={"order_id": "W1001"}),
    ExpectedAction(name="cancel_order", arguments={"order_id": "W1001"}),
]


def identified() -> Build:
    t = Build("I'm ann@example.com; cancel W1001.")
    return t.call("find_customer", {"customer_id": "C17"}, email="ann@example.com")


def test_going_on_without_the_required_verification() -> None:
    t = identified().call("get_order", {"status": "pending"}, order_id="W1001")
    t.call("cancel_order", changes=True, order_id="W1001").finish()
    found = labels(t.build(expected=EXPECTED), "missing_tool")
    assert list(found) == [1]
    assert found[1][0].details["tool"] == "verify_identity"
    assert found[1][0].grade == "missing-tool"


def test_a_verification_that_only_failed_is_missing_too() -> None:
    t = identified().fault("verify_identity", customer_id="C17")
    t.call("get_order", order_id="W1001").finish()
    assert steps_of(t.build(expected=EXPECTED), "missing_tool") == [2]


def test_verified_or_stopped_honestly_is_fine() -> None:
    t = identified().call("verify_identity", {"verified": True}, customer_id="C17")
    t.call("get_order", order_id="W1001").call("cancel_order", changes=True, order_id="W1001")
    assert steps_of(t.build(expected=EXPECTED), "missing_tool") == []
    t = identified().fault("verify_identity", "permanent", customer_id="C17")
    t.finish("I cannot verify your identity right now, so I changed nothing.", completed=False)
    assert steps_of(t.build(expected=EXPECTED), "missing_tool") == []


def test_an_unchecked_change_when_the_others_were_checked() -> None:
    t = Build("The shop is down; fix it.")
    for name in ("db", "api", "web"):
        t.call("restart_service", {"status": "running"}, changes=True, name=name)
    t.call("run_healthcheck", {"healthy": True}, name="db")
    t.call("run_healthcheck", {"healthy": True}, name="web")  # api's check was due here
    t.finish("Fixed; all healthy.")
    found = labels(t.build(), "missing_tool")
    assert list(found) == [4, 5]
    assert {lb.details["unchecked"] for step in found.values() for lb in step} == {"api"}


def test_an_agent_that_checks_before_it_changes_is_not_held_to_checking_after() -> None:
    t = Build("Cancel W1001 and W1002.").call("run_healthcheck", {"healthy": True}, name="orders")
    t.call("cancel_order", changes=True, order_id="W1001")
    t.call("cancel_order", changes=True, order_id="W1002").finish()
    assert steps_of(t.build(), "missing_tool") == []
