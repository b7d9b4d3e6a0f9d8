"""Goal checks: the expected actions solve every task; incomplete runs get partial credit."""

from __future__ import annotations

import pytest

from tests.envs.progress import is_partial_credit
from tests.envs.web.helpers import generate_task, run
from trajforge.envs.web import WebEnv
from trajforge.envs.web.site import cart_eid
from trajforge.schema import ExpectedAction


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_expected_actions_solve_200_tasks(difficulty: int) -> None:
    env = WebEnv()
    for seed in range(200):
        task = generate_task(seed, difficulty)
        results = run(env, task)
        errors = [(i, r.content[:200]) for i, r in enumerate(results) if r.status != "ok"]
        assert not errors, (seed, errors)
        outcome = env.check(task)
        assert outcome.status == "success", (seed, outcome.checks)
        assert outcome.score == 1.0


#: Short tasks: what the prefix leaves out is all the progress there is.
@pytest.mark.parametrize(("difficulty", "partial_at_least"), [(1, 0), (2, 0), (3, 10)])
def test_incomplete_sequences_get_partial_credit(difficulty: int, partial_at_least: int) -> None:
    env = WebEnv()
    partial = 0
    for seed in range(60):
        task = generate_task(seed, difficulty)
        run(env, task, task.expected_actions[:-1])
        outcome = env.check(task)
        partial += is_partial_credit(env, task, outcome)
    assert partial >= partial_at_least


def test_doing_nothing_fails_the_main_goal() -> None:
    env = WebEnv()
    for seed in range(30):
        task = generate_task(seed, 2)
        env.reset(task)
        outcome = env.check(task)
        assert outcome.status != "success"


def test_extra_purchase_and_wrong_answer_are_caught() -> None:
    env = WebEnv()
    task = next(
        t for s in range(500) if (t := generate_task(s, 1)).parameters["truth"]["kind"] == "help"
    )
    actions = [
        *task.expected_actions[:-1],
        ExpectedAction(name="submit_answer", arguments={"answer": "I don't know"}),
    ]
    run(env, task, actions)
    checks = {c.name: c for c in env.check(task).checks}
    assert not checks["answer"].passed
    assert checks["no_orders"].passed

    task = next(
        t
        for s in range(500)
        if (t := generate_task(s, 2)).parameters["truth"]["kind"] == "buy" and t.parameters["cart"]
    )
    remove_id = cart_eid(task.parameters["site_version"], 0, 2)
    actions = [a for a in task.expected_actions if a.arguments.get("element_id") != remove_id]
    assert len(actions) == len(task.expected_actions) - 1
    run(env, task, actions)
    outcome = env.check(task)
    checks = {c.name: c for c in outcome.checks}
    assert checks["order_item"].passed
    assert checks["order_address"].passed
    assert not checks["single_order"].passed
    assert "extra items" in (checks["single_order"].detail or "")
    assert outcome.status == "partial"


def test_partial_credit_for_wrong_quantity() -> None:
    env = WebEnv()
    task = next(
        t
        for s in range(500)
        if (t := generate_task(s, 1)).parameters["truth"]["kind"] == "cart_named"
        and t.parameters["truth"]["target"]["qty"] > 1
    )
    actions = [
        a
        for a in task.expected_actions
        if not (
            a.name == "type"
            and a.arguments.get("text") == str(task.parameters["truth"]["target"]["qty"])
        )
    ]
    run(env, task, actions)
    checks = {c.name: c for c in env.check(task).checks}
    assert checks["cart_item"].score == 0.75
    assert not checks["cart_item"].passed
