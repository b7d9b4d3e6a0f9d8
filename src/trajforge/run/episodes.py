"""What turns a work item into trajectories: its environment, policy, user and recorder, the
episode with its branches, and the stage record; and what a failed item says in the errors file.

One item (a task and its branches) is always made whole, by one process: the branches fork
from snapshots of that process's own environment, never from another worker's.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from trajforge import __version__
from trajforge.agents.base import Policy
from trajforge.agents.registry import PolicyMaker, expert_for, with_mistakes
from trajforge.agents.users import ScriptedUser
from trajforge.envs.approval import Approver, Gate, approval_rules
from trajforge.envs.base import Environment, EnvironmentLike
from trajforge.envs.factory import make_environment
from trajforge.envs.registry import get_environment
from trajforge.errors import ConfigError, EndpointError
from trajforge.run.branching import BranchingEpisode
from trajforge.run.episode import EpisodeRecorder, User
from trajforge.run.items import WorkItem, agent_label
from trajforge.run.spec import MixSpec, RunSpec
from trajforge.schema import Generator, StageRecord, encode


class LLMHooks(NamedTuple):
    """Makes the LLM agent and user of a mix, and checks the run's endpoint before the first
    episode (``trajforge.run.llm_hooks``, with the optional ``llm`` extra)."""

    agent: Callable[[RunSpec, MixSpec], PolicyMaker]
    user: Callable[[RunSpec, MixSpec, WorkItem], User]
    preflight: Callable[[RunSpec], Awaitable[None]]


class Episode(NamedTuple):
    """A finished item: its trajectories as JSON lines (the parent first), and whether the
    parent succeeded."""

    lines: list[bytes]
    success: bool


class EpisodeMaker:
    """Runs the work items of one run (policy makers made once per mix)."""

    def __init__(
        self, spec: RunSpec, llm_hooks: LLMHooks | None, approver: Approver | None = None
    ) -> None:
        self.spec = spec
        self.llm_hooks = llm_hooks
        self.approver = approver
        self._makers: dict[int, PolicyMaker] = {}

    def _policy_maker(self, mix_index: int, mix: MixSpec) -> PolicyMaker:
        if mix_index not in self._makers:
            if mix.agent == "llm":
                if self.llm_hooks is None:
                    raise ConfigError("LLM agents need the 'llm' extra: pip install trajforge[llm]")
                base = self.llm_hooks.agent(self.spec, mix)
            else:
                base = expert_for(mix.env)
            tools = get_environment(mix.env).tools
            self._makers[mix_index] = with_mistakes(
                base,
                rate=mix.mistakes,
                recover=mix.recover,
                read_only=frozenset(name for name, t in tools.items() if t.read_only),
                always=bool(self.spec.branches),
            )
        return self._makers[mix_index]

    def _user(self, item: WorkItem) -> User:
        if item.mix.user == "llm" and self.llm_hooks is not None:
            return self.llm_hooks.user(self.spec, item.mix, item)
        return ScriptedUser(item.task, get_environment(item.mix.env).hidden_info_keys)

    def _gate(self, cls: type[Environment]) -> Gate | None:
        """What holds the calls that need a human's approval, when there is an approver."""
        if self.approver is None:
            return None
        return Gate(self.approver, approval_rules(cls.policy_rules))

    async def run(self, item: WorkItem) -> Episode:
        """The item's episode and its branches, encoded."""
        cls = get_environment(item.mix.env)
        maker = self._policy_maker(item.mix_index, item.mix)
        model = self.spec.llm.model if item.mix.agent == "llm" and self.spec.llm else None
        generator = Generator(policy=agent_label(item.mix), model=model, seed=item.seed)

        def make_env() -> EnvironmentLike:
            return make_environment(cls, item.mix.faults)

        def make_recorder(env: EnvironmentLike, trajectory_id: str) -> EpisodeRecorder:
            return EpisodeRecorder(
                env,
                item.task,
                trajectory_id=trajectory_id,
                user=self._user(item),
                seed=item.seed,
                generator=generator,
                fault_profile=item.mix.faults,
                gate=self._gate(cls),
            )

        def make_policy(env: EnvironmentLike) -> Policy:
            return maker(item.task, env.tool_specs(), item.seed)

        episode = BranchingEpisode(
            make_env,
            make_policy,
            make_recorder,
            trajectory_id=item.trajectory_id,
            seed=item.seed,
            budget=self.spec.budget,
            branch_at=self.spec.branch_at,
            branches=self.spec.branches,
        )
        trajectories = await episode.run()
        stage = StageRecord(name="generate", version=__version__)
        for t in trajectories:
            t.provenance.stages.append(stage)
        success = trajectories[0].outcome.status == "success"
        return Episode([encode(t) for t in trajectories], success)


def error_entry(index: int, exc: Exception) -> dict[str, Any]:
    """The errors-file line of item ``index``, failed with ``exc`` (call it where ``exc`` was
    caught: a bug's traceback goes with it)."""
    entry: dict[str, Any] = {"item": index, "error": f"{type(exc).__name__}: {exc}"}
    if isinstance(exc, EndpointError):
        entry["kind"] = "endpoint"
        entry["pending"] = "a rerun of the same command retries this item"
    else:  # a bug: retrying loses nothing, and the traceback says where to look
        entry["kind"] = "episode"
        entry["pending"] = (
            "a rerun of the same command retries this item; if it fails the same way, "
            "the traceback points at a bug"
        )
        entry["traceback"] = traceback.format_exc(limit=-8)
    return entry
