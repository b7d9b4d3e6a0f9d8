"""The itops expert over 200 seeded tasks, without faults and with the flaky profile."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Literal

import pytest

from tests.agents.expert_harness import (
    assert_decodes,
    assert_reproducible,
    assert_written_down,
    calls,
    expert_harness,
    steps_per_level,
    success_rate,
)
from trajforge.agents.users import ScriptedUser
from trajforge.envs.factory import make_environment
from trajforge.envs.faults import FAULT_KINDS, FaultProfile
from trajforge.envs.itops import ItOpsEnv
from trajforge.envs.itops.catalog import ROLE_ORDER
from trajforge.envs.itops.expert import ItOpsExpert
from trajforge.envs.itops.policy import WRITE_TOOLS
from trajforge.envs.tools import tool
from trajforge.run.episode import (
    Budget,
    EpisodeRecorder,
    generate_episode,
    run_episode,
)
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)

N_TASKS = 200
PROFILES = ("none", "flaky")
RECOVERABLE = tuple(k for k in FAULT_KINDS if k != "permanent")
WRITE_ROOTS = ("/etc/", "/srv/", "/var/log/")


tasks, episode, runs = expert_harness(ItOpsEnv, ItOpsExpert, N_TASKS)


def questions(trajectory: Trajectory) -> list[tuple[str, str]]:
    """Each clarifying question with the user's answer."""
    asked = []
    for step in trajectory.steps:
        for action in step.actions:
            if isinstance(action, ClarifyingQuestion):
                answer = next(o for o in step.observations if isinstance(o, UserMessage))
                asked.append((action.content, answer.content))
    return asked


def masked(task: Task) -> bool:
    """Whether a cause hides behind a dependency that is down (it shows at the restart)."""
    status = task.parameters["truth"]["initial_status"]
    return any(
        f["kind"] == "bad_release" and f["defect"] == "errors" and status[f["service"]] == "crashed"
        for f in task.parameters["faults"]
    )


def test_the_sample_covers_every_level_and_every_route() -> None:
    assert {t.difficulty for t in tasks()} == {1, 2, 3}
    kinds = {f["kind"] for t in tasks() for f in t.parameters["faults"]}
    assert kinds == {
        "bad_config",
        "bad_release",
        "dependency_down",
        "disk_full",
        "cert_expired",
        "env_missing",
    }
    truths = [t.parameters["truth"] for t in tasks()]
    assert any(t["drain_before_db_restart"] for t in truths)
    assert any(t["rollback_needs_approval"] for t in truths)
    assert any(masked(t) for t in tasks())
    releases = [
        t for t in tasks() if any(f["kind"] == "bad_release" for f in t.parameters["faults"])
    ]
    assert {t.parameters["deploy_env"] for t in releases} == {"production", "staging"}


def test_success_rates() -> None:
    assert success_rate(runs("none")) >= 0.98
    assert success_rate(runs("flaky")) >= 0.90


@pytest.mark.parametrize("profile", PROFILES)
def test_no_policy_violations(profile: str) -> None:
    env = ItOpsEnv()
    for traj in runs(profile):
        assert env.find_violations(traj) == [], traj.id


@pytest.mark.parametrize("profile", PROFILES)
def test_writes_touch_only_the_files_of_the_fixes(profile: str) -> None:
    for traj in runs(profile):
        allowed = set(traj.task.parameters["truth"]["allowed_changes"])
        for call in calls(traj):
            if call.name in WRITE_TOOLS:
                path = call.arguments["path"]
                assert path.startswith(WRITE_ROOTS), (traj.id, path)
                assert path in allowed, (traj.id, path)


#: what the expert reads after a change whose reply was cut off, or goes on with
READ_BACK = {"service_status", "search_logs", "read_file", "run_healthcheck", "restart_service"}


def test_every_recoverable_fault_is_followed_by_a_recovery() -> None:
    seen: set[str] = set()
    for traj in runs("flaky"):
        for i, step in enumerate(traj.steps):
            for fault in step.faults:
                assert fault.kind in RECOVERABLE
                seen.add(fault.kind)
                if i + 1 == len(traj.steps):  # the honest failure after the last retry
                    assert isinstance(step.actions[0], ToolCall)
                    continue
                nxt = traj.steps[i + 1]
                if fault.kind == "format_drift":
                    assert "different format" in (nxt.reasoning or ""), traj.id
                    continue
                again = nxt.actions[0]
                assert nxt.reasoning, (traj.id, i)
                if isinstance(again, Finish):  # retries ran out: reported honestly
                    assert again.completed is False
                    assert "could not finish" in again.content
                    continue
                assert isinstance(again, ToolCall), (traj.id, i, fault.kind)
                original = step.actions[0]
                assert isinstance(original, ToolCall)
                if fault.kind == "partial" and original.name in ItOpsExpert.run_once:
                    # the change went through: its effect is read back, it is not made again
                    assert "do not repeat it" in nxt.reasoning, traj.id
                    assert again.name in READ_BACK, (traj.id, again.name)
                    # a restart of another service may follow, never the same call again
                    assert (again.name, again.arguments) != (original.name, original.arguments)
                    continue
                assert again.name == original.name
                assert again.arguments == original.arguments
    assert seen == set(RECOVERABLE)


@pytest.mark.parametrize("profile", PROFILES)
def test_plans_rationales_and_notes_are_consistent(profile: str) -> None:
    for traj in runs(profile):
        assert_written_down(traj, ends_with=(Finish, HandOff))


def test_optimal_steps_is_the_clean_run_length_within_the_level_budgets() -> None:
    budgets = {1: (4, 12), 2: (8, 20), 3: (15, 28)}
    per_level = steps_per_level(runs("none"), runs("flaky"))
    for level, lengths in per_level.items():
        low, high = budgets[level or 1]
        assert all(low <= n <= high for n in lengths), (level, lengths)
    level3 = per_level[3]
    assert 17 <= sum(level3) / len(level3) <= 27


def test_it_looks_before_it_changes_and_fixes_datastores_first() -> None:
    for traj in runs("none"):
        task = traj.task
        names = [c.name for c in calls(traj)]
        assert names[0] == "list_services"
        roles = {s["name"]: s["role"] for s in task.parameters["services"]}
        for fault in task.parameters["faults"]:
            service = fault["service"]
            statuses = [
                i
                for i, c in enumerate(calls(traj))
                if c.name == "service_status" and c.arguments["name"] == service
            ]
            assert statuses, (traj.id, service)
            writes = [
                i
                for i, c in enumerate(calls(traj))
                if c.name in WRITE_TOOLS and f"/{service}/" in c.arguments["path"]
            ]
            assert all(statuses[0] < i for i in writes), traj.id
        # services come back in the truth's dependency order (a second restart only re-applies)
        started: list[str] = []
        for call in calls(traj):
            if call.name in ("restart_service", "rollback"):
                name = call.arguments.get("name") or call.arguments["service"]
                if name not in started:
                    started.append(name)
        assert started == task.parameters["truth"]["restart_order"], traj.id
        ranks = [ROLE_ORDER.index(roles[n]) for n in started]
        assert ranks == sorted(ranks)


def test_health_is_verified_at_the_end() -> None:
    for traj in runs("none"):
        truth = traj.task.parameters["truth"]
        checked = [c.arguments["name"] for c in calls(traj) if c.name == "run_healthcheck"]
        assert set(truth["restart_order"]) <= set(checked)
        last = calls(traj)[-len(checked) :]
        assert all(c.name == "run_healthcheck" for c in last)
        results = [o for s in traj.steps for o in s.observations if isinstance(o, ToolResult)][
            -len(checked) :
        ]
        assert all('"healthy":true' in r.content for r in results), traj.id


def test_drains_and_rollbacks_are_asked_and_approved_first() -> None:
    drains = rollbacks = 0
    for traj in runs("none"):
        task = traj.task
        truth = task.parameters["truth"]
        asked = questions(traj)
        names = [c.name for c in calls(traj)]
        if truth["drain_before_db_restart"]:
            drains += 1
            assert any(a == task.hidden_info["maintenance"] for _, a in asked)
            drained = [c.arguments["name"] for c in calls(traj) if c.name == "drain_service"]
            assert drained == truth["drain_before_db_restart"]
        else:
            assert "drain_service" not in names
        if "rollback" in names:
            rollbacks += 1
            assert any(a == task.hidden_info["rollback_approval"] for _, a in asked)
            production = task.parameters["deploy_env"] == "production"
            approved: set[str] = set()
            for call in calls(traj):
                if call.name == "request_approval":
                    assert production
                    approved.add(call.arguments["service"])
                if call.name == "rollback" and production:
                    assert call.arguments["service"] in approved, traj.id
    assert drains >= 3
    assert rollbacks >= 30


def test_a_cause_behind_a_dependency_shows_at_the_restart_and_is_replanned() -> None:
    replanned = 0
    for traj in runs("none"):
        reasons = [s.plan.reason or "" for s in traj.steps if s.plan is not None]
        if masked(traj.task):
            assert any("brought out a problem of its own" in r for r in reasons), traj.id
            assert traj.outcome.status == "success"
            replanned += 1
    assert replanned >= 5


def test_the_summary_names_every_fix() -> None:
    for traj in runs("none"):
        final = traj.steps[-1].actions[0]
        assert isinstance(final, Finish)
        for fault in traj.task.parameters["faults"]:
            assert fault["service"] in final.content
            if fault["kind"] == "bad_release":
                assert f"rolled back to {fault['good_version']}" in final.content
            if fault["kind"] == "env_missing":
                assert f"restored {fault['var']}" in final.content


def test_same_task_seed_and_profile_give_identical_trajectories() -> None:
    for profile in ("flaky", "none"):
        assert_reproducible(tasks(), episode, runs(profile), profile, (0, 1, 2, 5, 8, 26))


@pytest.mark.parametrize("profile", PROFILES)
def test_trajectories_decode(profile: str) -> None:
    assert_decodes(runs(profile)[:60])


def test_gone_lookups_fall_back_to_other_tools() -> None:
    gone = FaultProfile(
        name="gone",
        per_tool={
            "service_status": {"permanent": 1.0},
            "list_releases": {"permanent": 1.0},
            "run_healthcheck": {"permanent": 1.0},
        },
    )
    picked = [t for t in tasks() if (t.difficulty or 1) > 1][:20]
    for i, task in enumerate(picked):
        traj = episode(task, i, gone)
        assert traj.outcome.status == "success", traj.id
        assert ItOpsEnv().find_violations(traj) == []
        names = [c.name for c in calls(traj)]
        assert "search_logs" in names
        if "rollback" in names:
            assert "/deploy/releases.log" in str([c.arguments for c in calls(traj)])


class _NoDrainUser:
    """A user who answers from the task but will not have the apps drained."""

    def __init__(self, task: Task) -> None:
        self.inner = ScriptedUser(task, ItOpsEnv.hidden_info_keys)

    async def respond(self, message: str, *, question: bool) -> str | None:
        if "draining" in message.lower():
            return "No, draining is not acceptable during business hours."
        return await self.inner.respond(message, question=question)


def test_a_refused_drain_hands_off_without_restarting_the_database() -> None:
    picked = [t for t in tasks() if t.parameters["truth"]["drain_before_db_restart"]]
    assert picked
    for i, task in enumerate(picked):
        env = make_environment(ItOpsEnv, "none")
        recorder = EpisodeRecorder(env, task, trajectory_id=f"no-{i}", user=_NoDrainUser(task))
        expert = ItOpsExpert(task, env.tool_specs(), i)
        traj = asyncio.run(run_episode(recorder, expert, Budget(max_steps=50)))
        names = [c.name for c in calls(traj)]
        assert "drain_service" not in names
        databases = {s["name"] for s in task.parameters["services"] if s["role"] == "db"}
        assert not any(
            c.name == "restart_service" and c.arguments["name"] in databases for c in calls(traj)
        )
        final = traj.steps[-1].actions[0]
        assert isinstance(final, HandOff)
        assert "draining" in final.content
        assert ItOpsEnv().find_violations(traj) == []


def test_a_cut_off_change_is_read_back_not_made_twice() -> None:
    """A change whose reply was cut off went through: the expert reads back what it did (the
    file, the service's status) and never sends it again right away."""
    cut = FaultProfile(
        name="cut-writes",
        per_tool={
            tool: {"partial": 0.5}
            for tool in ("edit_file", "append_to_file", "clear_file", "rollback", "restart_service")
        },
    )
    read_back: Counter[str] = Counter()
    for i, task in enumerate(tasks()[:90]):
        traj = episode(task, i, cut)
        assert traj.outcome.status == "success", traj.id
        assert ItOpsEnv().find_violations(traj) == []
        for step, nxt in zip(traj.steps, traj.steps[1:], strict=False):
            call = step.actions[0]
            result = next((o for o in step.observations if isinstance(o, ToolResult)), None)
            if result is None or result.status != "partial" or not isinstance(call, ToolCall):
                continue
            again = nxt.actions[0]
            assert not isinstance(again, ToolCall) or (again.name, again.arguments) != (
                call.name,
                call.arguments,
            ), traj.id
            if call.name == "edit_file":
                assert (again.name, again.arguments) == (
                    "read_file",
                    {"path": call.arguments["path"]},
                )
                assert "instead of editing it twice" in (again.rationale or "")
                read_back[call.name] += 1
            elif call.name == "restart_service":
                assert (again.name, again.arguments) == ("service_status", call.arguments)
                assert "instead of restarting it twice" in (again.rationale or "")
                read_back[call.name] += 1
    assert read_back["edit_file"] >= 5
    assert read_back["restart_service"] >= 5


class _FrozenEnv(ItOpsEnv):
    """An ops box during a change freeze: the on-call lead turns every rollback down."""

    @tool
    def request_approval(
        self,
        action: Literal["rollback", "restart", "config_change"],
        service: str,
        reason: str,
    ) -> dict[str, Any]:
        """Ask the on-call lead to approve a risky action (production rollbacks need one).

        Args:
            action: what you want to do
            service: the service it concerns
            reason: why, with the evidence
        """
        out = ItOpsEnv.request_approval(self, action, service, reason)
        return {**out, "approved": False, "comment": "change freeze: not now"}


def test_a_refused_rollback_is_handed_off_not_done() -> None:
    picked = [t for t in tasks() if t.parameters["truth"]["rollback_needs_approval"]][:10]
    assert picked
    for i, task in enumerate(picked):
        traj = generate_episode(_FrozenEnv, ItOpsExpert, task, trajectory_id=f"f{i}", seed=i)
        names = [c.name for c in calls(traj)]
        assert "request_approval" in names
        assert "rollback" not in names
        final = traj.steps[-1].actions[0]
        assert isinstance(final, HandOff)
        assert "change freeze" in final.content
        assert ItOpsEnv().find_violations(traj) == []
