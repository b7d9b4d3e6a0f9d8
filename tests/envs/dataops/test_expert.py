"""The dataops expert over 200 seeded tasks, without faults and with the flaky profile."""

from __future__ import annotations

import asyncio

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
from trajforge.agents.users import CONFIRMATION, ScriptedUser
from trajforge.envs.dataops import DataOpsEnv
from trajforge.envs.dataops.expert import DataOpsExpert
from trajforge.envs.dataops.policy import WRITE_TOOLS
from trajforge.envs.dataops.sandbox import mentions_schema_change
from trajforge.envs.dataops.tasks import BULK_LIMIT
from trajforge.envs.factory import make_environment
from trajforge.envs.faults import FAULT_KINDS, FaultProfile
from trajforge.run.episode import (
    Budget,
    EpisodeRecorder,
    run_episode,
)
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    Task,
    ToolCall,
    UserMessage,
)

N_TASKS = 200
PROFILES = ("none", "flaky")
RECOVERABLE = tuple(k for k in FAULT_KINDS if k != "permanent")


tasks, episode, runs = expert_harness(DataOpsEnv, DataOpsExpert, N_TASKS)


def test_the_sample_covers_every_level_and_the_unstated_authority() -> None:
    levels = {t.difficulty for t in tasks()}
    assert levels == {1, 2, 3}
    assert any(not t.parameters["truth"]["authority_stated"] for t in tasks())


def test_success_rates() -> None:
    assert success_rate(runs("none")) >= 0.98
    assert success_rate(runs("flaky")) >= 0.90


@pytest.mark.parametrize("profile", PROFILES)
def test_no_policy_violations(profile: str) -> None:
    env = DataOpsEnv()
    for traj in runs(profile):
        assert env.find_violations(traj) == [], traj.id


@pytest.mark.parametrize("profile", PROFILES)
def test_only_the_table_to_fix_is_written_and_the_schema_never(profile: str) -> None:
    for traj in runs(profile):
        truth = traj.task.parameters["truth"]
        for call in calls(traj):
            if call.name in WRITE_TOOLS:
                assert call.arguments[WRITE_TOOLS[call.name]] == truth["fix_table"]
            if call.name == "run_query":
                assert not mentions_schema_change(call.arguments["sql"])


def test_every_recoverable_fault_is_followed_by_a_recovery() -> None:
    seen: set[str] = set()
    for traj in runs("flaky"):
        for i, step in enumerate(traj.steps):
            for fault in step.faults:
                assert fault.kind in RECOVERABLE
                seen.add(fault.kind)
                nxt = traj.steps[i + 1]
                if fault.kind == "format_drift":
                    assert "different format" in (nxt.reasoning or ""), traj.id
                    continue
                original = step.actions[0]
                assert isinstance(original, ToolCall)
                if fault.kind == "partial" and fault.tool in DataOpsExpert.run_once:
                    # the change went through: never made twice (the final comparison checks it)
                    assert "do not repeat it" in (nxt.reasoning or ""), traj.id
                    assert all(
                        (a.name, a.arguments) != (original.name, original.arguments)
                        for later in traj.steps[i + 1 :]
                        for a in later.actions
                        if isinstance(a, ToolCall)
                    ), traj.id
                    continue
                again = nxt.actions[0]
                assert isinstance(again, ToolCall), (traj.id, i, fault.kind)
                assert again.name == fault.tool or again.name in ("run_query", "describe_table")
                assert nxt.reasoning
                if again.name == fault.tool:
                    assert again.arguments == original.arguments
    assert seen == set(RECOVERABLE)


@pytest.mark.parametrize("profile", PROFILES)
def test_plans_rationales_and_notes_are_consistent(profile: str) -> None:
    for traj in runs(profile):
        assert_written_down(traj)


def test_optimal_steps_is_the_clean_run_length() -> None:
    assert steps_per_level(runs("none"), runs("flaky"))


def test_it_asks_for_the_authoritative_table_only_when_the_request_is_silent() -> None:
    for traj in runs("none"):
        truth = traj.task.parameters["truth"]
        asked = [
            (s.actions[0].content, s.observations[0].content)
            for s in traj.steps
            if isinstance(s.actions[0], ClarifyingQuestion)
            and "system of record" in (s.actions[0].content)
        ]
        if truth["authority_stated"]:
            assert asked == []
        else:
            assert len(asked) == 1
            assert asked[0][1] == traj.task.hidden_info["authoritative"]
            assert any(c.name == "compare_tables" for c in calls(traj))


def test_deletes_and_large_syncs_come_after_a_plain_confirmation() -> None:
    gated = 0
    for traj in runs("none"):
        confirmed = False
        for step in traj.steps:
            action = step.actions[0]
            if isinstance(action, ClarifyingQuestion):
                answer = step.observations[0]
                assert isinstance(answer, UserMessage)
                confirmed = answer.content == CONFIRMATION
            elif isinstance(action, ToolCall) and (
                action.name == "delete_record"
                or (action.name == "sync_records" and len(action.arguments["keys"]) > BULK_LIMIT)
            ):
                assert confirmed, traj.id
                gated += 1
    assert gated > 100


def test_the_summary_reports_the_true_counts() -> None:
    for traj in runs("none"):
        truth = traj.task.parameters["truth"]
        submitted = [c for c in calls(traj) if c.name == "submit_summary"]
        assert len(submitted) == 1
        expected = {k: n for k, n in truth["counts"].items() if n}
        assert submitted[0].arguments["mismatch_counts"] == expected


def test_same_task_seed_and_profile_give_identical_trajectories() -> None:
    for profile in ("flaky", "none"):
        assert_reproducible(tasks(), episode, runs(profile), profile, (0, 1, 2, 5, 8))


@pytest.mark.parametrize("profile", PROFILES)
def test_trajectories_decode(profile: str) -> None:
    assert_decodes(runs(profile)[:60])


def test_gone_lookups_fall_back_to_read_only_queries() -> None:
    gone = FaultProfile(
        name="gone",
        per_tool={
            "compare_tables": {"permanent": 1.0},
            "get_record": {"permanent": 1.0},
            "list_tables": {"permanent": 1.0},
        },
    )
    picked = [t for t in tasks() if t.difficulty == 3][:15]
    for i, task in enumerate(picked):
        traj = episode(task, i, gone)
        assert traj.outcome.status == "success", traj.id
        assert DataOpsEnv().find_violations(traj) == []
        names = [c.name for c in calls(traj)]
        assert names[:2] == ["list_tables", "describe_table"]
        assert names.count("compare_tables") == 1  # gone once, then queried directly
        assert "run_query" in names


class _NoUser:
    """A user who tells which table is authoritative but declines every change."""

    def __init__(self, task: Task) -> None:
        self.inner = ScriptedUser(task, DataOpsEnv.hidden_info_keys)

    async def respond(self, message: str, *, question: bool) -> str | None:
        if "proceed" in message.lower():
            return "No, don't change anything yet."
        return await self.inner.respond(message, question=question)


def test_a_declined_confirmation_changes_nothing_and_is_reported_honestly() -> None:
    picked = [t for t in tasks() if t.parameters["truth"]["counts"]["extra"]][:5]
    for i, task in enumerate(picked):
        env = make_environment(DataOpsEnv, "none")
        recorder = EpisodeRecorder(env, task, trajectory_id=f"no-{i}", user=_NoUser(task))
        expert = DataOpsExpert(task, env.tool_specs(), i)
        traj = asyncio.run(run_episode(recorder, expert, Budget(max_steps=30)))
        assert not any(c.name in WRITE_TOOLS for c in calls(traj))
        final = traj.steps[-1].actions[0]
        assert isinstance(final, Finish)
        assert final.completed is False
        assert "unchanged" in final.content
        assert DataOpsEnv().find_violations(traj) == []
