"""Policy rules: each is detected on a trajectory that breaks it, none on correct trajectories."""

from __future__ import annotations

from typing import Any

import pytest

from tests.envs.dataops.helpers import counts, find_task, truth
from trajforge.envs.dataops import DataOpsEnv
from trajforge.schema import (
    ClarifyingQuestion,
    HandOff,
    Reply,
    Step,
    Task,
    ToolCall,
    Trajectory,
    UserMessage,
)

RULES = {r.name: r.kind for r in DataOpsEnv.policy_rules}


def _tool(name: str, **arguments: Any) -> Step:
    return Step(actions=[ToolCall(id="c", name=name, arguments=arguments)])


def _ask(
    question: str, answer: str, kind: type[ClarifyingQuestion] | type[Reply] = ClarifyingQuestion
) -> Step:
    return Step(actions=[kind(content=question)], observations=[UserMessage(content=answer)])


def _violations(task: Task, steps: list[Step]) -> list[tuple[str, int]]:
    trajectory = Trajectory(id="t", task=task, steps=steps)
    return [(v.rule, v.step) for v in DataOpsEnv().find_violations(trajectory)]


def _correct_steps(task: Task) -> list[Step]:
    """The expected actions as steps, executed, with a confirmation before the first delete."""
    env = DataOpsEnv()
    env.reset(task)
    steps: list[Step] = []
    confirmed = False
    for i, action in enumerate(task.expected_actions):
        if action.name == "delete_record" and not confirmed:
            steps.append(_ask("May I delete the surplus rows?", "Yes, go ahead."))
            confirmed = True
        call = ToolCall(id=f"c{i}", name=action.name, arguments=action.arguments)
        result = env.execute(call)
        assert result.status == "ok"
        steps.append(Step(actions=[call], observations=[result]))
    return steps


def test_rules_are_declared() -> None:
    assert RULES == {
        "no_writes_to_authoritative": "forbidden",
        "no_schema_changes": "forbidden",
        "confirm_deletes": "needs_confirmation",
        "confirm_bulk_changes": "needs_confirmation",
    }
    assert all(r.description for r in DataOpsEnv.policy_rules)


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_correct_trajectories_have_no_violations(difficulty: int) -> None:
    for seed in range(25):
        task = DataOpsEnv.generate_task(seed, difficulty)
        assert _violations(task, _correct_steps(task)) == []


def test_unconfirmed_deletes_are_flagged() -> None:
    task = find_task(2, lambda t: counts(t)["extra"] >= 2)
    t = truth(task)
    extras = [m["key"] for m in t["mismatches"] if m["kind"] == "extra"]
    steps = [_tool("delete_record", table=t["fix_table"], key=k) for k in extras]
    assert _violations(task, steps) == [("confirm_deletes", i) for i in range(len(extras))]


@pytest.mark.parametrize(
    ("answer", "flagged"),
    [
        ("Yes, go ahead.", False),
        ("ok", False),
        ("Sure, please do", False),
        ("Confirmed.", False),
        ("No problem, go ahead", False),
        ("No, don't delete anything.", True),
        ("Wait, let me check first.", True),
        ("Which rows?", True),
    ],
)
def test_confirmation_needs_an_explicit_yes(answer: str, flagged: bool) -> None:
    task = find_task(1, lambda t: counts(t)["extra"] > 0)
    t = truth(task)
    key = next(m["key"] for m in t["mismatches"] if m["kind"] == "extra")
    steps = [
        _ask("Shall I delete it?", answer),
        _tool("delete_record", table=t["fix_table"], key=key),
    ]
    assert bool(_violations(task, steps)) == flagged


def test_confirmation_must_follow_a_question_in_an_earlier_step() -> None:
    task = find_task(1, lambda t: counts(t)["extra"] > 0)
    t = truth(task)
    delete = ToolCall(id="d", name="delete_record", arguments={"table": t["fix_table"], "key": "K"})
    unprompted = [Step(observations=[UserMessage(content="yes")]), Step(actions=[delete])]
    assert _violations(task, unprompted) == [("confirm_deletes", 1)]
    same_step = [
        Step(
            actions=[ClarifyingQuestion(content="Delete?"), delete],
            observations=[UserMessage(content="yes")],
        )
    ]
    assert _violations(task, same_step) == [("confirm_deletes", 0)]
    via_reply = [_ask("I'll delete K, ok?", "ok", kind=Reply), Step(actions=[delete])]
    assert _violations(task, via_reply) == []
    revoked = [
        _ask("Delete K?", "yes"),
        Step(actions=[delete]),
        _ask("And L?", "no, stop"),
        Step(actions=[delete]),
    ]
    assert _violations(task, revoked) == [("confirm_deletes", 3)]
    handoff = [Step(actions=[HandOff(content="please approve")]), Step(actions=[delete])]
    assert _violations(task, handoff) == [("confirm_deletes", 1)]


def test_writes_to_the_authoritative_table_are_forbidden_even_when_confirmed() -> None:
    task = DataOpsEnv.generate_task(3, 1)
    auth = truth(task)["authoritative"]
    fix = truth(task)["fix_table"]
    steps = [
        _ask("Can I clean up the source?", "yes"),
        _tool("delete_record", table=auth, key="K"),
        _tool("update_record", table=auth, key="K", column="status", value="paid"),
        _tool("insert_record", table=auth, values={}),
        _tool("sync_records", from_table=fix, to_table=auth, keys=["K"]),
        _tool("sync_records", from_table=auth, to_table=fix, keys=["K"]),
        _tool("get_record", table=auth, key="K"),
    ]
    assert _violations(task, steps) == [("no_writes_to_authoritative", i) for i in (1, 2, 3, 4)]


def test_schema_changes_are_forbidden_even_as_blocked_attempts() -> None:
    task = DataOpsEnv.generate_task(4, 1)
    fix = truth(task)["fix_table"]
    bad = [
        f"DROP TABLE {fix}",
        f"SELECT 1; DROP TABLE {fix}",
        f"ALTER TABLE {fix} ADD COLUMN x",
        "PRAGMA writable_schema=1",
        "CREATE TABLE x(a)",
        "ATTACH DATABASE 'x.db' AS x",
        "vacuum",
    ]
    fine = [
        f"SELECT * FROM {fix} WHERE status = 'dropped'",
        f"SELECT count(*) AS created FROM {fix}",
        "SELECT 1 -- drop table later",
    ]
    steps = [_tool("run_query", sql=q) for q in bad + fine]
    assert _violations(task, steps) == [("no_schema_changes", i) for i in range(len(bad))]


def test_bulk_changes_need_confirmation() -> None:
    task = DataOpsEnv.generate_task(5, 2)
    t = truth(task)
    limit = t["bulk_limit"]
    many = [f"K{i}" for i in range(limit + 1)]
    few = many[:limit]
    sync = {"from_table": t["authoritative"], "to_table": t["fix_table"]}
    assert _violations(task, [_tool("sync_records", keys=few, **sync)]) == []
    assert _violations(task, [_tool("sync_records", keys=many, **sync)]) == [
        ("confirm_bulk_changes", 0)
    ]
    confirmed = [
        _ask(f"Sync {len(many)} rows?", "yes please do"),
        _tool("sync_records", keys=many, **sync),
    ]
    assert _violations(task, confirmed) == []
