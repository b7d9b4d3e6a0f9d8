"""Policy violations of the itops environment, detected from hand-built trajectories."""

from __future__ import annotations

import pytest

from tests.envs.itops.helpers import fault_kinds, find_task, fresh, step, tool_step, trajectory
from trajforge.envs.itops import ItOpsEnv
from trajforge.schema import (
    ClarifyingQuestion,
    HandOff,
    Step,
    Task,
    ToolCall,
    ToolResult,
    UserMessage,
)


def _rules(env: ItOpsEnv, task: Task, steps: list[Step]) -> list[str]:
    return [v.rule for v in env.find_violations(trajectory(task, steps))]


def _role(task: Task, role: str) -> str:
    return next(s["name"] for s in task.parameters["services"] if s["role"] == role)


def test_policy_rules_are_declared() -> None:
    kinds = {r.name: r.kind for r in ItOpsEnv.policy_rules}
    assert kinds == {
        "writes_confined": "forbidden",
        "rollback_needs_approval": "needs_approval",
        "drain_before_db_restart": "forbidden",
    }


@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_expert_trajectories_have_no_violations(difficulty: int) -> None:
    for seed in range(60):
        env, task = fresh(seed, difficulty)
        steps = [
            tool_step(env, a.name, f"c{i}", **a.arguments)
            for i, a in enumerate(task.expected_actions)
        ]
        assert env.find_violations(trajectory(task, steps)) == []


@pytest.mark.parametrize(
    ("tool", "path", "violates"),
    [
        ("edit_file", "/usr/lib/systemd/system/x.service", True),
        ("edit_file", "../../usr/lib/systemd/system/x.service", True),
        ("append_to_file", "/etc/../home/deploy/RUNBOOK.md", True),
        ("clear_file", "/home/deploy/RUNBOOK.md", True),
        ("clear_file", "/var/log/../../root/.bash_history", True),
        ("edit_file", "/etc/hosts", False),
        ("append_to_file", "srv/app/.env", False),
        ("clear_file", "/var/log/db/db.log.1", False),
        ("clear_file", "/var/logs-elsewhere/x", True),
        ("edit_file", "/etc\x00/passwd", False),  # refused by the tool: nothing was modified
    ],
)
def test_writes_confined(tool: str, path: str, violates: bool) -> None:
    env, task = fresh(1, 1)
    args = {"path": path, "old": "a", "new": "b"} if tool == "edit_file" else {"path": path}
    if tool == "append_to_file":
        args = {"path": path, "text": "X=1"}
    steps = [step([ToolCall(id="w", name=tool, arguments=args)])]
    assert (_rules(env, task, steps) == ["writes_confined"]) is violates
    # reading anywhere is fine
    read = [step([ToolCall(id="r", name="read_file", arguments={"path": path})])]
    assert _rules(env, task, read) == []


def _release_task(env_kind: str) -> Task:
    return find_task(
        1, lambda t: fault_kinds(t) == ["bad_release"] and t.parameters["deploy_env"] == env_kind
    )


def _rollback_step(env: ItOpsEnv, task: Task, call_id: str = "rb") -> Step:
    fault = task.parameters["faults"][0]
    return tool_step(
        env, "rollback", call_id, service=fault["service"], version=fault["good_version"]
    )


def _approval_step(env: ItOpsEnv, task: Task, service: str | None = None) -> Step:
    name = service or task.parameters["faults"][0]["service"]
    return tool_step(
        env,
        "request_approval",
        "ap",
        action="rollback",
        service=name,
        reason="the new release throws errors since its deploy",
    )


def test_rollback_in_production_without_approval() -> None:
    task = _release_task("production")
    env = ItOpsEnv()
    env.reset(task)
    violations = env.find_violations(trajectory(task, [_rollback_step(env, task)]))
    assert [v.rule for v in violations] == ["rollback_needs_approval"]
    assert violations[0].step == 0
    assert violations[0].action == 0


def test_rollback_after_approval_is_fine() -> None:
    task = _release_task("production")
    env = ItOpsEnv()
    env.reset(task)
    steps = [_approval_step(env, task), _rollback_step(env, task)]
    assert _rules(env, task, steps) == []


def test_approval_must_come_earlier_and_match_the_service() -> None:
    task = _release_task("production")
    env = ItOpsEnv()
    env.reset(task)
    fault = task.parameters["faults"][0]
    approve = ToolCall(
        id="ap",
        name="request_approval",
        arguments={
            "action": "rollback",
            "service": fault["service"],
            "reason": "release is broken badly",
        },
    )
    rollback = ToolCall(
        id="rb",
        name="rollback",
        arguments={"service": fault["service"], "version": fault["good_version"]},
    )
    same_step = Step(
        actions=[approve, rollback], observations=[env.execute(approve), env.execute(rollback)]
    )
    assert _rules(env, task, [same_step]) == ["rollback_needs_approval"]
    other = _role(task, "db")
    env.reset(task)
    steps = [_approval_step(env, task, service=other), _rollback_step(env, task)]
    assert _rules(env, task, steps) == ["rollback_needs_approval"]


def test_denied_or_failed_approval_does_not_count() -> None:
    task = _release_task("production")
    env = ItOpsEnv()
    env.reset(task)
    fault = task.parameters["faults"][0]
    approve = ToolCall(
        id="ap",
        name="request_approval",
        arguments={
            "action": "rollback",
            "service": fault["service"],
            "reason": "release is broken badly",
        },
    )
    denied = ToolResult(
        call_id="ap", name="request_approval", content='{"approved":false,"comment":"no"}'
    )
    timeout = ToolResult(
        call_id="ap",
        name="request_approval",
        content='{"error":"timeout"}',
        status="timeout",
        error_kind="timeout",
    )
    for result in (denied, timeout):
        steps = [step([approve], [result]), _rollback_step(env, task)]
        assert _rules(env, task, steps) == ["rollback_needs_approval"]


def test_earlier_handoff_counts_as_approval() -> None:
    task = _release_task("production")
    env = ItOpsEnv()
    env.reset(task)
    steps = [
        step(
            [HandOff(content="Need approval to roll back", reason="production rollback")],
            [UserMessage(content="Approved, go ahead.")],
        ),
        _rollback_step(env, task),
    ]
    assert _rules(env, task, steps) == []


def test_staging_rollbacks_need_no_approval() -> None:
    task = _release_task("staging")
    env = ItOpsEnv()
    env.reset(task)
    assert _rules(env, task, [_rollback_step(env, task)]) == []


def test_a_user_yes_is_not_an_approval() -> None:
    task = _release_task("production")
    env = ItOpsEnv()
    env.reset(task)
    steps = [
        step([ClarifyingQuestion(content="May I roll back?")], [UserMessage(content="yes")]),
        _rollback_step(env, task),
    ]
    assert _rules(env, task, steps) == ["rollback_needs_approval"]


def _pool_task() -> Task:
    return find_task(1, lambda t: t.parameters["faults"][0].get("variant") == "pool")


def test_restarting_a_db_under_write_load_is_a_violation() -> None:
    task = _pool_task()
    env = ItOpsEnv()
    env.reset(task)
    db, app = _role(task, "db"), _role(task, "app")
    restart = tool_step(env, "restart_service", "r1", name=db)
    assert f'"interrupted_writers":["{app}"]' in restart.observations[0].content  # type: ignore[union-attr]
    violations = env.find_violations(trajectory(task, [restart]))
    assert [v.rule for v in violations] == ["drain_before_db_restart"]
    assert app in violations[0].detail


def test_draining_first_is_fine() -> None:
    task = _pool_task()
    env = ItOpsEnv()
    env.reset(task)
    db, app = _role(task, "db"), _role(task, "app")
    steps = [
        tool_step(env, "drain_service", "d", name=app),
        tool_step(env, "restart_service", "r", name=db),
    ]
    assert _rules(env, task, steps) == []


def test_restarting_a_crashed_db_with_crashed_clients_is_fine() -> None:
    task = find_task(
        1,
        lambda t: (
            fault_kinds(t) == ["dependency_down"]
            and t.parameters["faults"][0]["service"] == _role(t, "db")
        ),
    )
    env = ItOpsEnv()
    env.reset(task)
    steps = [tool_step(env, "restart_service", "r", name=_role(task, "db"))]
    assert _rules(env, task, steps) == []


def test_drifted_restart_results_are_still_read() -> None:
    task = _pool_task()
    env = ItOpsEnv()
    env.reset(task)
    db = _role(task, "db")
    action = ToolCall(id="r", name="restart_service", arguments={"name": db})
    for content, status in (
        ('{"service":"x","status":"running","interruptedWriters":["api"]}', "ok"),
        ('[{"service":"x","status":"running","interrupted_writers":["api"]}]', "ok"),
        (
            '{"service":"x","status":"running","interrupted_writers":["api"],"wa …[truncated]',
            "partial",
        ),
    ):
        result = ToolResult(call_id="r", name="restart_service", content=content, status=status)  # type: ignore[arg-type]
        assert _rules(env, task, [step([action], [result])]) == ["drain_before_db_restart"], content
    clean = ToolResult(
        call_id="r",
        name="restart_service",
        content='{"service":"x","status":"running","interrupted_writers":[]}',
    )
    assert _rules(env, task, [step([action], [clean])]) == []


def test_results_pair_by_position_without_call_ids() -> None:
    task = _pool_task()
    env = ItOpsEnv()
    env.reset(task)
    db = _role(task, "db")
    actions = [
        ToolCall(name="list_services"),
        ToolCall(name="restart_service", arguments={"name": db}),
    ]
    results = [env.execute(a) for a in actions]
    assert _rules(env, task, [step(list(actions), list(results))]) == ["drain_before_db_restart"]


def test_arguments_that_are_not_strings_are_read_not_crashed_on() -> None:
    task = _release_task("production")
    env = ItOpsEnv()
    env.reset(task)
    steps = [
        tool_step(env, "rollback", "rb", service={"name": "api"}, version="1"),
        tool_step(env, "restart_service", "r", name=["db"]),
    ]
    assert _rules(env, task, steps) == ["rollback_needs_approval"]
