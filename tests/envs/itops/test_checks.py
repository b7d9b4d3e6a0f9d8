"""Goal checks of the itops environment: the expert plan succeeds, shortcuts and mistakes don't."""

from __future__ import annotations

import msgspec
import pytest

from tests.envs.itops.helpers import fault_kinds, find_task, fresh, play, run
from tests.envs.progress import is_partial_credit
from trajforge.envs.itops import ItOpsEnv
from trajforge.schema import Task


def _scores(env: ItOpsEnv, task: Task) -> dict[str, float]:
    return {
        c.name: (c.score if c.score is not None else float(c.passed)) for c in env.goal_checks(task)
    }


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_expected_actions_solve_the_task(difficulty: int) -> None:
    for seed in range(200):
        env, task = fresh(seed, difficulty)
        results = play(env, task.expected_actions)
        assert all(r.status == "ok" for r in results), (
            seed,
            [r.content for r in results if r.status != "ok"],
        )
        outcome = env.check(task)
        assert outcome.status == "success", (seed, [c for c in outcome.checks if not c.passed])
        assert outcome.score == 1.0


#: Short tasks: what the prefix leaves out is all the progress there is.
@pytest.mark.parametrize(("difficulty", "partial_at_least"), [(1, 0), (2, 10), (3, 10)])
def test_incomplete_sequences_get_partial_credit(difficulty: int, partial_at_least: int) -> None:
    partial = 0
    for seed in range(40):
        env, task = fresh(seed, difficulty)
        play(env, task.expected_actions[: len(task.expected_actions) // 2])
        outcome = env.check(task)
        partial += is_partial_credit(env, task, outcome)
    assert partial >= partial_at_least


def test_fix_without_restart_gets_half_credit() -> None:
    task = find_task(1, lambda t: fault_kinds(t) == ["env_missing"])
    env = ItOpsEnv()
    env.reset(task)
    fault = task.parameters["faults"][0]
    run(env, "append_to_file", path=fault["path"], text=f"{fault['var']}={fault['value']}")
    scores = _scores(env, task)
    assert scores[f"root_cause_fixed:env_missing:{fault['service']}"] == 0.5
    assert scores[f"service_healthy:{fault['service']}"] == 0.0
    run(env, "restart_service", name=fault["service"])
    scores = _scores(env, task)
    assert scores[f"root_cause_fixed:env_missing:{fault['service']}"] == 1.0


def test_restarting_the_app_before_its_dependency_cascades() -> None:
    task = find_task(
        1,
        lambda t: (
            fault_kinds(t) == ["dependency_down"]
            and t.parameters["faults"][0]["service"] == _role(t, "db")
        ),
    )
    env = ItOpsEnv()
    env.reset(task)
    app, db = _role(task, "app"), _role(task, "db")
    early = msgspec.json.decode(run(env, "restart_service", name=app).content)
    assert early["status"] == "crashed"
    assert "connection refused" in early["error"]
    assert msgspec.json.decode(run(env, "restart_service", name=db).content)["status"] == "running"
    assert env.check(task).status == "partial"  # the app is still down: crashed processes stay down
    assert msgspec.json.decode(run(env, "restart_service", name=app).content)["status"] == "running"
    assert env.check(task).status == "success"


def test_restarting_a_db_with_a_broken_config_takes_its_clients_down() -> None:
    task = find_task(
        2,
        lambda t: (
            any(f.get("variant") == "pool" for f in t.parameters["faults"])
            and "bad_release" not in fault_kinds(t)
        ),
    )
    env = ItOpsEnv()
    env.reset(task)
    db = _role(task, "db")
    fault = next(f for f in task.parameters["faults"] if f.get("variant") == "pool")
    # break the db config further, restart it: it crashes and its running clients crash with it
    text = env.state()["files"][fault["path"]]
    line = next(ln for ln in text.splitlines() if ln.startswith(fault["key"]))
    run(env, "edit_file", path=fault["path"], old=line, new=f"{fault['key']}: lots")
    result = msgspec.json.decode(run(env, "restart_service", name=db).content)
    assert result["status"] == "crashed"
    assert "lots" in result["error"]
    states = {
        s["name"]: s["status"] for s in msgspec.json.decode(run(env, "list_services").content)
    }
    assert states[_role(task, "app")] == "crashed"


def test_pool_size_fix_accepts_any_sufficient_value() -> None:
    task = find_task(1, lambda t: t.parameters["faults"][0].get("variant") == "pool")
    fault = task.parameters["faults"][0]
    minimum = task.parameters["truth"]["expected_config"][0]["min"]
    for value, expected in ((minimum, 1.0), (minimum + 500, 1.0), (minimum - 1, 0.0)):
        env = ItOpsEnv()
        env.reset(task)
        text = env.state()["files"][fault["path"]]
        line = next(ln for ln in text.splitlines() if ln.startswith(fault["key"]))
        run(env, "edit_file", path=fault["path"], old=line, new=f"{fault['key']}: {value}")
        run(env, "restart_service", name=fault["service"])
        assert _scores(env, task)[f"root_cause_fixed:bad_config:{fault['service']}"] == expected


def test_rolling_back_too_far_breaks_on_the_schema() -> None:
    task = find_task(1, lambda t: fault_kinds(t) == ["bad_release"])
    env = ItOpsEnv()
    env.reset(task)
    fault = task.parameters["faults"][0]
    oldest = next(s for s in task.parameters["services"] if s["name"] == fault["service"])[
        "releases"
    ][0]
    result = msgspec.json.decode(
        run(env, "rollback", service=fault["service"], version=oldest["version"]).content
    )
    assert result["status"] == "crashed"
    assert "schema" in result["error"]
    scores = _scores(env, task)
    assert scores[f"root_cause_fixed:bad_release:{fault['service']}"] == 0.0
    assert scores["no_collateral_changes"] == 0.0
    assert env.check(task).status == "failure"  # worse than before: nothing to credit


def test_collateral_changes_are_caught() -> None:
    env, task = fresh(11, 1)
    play(env, task.expected_actions)
    assert env.check(task).status == "success"
    # clearing a live log, editing an unrelated file, touching a unit file: all collateral
    for name, args in (
        ("clear_file", {"path": "/home/deploy/RUNBOOK.md"}),
        ("append_to_file", {"path": "/etc/hosts", "text": "10.9.9.9 extra.internal"}),
    ):
        env2, _ = fresh(11, 1)
        play(env2, task.expected_actions)
        run(env2, name, **args)
        check = next(c for c in env2.goal_checks(task) if c.name == "no_collateral_changes")
        assert not check.passed
        assert args["path"] in (check.detail or "")
    app = _role(task, "app")
    env3, _ = fresh(11, 1)
    play(env3, task.expected_actions)
    run(env3, "clear_file", path=f"/var/log/{app}/{app}.log")
    assert not next(c for c in env3.goal_checks(task) if c.name == "no_collateral_changes").passed


def test_logs_growing_from_restarts_are_not_collateral() -> None:
    env, task = fresh(12, 2)
    play(env, task.expected_actions)
    for service in task.parameters["services"]:
        if service["role"] != "db":
            run(env, "restart_service", name=service["name"])
    assert next(c for c in env.goal_checks(task) if c.name == "no_collateral_changes").passed


def test_draining_leaves_a_service_unhealthy_until_restarted() -> None:
    env, task = fresh(13, 1)
    play(env, task.expected_actions)
    app = _role(task, "app")
    run(env, "drain_service", name=app)
    scores = _scores(env, task)
    assert scores[f"service_healthy:{app}"] == 0.5
    run(env, "restart_service", name=app)
    assert _scores(env, task)[f"service_healthy:{app}"] == 1.0


def test_disk_full_needs_the_rotated_file_cleared() -> None:
    task = find_task(1, lambda t: fault_kinds(t) == ["disk_full"])
    env = ItOpsEnv()
    env.reset(task)
    fault = task.parameters["faults"][0]
    name = fault["service"]
    # clearing the small live log does not free enough space
    run(env, "clear_file", path=f"/var/log/{name}/{name}.log")
    assert (
        msgspec.json.decode(run(env, "restart_service", name=name).content)["status"] == "crashed"
    )
    metrics = msgspec.json.decode(run(env, "get_metrics", name=name).content)
    assert metrics["disk_used_pct"] >= 99
    run(env, "clear_file", path=fault["path"])
    assert (
        msgspec.json.decode(run(env, "restart_service", name=name).content)["status"] == "running"
    )


def _role(task: Task, role: str) -> str:
    return next(s["name"] for s in task.parameters["services"] if s["role"] == role)
