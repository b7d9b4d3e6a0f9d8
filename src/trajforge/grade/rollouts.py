"""Continuations of a recorded trajectory: restore its environment after step k, let a policy go on.

:func:`replay_prefixes` replays the recorded actions in a fresh environment (same task, seed and
fault profile, as replay verification does) and snapshots the state after every step.
:class:`Continuations` restores the snapshot after step k, brings a fresh policy to step k
(``run.branching.fast_forward`` on the recorded steps 0..k) and runs the episode on to its end
with a scripted user; the result is the continuation's outcome.

The policy is a :class:`RolloutPolicy`: the environment's scripted expert (``maker=None``) or any
policy maker (an LLM agent factory, say), optionally wrapped in mistake injection *after* the
fast-forward, seeded per continuation, so that continuations differ while the prefix stays the
recorded one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trajforge import __version__
from trajforge.agents.base import Policy
from trajforge.agents.mistakes import MistakeInjector
from trajforge.agents.registry import PolicyMaker, expert_for, find_expert
from trajforge.agents.users import ScriptedUser
from trajforge.envs.base import Environment, EnvironmentLike, Snapshot
from trajforge.envs.factory import make_environment
from trajforge.envs.faults import PROFILES
from trajforge.envs.registry import ENVIRONMENTS, get_environment
from trajforge.errors import ConfigError
from trajforge.run.branching import fast_forward
from trajforge.run.episode import Budget, EpisodeRecorder, drive
from trajforge.schema import Finish, HandOff, Outcome, Step, ToolCall, ToolSpec, Trajectory
from trajforge.verify.replay import replay_seed


@dataclass(frozen=True)
class RolloutPolicy:
    """Who plays the continuations.

    ``maker=None`` is the environment's scripted expert (``agents.registry.expert_for``); otherwise
    ``maker(task, tools, seed)`` makes the policy (seeded per continuation). ``mistakes`` > 0 wraps
    it in a ``MistakeInjector`` at that rate (``recover`` as in generation). ``name`` and
    ``version`` go on the labels; a maker's own ``name`` attribute is used when ``name`` is None.
    The object travels to worker processes, so a maker must pickle.
    """

    maker: PolicyMaker | None = None
    mistakes: float = 0.1
    recover: bool = True
    name: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.mistakes <= 1.0:
            raise ConfigError(f"mistakes must be in [0, 1], not {self.mistakes:g}")

    @property
    def label_id(self) -> str:
        """The policy's name as recorded on labels (``expert+mistakes0.1``, ``llm:model``)."""
        base = self.name or str(getattr(self.maker, "name", None) or "")
        if not base:
            base = "expert" if self.maker is None else "policy"
        return f"{base}+mistakes{self.mistakes:g}" if self.mistakes > 0 else base

    @property
    def label_version(self) -> str | None:
        """The version recorded on labels: the package's for the built-in experts."""
        if self.version is not None:
            return self.version
        return __version__ if self.maker is None else None


@dataclass(frozen=True)
class Prefixes:
    """A trajectory replayed: the state after each step, for steps that end the episode (a
    finish or a hand-off) the outcome there, and the first step whose replayed state digest
    differs from the recorded one (None: none does, or none was recorded)."""

    env_cls: type[Environment]
    profile: str
    seed: int | None
    snapshots: list[Snapshot]
    terminal: dict[int, Outcome]
    diverged_at: int | None = None


def unsupported(trajectory: Trajectory, policy: RolloutPolicy) -> str | None:
    """Why continuations cannot be rolled out for ``trajectory`` (None: they can)."""
    name = trajectory.task.environment
    if name not in ENVIRONMENTS:
        return f"environment {name!r} is not registered"
    profile = trajectory.provenance.fault_profile or "none"
    if profile not in PROFILES:
        return f"fault profile {profile!r} is not a built-in profile: its faults cannot be replayed"
    if policy.maker is None and find_expert(name or "") is None:
        return f"no scripted expert for environment {name!r}"
    if not trajectory.steps:
        return "the trajectory has no steps"
    return None


def _fresh(cls: type[Environment], profile: str) -> EnvironmentLike:
    return make_environment(cls, profile)


def _ends_episode(step: Step) -> bool:
    return any(isinstance(a, Finish | HandOff) for a in step.actions)


def replay_prefixes(trajectory: Trajectory) -> Prefixes:
    """Replay the recorded actions once, snapshotting after each step (see the module docstring).

    The trajectory must be supported (:func:`unsupported` returns None).
    """
    cls = get_environment(trajectory.task.environment or "")
    profile = trajectory.provenance.fault_profile or "none"
    seed = replay_seed(trajectory)
    env = _fresh(cls, profile)
    env.reset(trajectory.task, seed)
    snapshots: list[Snapshot] = []
    terminal: dict[int, Outcome] = {}
    diverged_at: int | None = None
    for k, step in enumerate(trajectory.steps):
        for action in step.actions:
            if type(action) is ToolCall:
                env.execute(action)
            else:
                env.observe_action(action)  # type: ignore[arg-type]  # a text action
        env.drain_faults()
        recorded = step.env_state_digest
        if diverged_at is None and recorded is not None and recorded != env.digest():
            diverged_at = k
        snapshots.append(env.snapshot())
        if _ends_episode(step):
            terminal[k] = env.check(trajectory.task)
            break
    return Prefixes(cls, profile, seed, snapshots, terminal, diverged_at)


async def _policy(
    policy: RolloutPolicy,
    trajectory: Trajectory,
    prefixes: Prefixes,
    tools: list[ToolSpec],
    prefix: Sequence[Step],
    seed: int,
) -> Policy:
    task = trajectory.task
    base: Policy
    if policy.maker is None:
        # the expert that recorded the prefix was seeded with the episode's seed
        base = expert_for(task.environment or "")(task, tools, prefixes.seed or 0)
    else:
        base = policy.maker(task, tools, seed)
    await fast_forward(base, prefix)
    if policy.mistakes <= 0:
        return base
    read_only = frozenset(name for name, t in prefixes.env_cls.tools.items() if t.read_only)
    return MistakeInjector(
        base,
        tools,
        rate=policy.mistakes,
        seed=seed,
        recover=policy.recover,
        read_only=read_only,
    )


@dataclass(frozen=True)
class Continuation:
    """How one continuation ended."""

    seed: int
    outcome: Outcome
    steps: int
    budget_exceeded: bool


class Continuations:
    """Runs continuations of one replayed trajectory.

    Environments are reused: each continuation restores a snapshot into an idle environment of
    this object (one per continuation in flight) instead of building and resetting a new one.
    """

    def __init__(
        self,
        trajectory: Trajectory,
        prefixes: Prefixes,
        policy: RolloutPolicy,
        *,
        max_steps: int = 50,
    ) -> None:
        self.trajectory = trajectory
        self.prefixes = prefixes
        self.policy = policy
        self.max_steps = max_steps
        self._idle: list[EpisodeRecorder] = []

    def _recorder(self) -> EpisodeRecorder:
        if self._idle:
            return self._idle.pop()
        prefixes = self.prefixes
        return EpisodeRecorder(
            _fresh(prefixes.env_cls, prefixes.profile),
            self.trajectory.task,
            trajectory_id=f"{self.trajectory.id}-rollout",
            seed=prefixes.seed,
            fault_profile=prefixes.profile,
        )

    async def run(self, k: int, seed: int) -> Continuation:
        """One continuation after step ``k`` with ``seed``, at most ``max_steps`` steps long."""
        trajectory, prefixes = self.trajectory, self.prefixes
        prefix = trajectory.steps[: k + 1]
        recorder = self._recorder()
        env = recorder.env
        env.restore(prefixes.snapshots[k])
        recorder.steps = list(prefix)
        recorder.done = False
        recorder.labels = []
        recorder.user = ScriptedUser(trajectory.task, prefixes.env_cls.hidden_info_keys)
        agent = await _policy(self.policy, trajectory, prefixes, env.tool_specs(), prefix, seed)
        budget = Budget(max_steps=len(prefix) + self.max_steps)
        exceeded = await drive(recorder, agent, budget)
        result = Continuation(
            seed=seed,
            outcome=env.check(trajectory.task),
            steps=len(recorder.steps) - len(prefix),
            budget_exceeded=exceeded is not None,
        )
        self._idle.append(recorder)
        return result
