"""The support task generator: variety, difficulty levels, determinism, well-formed tasks."""

from __future__ import annotations

import collections

import msgspec
import pytest

from trajforge.envs.support import SupportEnv
from trajforge.envs.support.tasks import HIDDEN_INFO_KEYS, SCENARIOS
from trajforge.envs.support.world import build_world
from trajforge.schema import Task

TRUTH_KEYS = {
    "kind",
    "customer_id",
    "verify_with",
    "target_orders",
    "expected_statuses",
    "refunds",
    "exchanges",
    "cancellations",
    "account",
    "handoff",
    "refusal",
    "outcome",
}


def _key(task: Task) -> bytes:
    return msgspec.json.encode([task.instruction, task.parameters], order="deterministic")


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return [SupportEnv.generate_task(seed, seed % 3 + 1) for seed in range(2000)]


def test_at_least_1000_distinct_tasks_over_2000_seeds(tasks: list[Task]) -> None:
    assert len({_key(t) for t in tasks}) >= 1000
    assert len({t.instruction for t in tasks}) >= 1000


def test_every_difficulty_and_scenario_occurs(tasks: list[Task]) -> None:
    kinds: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for task in tasks:
        assert task.difficulty is not None
        kinds[task.difficulty][task.parameters["truth"]["kind"]] += 1
    assert set(kinds) == set(SupportEnv.difficulty_levels) == {1, 2, 3}
    for level, builders in SCENARIOS.items():
        assert set(kinds[level]) == {b.__name__ for b in builders}
        assert min(kinds[level].values()) > 50


def test_same_seed_same_task_and_different_seeds_differ() -> None:
    for difficulty in (1, 2, 3):
        a = SupportEnv.generate_task(123, difficulty)
        b = SupportEnv.generate_task(123, difficulty)
        assert msgspec.json.encode(a) == msgspec.json.encode(b)
        assert _key(a) != _key(SupportEnv.generate_task(124, difficulty))


def test_sample_tasks_cycles_difficulties() -> None:
    sample = SupportEnv.sample_tasks(6, seed=5)
    assert [t.difficulty for t in sample] == [1, 2, 3, 1, 2, 3]


def test_unknown_difficulty_is_rejected() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        SupportEnv.generate_task(1, 4)


def test_tasks_are_well_formed(tasks: list[Task]) -> None:
    for task in tasks[:300]:
        assert task.environment == "support"
        assert task.environment_version == SupportEnv.version
        assert task.domain == "customer_support"
        assert task.instruction
        truth = task.parameters["truth"]
        assert set(truth) >= TRUTH_KEYS
        assert {"now", "refund_limit_cents", "world"} <= set(task.parameters)
        assert set(task.hidden_info) <= set(HIDDEN_INFO_KEYS)
        assert all(isinstance(v, str) and v for v in task.hidden_info.values())
        assert {"email", "name", "zip", "phone"} <= set(task.hidden_info)
        assert task.goal_checks[0].name == "identity_verified"
        assert task.goal_checks[-1].name == "no_collateral_changes"
        assert all(a.name in SupportEnv.tools for a in task.expected_actions)
        for action in task.expected_actions:
            SupportEnv.tools[action.name].parse_arguments(action.arguments)
        assert task.expected_actions[1].name == "verify_identity"


def test_difficulty_changes_the_task(tasks: list[Task]) -> None:
    by_level: dict[int, list[Task]] = collections.defaultdict(list)
    for task in tasks:
        assert task.difficulty is not None
        by_level[task.difficulty].append(task)
    for task in by_level[1]:
        # level 1: the user's details (and the order id, if any) are in the request
        truth = task.parameters["truth"]
        who = (
            task.hidden_info["email"]
            if truth["verify_with"] == "email"
            else task.hidden_info["phone"]
        )
        assert who in (task.instruction or "")
        for oid in truth["target_orders"]:
            assert oid in (task.instruction or "")
    for task in by_level[2]:
        # level 2: the order is described, never named
        truth = task.parameters["truth"]
        assert not any(oid in (task.instruction or "") for oid in truth["target_orders"])
        assert any(a.name == "list_orders" for a in task.expected_actions)
    for task in by_level[3]:
        # level 3: identity and orders only when asked
        assert task.hidden_info["email"] not in (task.instruction or "")
        assert task.hidden_info["phone"] not in (task.instruction or "")
        assert "order_id" in task.hidden_info
    mean = {
        level: sum(len(t.expected_actions) for t in group) / len(group)
        for level, group in by_level.items()
    }
    assert mean[1] < mean[2] <= mean[3]


def test_level_3_covers_handoff_refusal_and_fallbacks(tasks: list[Task]) -> None:
    level3 = [t.parameters["truth"] for t in tasks if t.difficulty == 3]
    assert any(t["handoff"] for t in level3)
    refusals = {t["kind"] for t in level3 if t["refusal"]}
    assert {"refund_over_limit", "cancel_delivered", "exchange_out_of_stock"} <= refusals
    delivered = [t for t in level3 if t["kind"] == "cancel_delivered"]
    assert {bool(t["refunds"]) for t in delivered} == {True, False}
    stock = [t for t in level3 if t["kind"] == "exchange_out_of_stock"]
    assert {bool(t["exchanges"]) for t in stock} == {True, False}


def test_over_limit_tasks_are_above_and_others_within_the_limit(tasks: list[Task]) -> None:
    for task in tasks:
        truth = task.parameters["truth"]
        limit = task.parameters["refund_limit_cents"]
        for refund in truth["refunds"].values():
            assert refund["amount_cents"] <= limit
        if truth["kind"] == "refund_over_limit":
            assert not truth["refunds"]
            assert any(a.name == "transfer_to_human" for a in task.expected_actions)
            assert not any(a.name == "refund_order" for a in task.expected_actions)


def test_world_is_a_pure_function_of_the_parameters() -> None:
    task = SupportEnv.generate_task(77, 3)
    a, b = build_world(task.parameters), build_world(task.parameters)
    assert msgspec.msgpack.encode(a) == msgspec.msgpack.encode(b)
    env = SupportEnv()
    env.reset(task)
    first = env.digest()
    env.reset(task)
    assert env.digest() == first
    # the world has every order status and customers with verified=False
    statuses = {o.status for o in a.orders.values()}
    assert {"delivered", "returned"} <= statuses
    assert not any(c.verified for c in a.customers.values())


def test_overrides_apply_to_the_world() -> None:
    task = next(
        t
        for seed in range(200)
        if (t := SupportEnv.generate_task(seed, 3)).parameters["truth"]["kind"]
        == "exchange_out_of_stock"
    )
    vid = task.parameters["truth"]["out_of_stock_variant"]
    assert task.parameters["overrides"] == {"stock": {vid: 0}}
    world = build_world(task.parameters)
    assert world.products[vid.split("-")[0]].variants[vid].stock == 0
