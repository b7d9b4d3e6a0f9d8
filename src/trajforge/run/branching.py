"""Episodes that fork: at chosen decision points the environment is snapshotted, and each branch
continues from a restored copy with a fast-forwarded policy and a different mistake or sample."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from trajforge.agents.base import CanDiverge, CanFastForward, Policy
from trajforge.envs.base import EnvironmentLike, Snapshot, derive_seed
from trajforge.errors import ConfigError
from trajforge.run.episode import Budget, EpisodeRecorder, drive, run_episode
from trajforge.schema import Step, Trajectory

EnvMaker = Callable[[], EnvironmentLike]
PolicyMaker = Callable[[EnvironmentLike], Policy]


async def fast_forward(policy: Policy, prefix: Sequence[Step]) -> None:
    """Bring a fresh policy to the state it had after ``prefix``.

    A policy with a ``fast_forward`` method does it itself (an LLM agent keeps no state beyond the
    history); otherwise its decisions are replayed on the prefix — scripted policies are
    deterministic, so they end where the original did.
    """
    if isinstance(policy, CanFastForward):
        await policy.fast_forward(prefix)
        return
    for k in range(len(prefix)):
        await policy.decide(prefix[:k])


def branch_id(parent: str, step: int, branch: int) -> str:
    """The id of branch ``branch`` forked at ``step`` of ``parent``."""
    return f"{parent}-k{step}-b{branch}"


class BranchingEpisode:
    """Runs an episode, snapshotting at ``branch_at`` steps, then ``branches`` forks at each."""

    def __init__(
        self,
        make_env: EnvMaker,
        make_policy: PolicyMaker,
        make_recorder: Callable[[EnvironmentLike, str], EpisodeRecorder],
        *,
        trajectory_id: str,
        seed: int,
        budget: Budget,
        branch_at: Sequence[int] = (),
        branches: int = 0,
    ) -> None:
        self.make_env = make_env
        self.make_policy = make_policy
        self.make_recorder = make_recorder
        self.trajectory_id = trajectory_id
        self.seed = seed
        self.budget = budget
        self.branch_at = sorted(set(branch_at)) if branches else []
        self.branches = branches

    async def run(self) -> list[Trajectory]:
        """The parent trajectory followed by its branches."""
        env = self.make_env()
        recorder = self.make_recorder(env, self.trajectory_id)
        policy = self.make_policy(env)
        snapshots: dict[int, tuple[Snapshot, list[Step]]] = {}
        for k in self.branch_at:
            await drive(recorder, policy, _until(self.budget, k))
            if recorder.done or len(recorder.steps) < k:
                break
            snapshots[k] = (env.snapshot(), list(recorder.steps))
        parent = await run_episode(recorder, policy, self.budget)
        results = [parent]
        for k, (snapshot, prefix) in snapshots.items():
            for b in range(1, self.branches + 1):
                results.append(await self._branch(parent, k, b, snapshot, prefix))
        return results

    async def _branch(
        self, parent: Trajectory, k: int, b: int, snapshot: Snapshot, prefix: list[Step]
    ) -> Trajectory:
        env = self.make_env()
        recorder = self.make_recorder(env, branch_id(parent.id, k, b))
        env.restore(snapshot)
        recorder.steps = list(prefix)
        policy = self.make_policy(env)
        await fast_forward(policy, prefix)
        if not isinstance(policy, CanDiverge):
            raise ConfigError(
                f"policy {policy.name!r} cannot branch: it has no diverge(seed) method",
                hint="implement trajforge.agents.base.CanDiverge (take another route from here)",
            )
        policy.diverge(derive_seed(self.seed, "branch", k, b))
        trajectory = await run_episode(recorder, policy, self.budget)
        provenance = trajectory.provenance
        provenance.parent_id = parent.id
        provenance.branch_step = k
        return trajectory


def _until(budget: Budget, steps: int) -> Budget:
    return msgspec.structs.replace(budget, max_steps=min(steps, budget.max_steps))
