"""Goal checks: the expected actions succeed; partial, wrong or excessive work is graded down."""

from __future__ import annotations

import pytest

from tests.envs.support.helpers import call, fresh, run, task_of
from trajforge.envs.support import SupportEnv
from trajforge.envs.support.state import Address
from trajforge.schema import ExpectedAction, HandOff, Task

STATE_CHANGING = {"cancel_order", "refund_order", "exchange_item", "update_address", "update_email"}


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_expected_actions_solve_200_tasks_per_level(difficulty: int) -> None:
    for seed in range(1000, 1200):
        task = SupportEnv.generate_task(seed, difficulty)
        env = fresh(task)
        results = run(env, task.expected_actions)
        assert all(r.status == "ok" for r in results), (seed, [r.content for r in results])
        outcome = env.check(task)
        assert outcome.status == "success", (seed, outcome.checks)
        assert outcome.score == 1.0
        assert len(outcome.checks) == len(task.goal_checks) >= 3
        assert outcome.final_state_digest == env.digest()


def _drop_last_change(actions: list[ExpectedAction]) -> list[ExpectedAction]:
    last = max(i for i, a in enumerate(actions) if a.name in STATE_CHANGING | {"transfer_to_human"})
    return actions[:last]


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_incomplete_sequences_get_partial_credit(difficulty: int) -> None:
    seen = 0
    for seed in range(60):
        task = SupportEnv.generate_task(seed, difficulty)
        names = [a.name for a in task.expected_actions]
        if not set(names) & (STATE_CHANGING | {"transfer_to_human"}):
            continue  # a refusal with nothing to do: no "last change" to leave out
        env = fresh(task)
        run(env, _drop_last_change(task.expected_actions))
        outcome = env.check(task)
        assert outcome.status == "partial", (seed, outcome.checks)
        assert outcome.score is not None
        assert 0 < outcome.score < 1
        seen += 1
    assert seen > 30


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_doing_nothing_but_lookups_fails_verification(difficulty: int) -> None:
    for seed in range(30):
        task = SupportEnv.generate_task(seed, difficulty)
        env = fresh(task)
        run(env, task.expected_actions[:1])  # the lookup only
        outcome = env.check(task)
        assert outcome.status in ("partial", "failure")
        failed = {c.name for c in outcome.checks if not c.passed}
        assert "identity_verified" in failed


def _checks(env: SupportEnv, task: Task) -> dict[str, tuple[bool, float | None]]:
    return {c.name: (c.passed, c.score) for c in env.check(task).checks}


def test_collateral_damage_is_detected() -> None:
    task = task_of("refund_by_id", 1)
    env = fresh(task)
    run(env, task.expected_actions)
    state = env._state
    victim = next(
        o
        for o in state.orders.values()
        if o.status in ("pending", "processing")
        and o.order_id not in task.parameters["truth"]["target_orders"]
    )
    run(env, [call("cancel_order", order_id=victim.order_id, reason="other")])
    outcome = env.check(task)
    result = next(c for c in outcome.checks if c.name == "no_collateral_changes")
    assert not result.passed
    assert result.detail is not None
    assert f"order {victim.order_id}" in result.detail
    # the cancellation released stock: the order and its variants count as stray changes
    assert result.score is not None
    assert result.score <= 0.5
    assert outcome.status == "partial"


def test_refunding_the_wrong_or_extra_items_scores_partially() -> None:
    task = task_of("refund_described", 2)
    truth = task.parameters["truth"]
    oid = truth["target_orders"][0]
    right = truth["refunds"][oid]["item_ids"]
    env = fresh(task)
    order = env._state.orders[oid]
    others = [i.item_id for i in order.items if i.item_id not in right and i.status == "active"]
    actions = [a for a in task.expected_actions if a.name != "refund_order"]
    run(env, actions)
    run(env, [call("refund_order", order_id=oid, item_ids=right + others[:1], reason="other")])
    checks = _checks(env, task)
    passed, score = checks["refund"]
    assert not passed
    assert score == pytest.approx(1 / 2)
    assert checks["identity_verified"] == (True, None)


def test_refunding_above_the_limit_instead_of_handing_off_fails() -> None:
    task = task_of("refund_over_limit", 3)
    truth = task.parameters["truth"]
    oid = truth["target_orders"][0]
    env = fresh(task)
    run(env, [a for a in task.expected_actions if a.name != "transfer_to_human"])
    order = env._state.orders[oid]
    # the one expensive line, or the whole order when no single line is above the limit
    lines = [
        i.item_id for i in order.items if i.price_cents * i.qty > env._state.refund_limit_cents
    ][:1] or [i.item_id for i in order.items]
    run(env, [call("refund_order", order_id=oid, item_ids=lines, reason="defective")])
    checks = _checks(env, task)
    assert checks["no_refund"][0] is False
    assert checks["handed_off"][0] is False
    assert checks["identity_verified"][0] is True
    outcome = env.check(task)
    assert outcome.status == "partial"


def test_a_handoff_action_recorded_by_the_loop_counts_as_a_transfer() -> None:
    task = task_of("refund_over_limit", 3)
    env = fresh(task)
    run(env, [a for a in task.expected_actions if a.name != "transfer_to_human"])
    assert not _checks(env, task)["handed_off"][0]
    env.observe_action(HandOff(content="refund above the limit", reason="approval"))
    assert env.check(task).status == "success"


def test_exchanging_to_the_wrong_variant_fails_variant_and_collateral() -> None:
    task = task_of("exchange_described", 2)
    truth = task.parameters["truth"]
    exchange = truth["exchanges"][0]
    env = fresh(task)
    run(env, [a for a in task.expected_actions if a.name != "exchange_item"])
    product = env._state.products[exchange["to_variant"].split("-")[0]]
    wrong = next(
        (
            v.variant_id
            for v in product.variants.values()
            if v.variant_id not in (exchange["to_variant"], exchange["from_variant"]) and v.stock
        ),
        None,
    )
    if wrong is None:
        pytest.skip("no third variant in stock in this world")
    run(
        env,
        [
            call(
                "exchange_item",
                order_id=exchange["order_id"],
                item_id=exchange["item_id"],
                new_variant_id=wrong,
            )
        ],
    )
    checks = _checks(env, task)
    assert checks["item_variant"][0] is False
    assert checks["no_collateral_changes"][0] is False
    assert checks["order_status"][0] is True


def test_refusal_tasks_fail_when_the_forbidden_change_happens_anyway() -> None:
    task = task_of("cancel_delivered", 3, refunds={})
    oid = task.parameters["truth"]["target_orders"][0]
    env = fresh(task)
    run(env, task.expected_actions)
    assert env.check(task).status == "success"
    items = [i.item_id for i in env._state.orders[oid].items]
    run(env, [call("refund_order", order_id=oid, item_ids=items, reason="no_longer_needed")])
    checks = _checks(env, task)
    assert checks["no_refund"][0] is False
    assert checks["order_status"][0] is False


def test_address_check_ignores_case_and_punctuation_but_scores_fields() -> None:
    task = task_of("update_address", 1)
    truth = task.parameters["truth"]
    address = dict(truth["account"]["address"])
    env = fresh(task)
    run(env, task.expected_actions[:2])
    shouted = {k: (v.upper() if k != "state" else v) for k, v in address.items()}
    run(env, [call("update_address", customer_id=truth["customer_id"], address=shouted)])
    assert env.check(task).status == "success"
    wrong = {**address, "zip": "00000"}
    run(env, [call("update_address", customer_id=truth["customer_id"], address=wrong)])
    passed, score = _checks(env, task)["customer_address"]
    assert not passed
    assert score == pytest.approx(4 / 5)
    changes = len(env._state.account_changes)
    (again,) = run(env, [call("update_address", customer_id=truth["customer_id"], address=wrong)])
    assert (again.status, again.error_kind) == ("error", "invalid_request")
    assert "already the address on file" in again.content
    assert len(env._state.account_changes) == changes
    padded = {k: f"  {v} " if k in ("line1", "city") else v for k, v in wrong.items()}
    (spaced,) = run(env, [call("update_address", customer_id=truth["customer_id"], address=padded)])
    assert "already the address on file" in spaced.content  # kept on file without the spaces
    assert Address(**padded).on_file() == env._state.customers[truth["customer_id"]].address


def test_unknown_goal_check_fails_cleanly() -> None:
    task = SupportEnv.generate_task(3, 1)
    broken = Task(
        **{
            **{f: getattr(task, f) for f in task.__struct_fields__},
            "goal_checks": [*task.goal_checks, task.goal_checks[0].__class__(name="nonsense")],
        }
    )
    env = fresh(broken)
    run(env, broken.expected_actions)
    outcome = env.check(broken)
    assert outcome.status == "partial"
    assert outcome.checks[-1].detail == "unknown check"
