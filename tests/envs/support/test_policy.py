"""Policy: violations are found on trajectories that break each rule, not on correct ones."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.envs.support.helpers import call, step, task_of, trajectory
from trajforge.envs.support import SupportEnv
from trajforge.envs.support.policy import RULES
from trajforge.envs.support.world import build_world
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
)

ENV = SupportEnv()


def rules(traj: Trajectory) -> list[str]:
    return [v.rule for v in ENV.find_violations(traj)]


def _refund_setup() -> tuple[Task, dict[str, Any], ToolCall, ToolCall]:
    """A refund_by_id task, its truth, the verify call and the refund call."""
    task = task_of("refund_by_id", 1)
    truth = task.parameters["truth"]
    verify = ToolCall(id="v", name="verify_identity", arguments=task.expected_actions[1].arguments)
    refund = ToolCall(id="r", name="refund_order", arguments=task.expected_actions[-1].arguments)
    return task, truth, verify, refund


def _ask(text: str = "I'll refund that item. Shall I go ahead?") -> ClarifyingQuestion:
    return ClarifyingQuestion(content=text)


def test_rules_are_declared() -> None:
    assert {r.kind for r in RULES} == {"forbidden", "needs_confirmation", "needs_approval"}
    assert ENV.policy_rules == RULES


def test_the_correct_trajectory_has_no_violations() -> None:
    task, truth, verify, refund = _refund_setup()
    lookup = ToolCall(
        id="l", name=task.expected_actions[0].name, arguments=task.expected_actions[0].arguments
    )
    steps = [
        step(lookup),
        step(verify),
        step(call("get_order", "g", order_id=truth["target_orders"][0])),
        step(_ask(), user="Yes, please do."),
        step(refund),
        step(Finish(content="Refunded.")),
    ]
    assert rules(trajectory(task, steps)) == []


def test_change_before_verification_is_forbidden() -> None:
    task, _, verify, refund = _refund_setup()
    steps = [step(_ask(), user="yes"), step(refund), step(verify)]
    violations = ENV.find_violations(trajectory(task, steps))
    assert [(v.rule, v.step, v.action) for v in violations] == [("verify_identity_first", 1, 0)]
    assert "before customer" in violations[0].detail


def test_failed_verification_does_not_count() -> None:
    task, _, verify, refund = _refund_setup()
    steps = [step(verify, errors={"v"}), step(_ask(), user="yes"), step(refund)]
    assert rules(trajectory(task, steps)) == ["verify_identity_first"]


def test_verifying_another_customer_does_not_count() -> None:
    task, truth, _, refund = _refund_setup()
    other = next(c for c in build_world(task.parameters).customers if c != truth["customer_id"])
    verify_other = call("verify_identity", "v", customer_id=other, email="x@example.com")
    steps = [step(verify_other), step(_ask(), user="ok"), step(refund)]
    assert rules(trajectory(task, steps)) == ["verify_identity_first"]


def test_account_changes_need_verification_but_no_confirmation() -> None:
    task = task_of("update_address", 1)
    update = ToolCall(id="u", name="update_address", arguments=task.expected_actions[-1].arguments)
    verify = ToolCall(id="v", name="verify_identity", arguments=task.expected_actions[1].arguments)
    assert rules(trajectory(task, [step(update)])) == ["verify_identity_first"]
    assert rules(trajectory(task, [step(verify), step(update)])) == []


def test_change_without_confirmation_is_flagged() -> None:
    task, _, verify, refund = _refund_setup()
    steps = [step(verify), step(refund)]
    violations = ENV.find_violations(trajectory(task, steps))
    assert [(v.rule, v.step) for v in violations] == [("confirm_before_change", 1)]


@pytest.mark.parametrize(
    "answer", ["No, wait.", "Actually, no — not yet", "hold on, let me check", "hmm, what?"]
)
def test_a_non_yes_answer_is_no_confirmation(answer: str) -> None:
    task, _, verify, refund = _refund_setup()
    steps = [step(verify), step(_ask(), user=answer), step(refund)]
    assert rules(trajectory(task, steps)) == ["confirm_before_change"]


def test_a_yes_without_a_question_is_no_confirmation() -> None:
    task, _, verify, refund = _refund_setup()
    steps = [step(verify, user="yes, refund it"), step(refund)]
    assert rules(trajectory(task, steps)) == ["confirm_before_change"]


def test_a_later_answer_withdraws_the_yes() -> None:
    task, _, verify, refund = _refund_setup()
    steps = [
        step(verify),
        step(_ask(), user="yes"),
        step(Reply(content="Anything else before I do it?"), user="No, don't do it after all."),
        step(refund),
    ]
    assert rules(trajectory(task, steps)) == ["confirm_before_change"]


def test_a_yes_covers_one_step_of_changes_then_is_consumed() -> None:
    task, truth, verify, refund = _refund_setup()
    pending = truth["target_orders"][0]  # the policy judges the attempt, not its outcome
    cancel = call("cancel_order", "c", order_id=pending, reason="other")
    # both changes in one step after one yes: fine
    together = [
        step(verify),
        step(_ask("Refund and cancel?"), user="Yes to both"),
        step(refund, cancel),
    ]
    assert rules(trajectory(task, together)) == []
    # the second change in a later step needs its own yes
    apart = [step(verify), step(_ask(), user="yes"), step(refund), step(cancel)]
    violations = ENV.find_violations(trajectory(task, apart))
    assert [(v.rule, v.step) for v in violations] == [("confirm_before_change", 3)]
    # a read-only step in between does not consume the yes
    between = [
        step(verify),
        step(_ask(), user="go ahead"),
        step(call("get_order", "g", order_id=pending)),
        step(refund),
    ]
    assert rules(trajectory(task, between)) == []


def test_a_failed_change_does_not_consume_the_yes() -> None:
    task, _, verify, refund = _refund_setup()
    timeout = ToolResult(call_id="r", name="refund_order", content="{}", status="timeout")
    steps = [
        step(verify),
        step(_ask(), user="Sure, go ahead."),
        step(refund, results=[timeout]),
        step(refund),
    ]
    assert rules(trajectory(task, steps)) == []


def _over_limit() -> tuple[Task, ToolCall, ToolCall, ToolCall]:
    task = task_of("refund_over_limit", 3)
    truth = task.parameters["truth"]
    oid = truth["target_orders"][0]
    world = build_world(task.parameters)
    order = world.orders[oid]
    lines = [i.item_id for i in order.items if i.price_cents * i.qty > world.refund_limit_cents][
        :1
    ] or [i.item_id for i in order.items]
    verify = ToolCall(id="v", name="verify_identity", arguments=task.expected_actions[1].arguments)
    refund = call("refund_order", "r", order_id=oid, item_ids=lines, reason="defective")
    transfer = ToolCall(
        id="t", name="transfer_to_human", arguments=task.expected_actions[-1].arguments
    )
    return task, verify, refund, transfer


def test_refund_above_the_limit_needs_a_human() -> None:
    task, verify, refund, transfer = _over_limit()
    steps = [step(verify), step(_ask(), user="yes"), step(refund)]
    violations = ENV.find_violations(trajectory(task, steps))
    assert [v.rule for v in violations] == ["refund_limit"]
    assert "$200.00 limit" in violations[0].detail
    # handing off first does not make the agent's own refund acceptable
    handed = [
        step(verify),
        step(HandOff(content="over the limit")),
        step(_ask(), user="yes"),
        step(refund),
    ]
    assert rules(trajectory(task, handed)) == ["refund_limit"]
    # the right moves: a HandOff action, or the transfer tool
    assert rules(trajectory(task, [step(verify), step(HandOff(content="needs approval"))])) == []
    assert rules(trajectory(task, [step(verify), step(transfer)])) == []


def test_split_refunds_add_up_against_the_limit() -> None:
    task = task_of("refund_two", 2)
    truth = task.parameters["truth"]
    oid, refund = next(iter(truth["refunds"].items()))
    world = build_world(task.parameters)
    lines = [i for i in world.orders[oid].items if i.item_id in refund["item_ids"]]
    if len(lines) < 2:
        order = next(
            o
            for o in world.orders.values()
            if o.status == "delivered" and sum(i.status == "active" for i in o.items) >= 2
        )
        oid, lines = order.order_id, order.items[:2]
    amounts = [i.price_cents * i.qty for i in lines]
    # a limit that each refund respects but the two together exceed
    params = {**task.parameters, "refund_limit_cents": max(amounts) + min(amounts) - 1}
    low = Task(**{**msgspec.structs.asdict(task), "parameters": params})
    owner = world.orders[oid].customer_id
    verify = call("verify_identity", "v", customer_id=owner, email="x@example.com")
    first = call("refund_order", "r1", order_id=oid, item_ids=[lines[0].item_id], reason="other")
    second = call("refund_order", "r2", order_id=oid, item_ids=[lines[1].item_id], reason="other")
    steps = [
        step(verify),
        step(_ask(), user="yes"),
        step(first),
        step(_ask(), user="yes"),
        step(second),
    ]
    violations = ENV.find_violations(trajectory(low, steps))
    assert [(v.rule, v.step) for v in violations] == [("refund_limit", 4)]


def test_without_the_world_any_verification_counts_and_amounts_come_from_results() -> None:
    task = Task(instruction="refund please", environment="support")
    verify = call("verify_identity", "v", customer_id="C1", email="a@example.com")
    refund = call("refund_order", "r", order_id="W1", item_ids=["W1-1"], reason="other")
    big = ToolResult(call_id="r", name="refund_order", content='{"amount": 250.0}')
    small = ToolResult(call_id="r", name="refund_order", content='{"amount": 25.0}')
    base: list[Step] = [step(verify), step(_ask(), user="yes")]
    assert rules(trajectory(task, [*base, step(refund, results=[small])])) == []
    assert rules(trajectory(task, [*base, step(refund, results=[big])])) == ["refund_limit"]
    assert rules(trajectory(task, [step(_ask(), user="yes"), step(refund, results=[small])])) == [
        "verify_identity_first"
    ]


def test_results_pair_by_position_when_calls_have_no_ids() -> None:
    task, _, verify, refund = _refund_setup()
    bare_verify = ToolCall(name=verify.name, arguments=verify.arguments)
    bare_refund = ToolCall(name=refund.name, arguments=refund.arguments)
    steps = [step(bare_verify), step(_ask(), user="yes"), step(bare_refund)]
    assert rules(trajectory(task, steps)) == []
