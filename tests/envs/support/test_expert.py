"""The support expert: success rates, recovery from faults, policy, notes, determinism."""

from __future__ import annotations

import asyncio

import pytest

from tests.agents.expert_harness import (
    assert_decodes,
    assert_reproducible,
    calls,
    expert_harness,
    steps_per_level,
)
from tests.agents.expert_harness import success_rate as rate
from trajforge.agents.scripted import MAX_RETRIES
from trajforge.agents.users import CONFIRMATION, ScriptedUser
from trajforge.envs.factory import make_environment
from trajforge.envs.faults import FaultProfile
from trajforge.envs.support import SupportEnv
from trajforge.envs.support.expert import SupportExpert
from trajforge.envs.support.expert.text import DETAIL_WORDS, plain, variant_in, words
from trajforge.run.episode import (
    Budget,
    EpisodeRecorder,
    run_episode,
)
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Task,
    ToolCall,
    Trajectory,
    UserMessage,
)

N_TASKS = 200
CHANGES = {"cancel_order", "refund_order", "exchange_item", "update_address", "update_email"}
RECOVERABLE = {"timeout", "server_error", "rate_limit", "partial", "format_drift", "stale", "empty"}
FALLBACKS = {"list_orders": {"get_customer"}}
_GATED = {"cancel_by_id", "refund_by_id", "cancel_described", "refund_two", "exchange_described"}


tasks, episode, runs = expert_harness(SupportEnv, SupportExpert, N_TASKS)


def kind(traj: Trajectory) -> str:
    return str(traj.task.parameters["truth"]["kind"])


# -- success -----------------------------------------------------------------------------------


def test_the_sample_covers_every_level_and_scenario() -> None:
    assert {t.difficulty for t in tasks()} == {1, 2, 3}
    kinds = {t.parameters["truth"]["kind"] for t in tasks()}
    assert len(kinds) == 12


def test_success_rate_without_faults() -> None:
    assert rate(runs("none")) >= 0.98


def test_success_rate_with_flaky_tools() -> None:
    assert rate(runs("flaky")) >= 0.90


@pytest.mark.parametrize("level", [1, 2, 3])
def test_every_level_succeeds_without_faults(level: int) -> None:
    at_level = tuple(t for t in runs("none") if t.task.difficulty == level)
    assert at_level
    assert rate(at_level) >= 0.98


# -- policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_no_policy_violations(profile: str) -> None:
    env = SupportEnv()
    for traj in runs(profile):
        assert env.find_violations(traj) == [], traj.id


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_every_request_for_a_yes_is_answered_with_a_yes(profile: str) -> None:
    asked = 0
    for traj in runs(profile):
        for step in traj.steps:
            action = step.actions[0]
            if isinstance(action, ClarifyingQuestion) and action.content.startswith("Shall I"):
                asked += 1
                assert plain(action.content), action.content
                assert step.observations == [UserMessage(content=CONFIRMATION)], action.content
    assert asked > N_TASKS // 2


def test_refunds_above_the_limit_are_handed_off_without_refunding() -> None:
    handoffs = [t for t in runs("none") if kind(t) == "refund_over_limit"]
    assert handoffs
    for traj in handoffs:
        final = traj.steps[-1].actions[0]
        assert isinstance(final, HandOff)
        assert "above" in final.content
        assert "refund_order" not in {c.name for c in calls(traj)}
        assert traj.outcome.status == "success"


def test_a_delivered_order_is_not_cancelled_and_a_return_is_offered() -> None:
    refusals = [t for t in runs("none") if kind(t) == "cancel_delivered"]
    assert refusals
    for traj in refusals:
        assert "cancel_order" not in {c.name for c in calls(traj)}
        offers = [
            a.content
            for s in traj.steps
            for a in s.actions
            if isinstance(a, ClarifyingQuestion) and "cannot be cancelled" in a.content
        ]
        assert len(offers) == 1
        assert "return" in offers[0]
        revisions = [s.plan for s in traj.steps if s.plan is not None and s.plan.revision > 0]
        assert revisions
        assert revisions[0].reason is not None
        assert "delivered" in revisions[0].reason


def test_level_3_asks_for_identity_and_order_before_any_lookup() -> None:
    for traj in runs("none"):
        if traj.task.difficulty != 3:
            continue
        first = traj.steps[0].actions[0]
        assert isinstance(first, ClarifyingQuestion)
        names = [c.name for c in calls(traj)]
        assert names[:2] in (
            ["find_customer_by_email", "verify_identity"],
            ["find_customer_by_name_zip", "verify_identity"],
        )
        questions = [
            a.content for s in traj.steps for a in s.actions if isinstance(a, ClarifyingQuestion)
        ]
        assert any("order id" in q for q in questions)


def test_out_of_stock_exchanges_are_replanned_on_the_customers_fallback() -> None:
    cases = [t for t in runs("none") if kind(t) == "exchange_out_of_stock"]
    assert cases
    for traj in cases:
        reasons = [s.plan.reason or "" for s in traj.steps if s.plan and s.plan.revision]
        assert any("out of stock" in r for r in reasons)
        assert len(reasons) == 2  # out of stock, then what the customer accepts
        changes = [c.name for c in calls(traj) if c.name in CHANGES]
        refund = bool(traj.task.parameters["truth"]["refunds"])
        assert changes == (["refund_order"] if refund else ["exchange_item"])


def test_the_order_list_falls_back_to_the_profile_when_gone() -> None:
    gone = FaultProfile(name="no-list", per_tool={"list_orders": {"permanent": 1.0}})
    level_2 = [t for t in tasks() if t.difficulty == 2][:20]
    for n, task in enumerate(level_2):
        traj = episode(task, n, gone)
        names = [c.name for c in calls(traj)]
        assert names[names.index("list_orders") + 1] == "get_customer"
        assert traj.outcome.status == "success"


def test_a_tool_gone_for_good_ends_in_an_honest_failure_without_violations() -> None:
    gone = FaultProfile(name="no-refunds", per_tool={"refund_order": {"permanent": 1.0}})
    refunds = [t for t in tasks() if t.parameters["truth"]["kind"] == "refund_by_id"][:5]
    env = SupportEnv()
    for n, task in enumerate(refunds):
        traj = episode(task, n, gone)
        final = traj.steps[-1].actions[0]
        assert isinstance(final, Finish)
        assert final.completed is False
        assert "could not finish" in final.content
        assert env.find_violations(traj) == []


class _NoUser:
    """A customer who answers every question but declines every change."""

    def __init__(self, task: Task) -> None:
        self.inner = ScriptedUser(task, SupportEnv.hidden_info_keys)

    async def respond(self, message: str, *, question: bool) -> str | None:
        if message.startswith("Shall I"):
            return "No, please don't."
        return await self.inner.respond(message, question=question)


def test_a_declined_change_is_not_made_and_is_reported_honestly() -> None:
    gated = [t for t in tasks() if t.parameters["truth"]["kind"] in _GATED][:24]
    assert {t.parameters["truth"]["kind"] for t in gated} >= {"cancel_by_id", "refund_two"}
    for n, task in enumerate(gated):
        env = make_environment(SupportEnv, "none")
        recorder = EpisodeRecorder(env, task, trajectory_id=f"no-{n}", user=_NoUser(task))
        expert = SupportExpert(task, env.tool_specs(), n)
        traj = asyncio.run(run_episode(recorder, expert, Budget(max_steps=40)))
        assert not {c.name for c in calls(traj)} & CHANGES, traj.id
        final = traj.steps[-1].actions[0]
        assert isinstance(final, Finish)
        assert final.completed is False
        assert "As you asked, I did not" in final.content
        assert SupportEnv().find_violations(traj) == []


# -- recovery ----------------------------------------------------------------------------------


def test_every_recoverable_fault_is_followed_by_a_recovery_step() -> None:
    recovered: dict[str, int] = {}
    for traj in runs("flaky"):
        streak = 0
        for i, step in enumerate(traj.steps):
            kinds = {f.kind for f in step.faults} & RECOVERABLE
            streak = streak + 1 if kinds else 0
            if not kinds:
                continue
            call, after = step.actions[0], traj.steps[i + 1]
            assert isinstance(call, ToolCall)
            nxt = after.actions[0]
            for fault in kinds:
                recovered[fault] = recovered.get(fault, 0) + 1
            if kinds == {"format_drift"}:
                assert "different format" in (after.reasoning or ""), traj.id
            elif "partial" in kinds and call.name in SupportExpert.run_once:
                # a change whose reply was cut off went through: read back, never repeated
                assert isinstance(nxt, ToolCall), traj.id
                assert (nxt.name, nxt.arguments) == (
                    "get_order",
                    {"order_id": call.arguments["order_id"]},
                )
                assert "instead of changing it twice" in (nxt.rationale or ""), traj.id
            elif isinstance(nxt, Finish):  # retries used up: an honest failure
                assert streak > MAX_RETRIES
                assert nxt.completed is False
            else:
                assert isinstance(nxt, ToolCall), traj.id
                same = nxt.name == call.name and nxt.arguments == call.arguments
                assert same or nxt.name in FALLBACKS.get(call.name, set()), traj.id
                assert after.reasoning
    assert set(recovered) == RECOVERABLE
    assert sum(recovered.values()) > 100


# -- notes, plans, rationales --------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_plans_rationales_and_notes_are_consistent(profile: str) -> None:
    for traj in runs(profile):
        assert traj.steps[0].plan is not None
        assert traj.steps[0].plan.revision == 0
        done: list[str] = []
        for step in traj.steps:
            assert step.state_notes is not None
            assert step.state_notes.done[: len(done)] == done  # done only grows
            done = list(step.state_notes.done)
            for action in step.actions:
                if isinstance(action, ToolCall):
                    assert action.rationale, traj.id
        final = traj.steps[-1]
        assert final.state_notes is not None
        if traj.outcome.status == "success":
            assert final.state_notes.remaining == [], traj.id
            assert isinstance(final.actions[0], Finish | HandOff)


def test_plan_revisions_count_up_and_give_a_reason() -> None:
    for traj in runs("none"):
        plans = [s.plan for s in traj.steps if s.plan is not None]
        assert [p.revision for p in plans] == list(range(len(plans)))
        assert all(p.reason for p in plans[1:])


def test_the_final_summary_states_what_the_tools_confirmed() -> None:
    for traj in runs("none"):
        final = traj.steps[-1].actions[0]
        if not isinstance(final, Finish):
            continue
        assert final.completed
        for call in calls(traj):
            if call.name in {"refund_order", "cancel_order", "exchange_item"}:
                assert str(call.arguments["order_id"]) in final.content
        if kind(traj) == "cancel_delivered" and not traj.task.parameters["truth"]["refunds"]:
            assert "nothing was changed" in final.content


def test_optimal_steps_are_recorded() -> None:
    per_level = steps_per_level(runs("none"), runs("flaky"))
    mean = {level: sum(v) / len(v) for level, v in per_level.items()}
    assert mean[1] < mean[2] < mean[3]
    assert min(per_level[1]) >= 4
    assert max(per_level[3]) <= 20


# -- determinism and records ---------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_the_same_task_seed_and_profile_give_identical_bytes(profile: str) -> None:
    assert_reproducible(tasks(), episode, runs(profile), profile, range(40))


@pytest.mark.parametrize("profile", ["none", "flaky"])
def test_trajectories_decode_back(profile: str) -> None:
    assert_decodes(runs(profile))


# -- phrasing ----------------------------------------------------------------------------------


def test_detail_words_are_what_the_simulated_user_matches_on() -> None:
    task = tasks()[0]
    user = ScriptedUser(task, SupportEnv.hidden_info_keys)
    answer = user.respond("Shall I go ahead and refund the blue desk lamp?", question=True)
    assert asyncio.run(answer) == CONFIRMATION
    for word in sorted(DETAIL_WORDS & {"order", "variant", "as", "s", "full"}):
        assert not plain(f"shall i go ahead with {word}")
    assert "shall" not in DETAIL_WORDS
    assert words("Full-size (S)") == {"full", "size", "s"}


def test_a_variant_is_read_from_the_change_the_customer_states() -> None:
    item = {"variant_id": "P1-01", "options": {"size": "M", "color": "navy"}}
    variants = [
        {"variant_id": "P1-01", "options": {"size": "M", "color": "navy"}},
        {"variant_id": "P1-02", "options": {"size": "L", "color": "navy"}},
        {"variant_id": "P1-03", "options": {"size": "L", "color": "black"}},
        {"variant_id": "P1-04", "options": {"size": "M", "color": "black"}},
    ]
    assert variant_in("one in size L please", item, variants) == variants[1]
    assert variant_in("I want it in size L and in black", item, variants) == variants[2]
    assert variant_in("in black", item, variants) == variants[3]
    assert variant_in("a different version", item, variants) is None
