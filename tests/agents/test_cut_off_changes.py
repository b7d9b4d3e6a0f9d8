"""Every expert, when the reply to one of its changes is cut off, never makes the change twice:
the change went through, and a second refund, delete, append, booking or invitation would act
again. The run still ends well as often as without the fault."""

from __future__ import annotations

import itertools

import pytest

from tests.agents.expert_harness import expert_harness, success_rate
from trajforge.agents.registry import find_expert, with_experts
from trajforge.envs.faults import FaultProfile
from trajforge.envs.registry import ENVIRONMENT_CLASSES
from trajforge.schema import ToolCall, ToolResult

N_TASKS = 60
SCRIPTED = sorted(name for name in with_experts() if getattr(find_expert(name), "run_once", None))


def test_every_environment_with_changes_has_its_expert_list_them() -> None:
    assert set(SCRIPTED) >= {"dataops", "itops", "scheduling", "support"}


@pytest.mark.parametrize("env_name", SCRIPTED)
def test_a_cut_off_change_is_never_made_twice(env_name: str) -> None:
    expert = find_expert(env_name)
    cut = FaultProfile(name="cut", per_tool={t: {"partial": 0.6} for t in expert.run_once})
    tasks, episode, runs = expert_harness(ENVIRONMENT_CLASSES[env_name], expert, N_TASKS)
    trajectories = [episode(task, i, cut) for i, task in enumerate(tasks())]
    cut_off = 0
    for traj in trajectories:
        made = [
            (a, o)
            for step in traj.steps
            for a in step.actions
            if isinstance(a, ToolCall)
            for o in step.observations
            if isinstance(o, ToolResult) and o.call_id == a.id
        ]
        for (call, result), (nxt, _) in itertools.pairwise(made):
            if result.status == "partial" and call.name in expert.run_once:
                cut_off += 1
                assert (nxt.name, nxt.arguments) != (call.name, call.arguments), traj.id
    assert cut_off >= 10
    assert success_rate(trajectories) >= success_rate(runs("none")) - 0.05
