"""The scripted-expert engine on a toy environment: plans, notes, recovery from every fault."""

from __future__ import annotations

import asyncio

import pytest

from tests.envs.toy_env import CounterEnv
from trajforge.agents.base import Decision, call_id
from trajforge.agents.scripted import Ask, Call, Done, Result, Script, ScriptedExpert, undrift
from trajforge.agents.users import ScriptedUser
from trajforge.envs import FaultInjector, FaultProfile
from trajforge.run.episode import Budget, EpisodeRecorder, run_episode
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)


class CounterExpert(ScriptedExpert):
    def script(self, task: Task) -> Script:
        self.plan(["add the amount", "check the counter", "report"])
        target = task.parameters["target"]
        colour = yield Ask("Which colour should the counter be?", why="The request omits it.")
        self.assume(f"colour is {colour}")
        added: Result = yield Call("add", {"amount": target}, why="Bring it to the target.")
        assert added.ok
        self.mark_done("add the amount")
        read: Result = yield Call(
            "read", why="Verify the value.", fallbacks=[Call("items", why="Fallback.")]
        )
        self.mark_done("check the counter")
        yield Done(f"The counter is at {target} ({read.ok}).")


def episode(profile: str | FaultProfile, seed: int) -> Trajectory:
    task = CounterEnv.generate_task(seed, 1)
    task.hidden_info["colour"] = "blue"
    env = FaultInjector(CounterEnv(), profile)
    recorder = EpisodeRecorder(env, task, trajectory_id=f"t{seed}", user=ScriptedUser(task))
    expert = CounterExpert(task, env.tool_specs(), seed)
    return asyncio.run(run_episode(recorder, expert, Budget(max_steps=30)))


def test_clean_run_writes_plan_notes_and_rationales() -> None:
    traj = episode("none", 1)
    assert traj.outcome.status == "success"
    first = traj.steps[0]
    assert first.plan is not None
    assert first.plan.steps[0] == "add the amount"
    assert first.observations[0].content == "blue"  # the user answered from hidden info
    call = traj.steps[1].actions[0]
    assert isinstance(call, ToolCall)
    assert call.rationale == "Bring it to the target."
    notes = traj.steps[2].state_notes
    assert notes is not None
    assert notes.done == ["add the amount"]
    assert notes.assumptions == ["colour is blue"]
    assert traj.metrics.optimal_steps == 4
    assert len(traj.steps) == 4


@pytest.mark.parametrize(
    "kind", ["timeout", "server_error", "rate_limit", "partial", "empty", "stale", "format_drift"]
)
def test_every_recoverable_fault_is_followed_by_a_recovery(kind: str) -> None:
    profile = FaultProfile(name="p", per_tool={"read": {kind: 0.5}, "add": {}})  # type: ignore[dict-item]
    recovered = 0
    for seed in range(40):
        traj = episode(profile, seed)
        assert traj.outcome.status == "success", kind
        for i, step in enumerate(traj.steps):
            if any(f.kind == kind for f in step.faults) and kind != "format_drift":
                nxt = traj.steps[i + 1]
                assert isinstance(nxt.actions[0], ToolCall)
                assert nxt.actions[0].name in ("read", "items")  # again, or the alternative
                assert nxt.reasoning
                recovered += 1
            if any(f.kind == kind for f in step.faults) and kind == "format_drift":
                assert "different format" in (traj.steps[i + 1].reasoning or "")
                recovered += 1
    assert recovered > 5


def test_permanent_fault_switches_to_the_fallback_or_fails_honestly() -> None:
    profile = FaultProfile(name="p", per_tool={"read": {"permanent": 1.0}, "add": {}})
    traj = episode(profile, 3)
    names = [a.name for s in traj.steps for a in s.actions if isinstance(a, ToolCall)]
    assert names == ["add", "read", "items"]
    assert "using items instead" in (traj.steps[3].reasoning or "")
    both = FaultProfile(
        name="p", per_tool={"read": {"permanent": 1.0}, "items": {"permanent": 1.0}, "add": {}}
    )
    failed = episode(both, 3)
    final = failed.steps[-1].actions[0]
    assert getattr(final, "completed", True) is False
    assert "could not finish" in getattr(final, "content", "")


def test_a_call_replaced_by_someone_else_is_made_again() -> None:
    task = CounterEnv.generate_task(2, 1)
    expert = CounterExpert(task, [], 0)
    ask = expert.next_decision([])
    assert ask.actions[0].content.startswith("Which colour")  # type: ignore[union-attr]
    answered = Step(
        actions=[ClarifyingQuestion(content="?")], observations=[UserMessage(content="red")]
    )
    call = expert.next_decision([answered])
    wrong = Step(
        actions=[ToolCall(id="x", name="read")],
        observations=[ToolResult(call_id="x", content="{}")],
    )
    again = expert.next_decision([answered, wrong])
    assert isinstance(again, Decision)
    assert again.actions[0] == ToolCall(
        id=call_id("expert", 0, 2),
        name="add",
        arguments=call.actions[0].arguments,  # type: ignore[union-attr]
        rationale="Bring it to the target.",
    )
    assert "not the call I meant" in (again.reasoning or "")


class GiveUpExpert(ScriptedExpert):
    def script(self, task: Task) -> Script:
        yield Done("I could not do it.", completed=False)
        raise AssertionError("nothing comes after a final move")


def test_a_final_move_replaced_by_someone_else_is_made_again() -> None:
    expert = GiveUpExpert(CounterEnv.generate_task(2, 1), [], 0)
    first = expert.next_decision([])
    assert first.actions == [Finish(content="I could not do it.", completed=False)]
    # a mistake made a call instead: the episode went on, and the finish was never made
    wrong = Step(
        actions=[ToolCall(id="x", name="read")],
        observations=[ToolResult(call_id="x", content="{}")],
    )
    again = expert.next_decision([wrong])
    assert again.actions == first.actions
    assert "not what I meant" in (again.reasoning or "")


def test_undrift_restores_snake_case_and_objects() -> None:
    assert undrift([{"orderId": 1}], like_object=True) == {"order_id": 1}
    assert undrift([{"Id": 1}, {"Id": 2}], like_object=False) == [{"id": 1}, {"id": 2}]
