"""Branching asks of a policy the hooks it needs, by name."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from tests.envs.toy_env import CounterEnv
from trajforge.agents.base import Decision, Policy
from trajforge.agents.users import ScriptedUser
from trajforge.envs.base import EnvironmentLike
from trajforge.errors import ConfigError
from trajforge.run.branching import BranchingEpisode
from trajforge.run.episode import Budget, EpisodeRecorder
from trajforge.schema import Finish, Step, ToolCall


class Stubborn:
    """Adds one, then finishes; it cannot take another route."""

    name = "stubborn"

    async def decide(self, steps: Sequence[Step]) -> Decision:
        if not steps:
            return Decision(actions=[ToolCall(id="c1", name="add", arguments={"amount": 1})])
        return Decision(actions=[Finish(content="done")])


def test_a_policy_that_cannot_diverge_is_told_which_hook_to_implement() -> None:
    task = CounterEnv.generate_task(1, 1)

    def make_recorder(env: EnvironmentLike, trajectory_id: str) -> EpisodeRecorder:
        return EpisodeRecorder(env, task, trajectory_id=trajectory_id, user=ScriptedUser(task))

    def make_policy(env: EnvironmentLike) -> Policy:
        return Stubborn()

    episode = BranchingEpisode(
        CounterEnv,
        make_policy,
        make_recorder,
        trajectory_id="t",
        seed=1,
        budget=Budget(max_steps=5),
        branch_at=[1],
        branches=1,
    )
    with pytest.raises(ConfigError, match="diverge") as caught:
        asyncio.run(episode.run())
    assert "CanDiverge" in (caught.value.hint or "")
