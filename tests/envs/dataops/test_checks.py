"""Goal checks: the expected actions succeed, partial work earns partial credit, and collateral
changes and wrong counts are caught."""

from __future__ import annotations

import pytest

from tests.envs.dataops.helpers import body, call, counts, find_task, run, started, truth
from tests.envs.progress import is_partial_credit
from trajforge.envs.dataops import DataOpsEnv
from trajforge.schema import Task


def _scores(env: DataOpsEnv, task: Task) -> dict[str, float | None]:
    return {c.name: c.score for c in env.check(task).checks}


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_expected_actions_solve_200_tasks(difficulty: int) -> None:
    env = DataOpsEnv()
    for seed in range(200):
        task = DataOpsEnv.generate_task(seed, difficulty)
        env.reset(task)
        results = run(env, task.expected_actions)
        assert all(r.status == "ok" for r in results), [r.content for r in results]
        outcome = env.check(task)
        assert outcome.status == "success", (seed, outcome.checks)
        assert outcome.score == 1.0
        assert outcome.final_state_digest == env.digest()


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_incomplete_sequences_earn_partial_credit(difficulty: int) -> None:
    partial = 0
    for seed in range(40):
        task = DataOpsEnv.generate_task(seed, difficulty)
        fixes = [
            a for a in task.expected_actions if a.name not in ("list_tables", "compare_tables")
        ]
        env = started(task)
        run(env, task.expected_actions[:2] + fixes[:-2])  # the last fix and the summary left out
        outcome = env.check(task)
        scores = _scores(env, task)
        assert scores["summary_submitted"] == 0.0
        assert scores["no_collateral_changes"] == 1.0
        assert scores["reconciled"] is not None
        assert scores["reconciled"] < 1
        partial += is_partial_credit(env, task, outcome)
    assert partial >= 10


def test_untouched_world_scores_nothing_for_the_work() -> None:
    task = DataOpsEnv.generate_task(1, 3)
    env = started(task)
    scores = _scores(env, task)
    assert scores == {
        "reconciled": 0.0,
        "no_collateral_changes": 1.0,
        "summary_submitted": 0.0,
        "summary_counts": 0.0,
    }


def test_reconciled_score_is_the_share_of_mismatches_fixed() -> None:
    task = find_task(2, lambda t: len(truth(t)["mismatches"]) >= 4)
    env = started(task)
    t = truth(task)
    total = len(t["mismatches"])
    for done, m in enumerate(t["mismatches"], start=1):
        key = m["key"]
        if m["kind"] == "extra":
            call(env, "delete_record", table=t["fix_table"], key=key)
        else:
            call(
                env,
                "sync_records",
                from_table=t["authoritative"],
                to_table=t["fix_table"],
                keys=[key],
            )
        assert _scores(env, task)["reconciled"] == pytest.approx(done / total)


def test_collateral_changes_are_caught() -> None:
    task = find_task(1, lambda t: counts(t)["wrong_value"] > 0)
    t = truth(task)
    involved = {m["key"] for m in t["mismatches"]}
    fix_rows = next(x for x in task.parameters["tables"] if x["name"] == t["fix_table"])["rows"]
    clean_key = next(r[1] for r in fix_rows if r[1] not in involved)

    env = started(task)
    run(env, task.expected_actions)
    call(env, "update_record", table=t["fix_table"], key=clean_key, column="status", value="zzz")
    check = next(c for c in env.check(task).checks if c.name == "no_collateral_changes")
    assert not check.passed
    assert check.detail is not None
    assert clean_key in check.detail

    env = started(task)
    run(env, task.expected_actions)
    auth_key = next(x for x in task.parameters["tables"] if x["name"] == t["authoritative"])[
        "rows"
    ][0][1]
    call(env, "update_record", table=t["authoritative"], key=auth_key, column="status", value="x")
    outcome = env.check(task)
    assert outcome.status == "partial"
    assert not next(c for c in outcome.checks if c.name == "no_collateral_changes").passed

    env = started(task)
    run(env, task.expected_actions)
    values = {
        c["name"]: v
        for c, v in zip(
            next(x for x in task.parameters["tables"] if x["name"] == t["fix_table"])["columns"],
            fix_rows[0],
            strict=True,
        )
        if c["name"] != "id"
    }
    values[t["key"]] = "ZZZ-99999"
    assert call(env, "insert_record", table=t["fix_table"], values=values).status == "ok"
    check = next(c for c in env.check(task).checks if c.name == "no_collateral_changes")
    assert not check.passed
    assert "ZZZ-99999" in (check.detail or "")


def test_summary_counts_give_partial_credit() -> None:
    task = DataOpsEnv.generate_task(5, 3)
    env = started(task)
    run(env, task.expected_actions[:-1])
    right = counts(task)
    wrong = {**right, "format": right["format"] + 1, "duplicate": right["duplicate"] + 1}
    assert body(call(env, "submit_summary", text="done", mismatch_counts=wrong))["submitted"]
    check = next(c for c in env.check(task).checks if c.name == "summary_counts")
    assert not check.passed
    assert check.score == pytest.approx(3 / 5)
    call(env, "submit_summary", text="done", mismatch_counts=right)
    assert env.check(task).status == "success"
    call(env, "submit_summary", text="done, no counts")
    assert _scores(env, task)["summary_counts"] == 0.0


def test_format_fixes_must_be_canonical() -> None:
    task = find_task(
        3,
        lambda t: any(
            m["kind"] == "format" and "amount" in m.get("columns", {})
            for m in truth(t)["mismatches"]
        ),
    )
    t = truth(task)
    m = next(
        m for m in t["mismatches"] if m["kind"] == "format" and "amount" in m.get("columns", {})
    )
    env = started(task)
    expected = m["columns"]["amount"]["expected"]
    call(env, "update_record", table=t["fix_table"], key=m["key"], column="amount", value=expected)
    before = _scores(env, task)["reconciled"]
    assert before is not None
    assert before > 0
    # writing the amount as cents again undoes the fix
    cents = round(expected * 100, 2)
    call(env, "update_record", table=t["fix_table"], key=m["key"], column="amount", value=cents)
    after = _scores(env, task)["reconciled"]
    assert after is not None
    assert after < before
