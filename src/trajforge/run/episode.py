"""The episode loop: the agent decides, the environment and the user answer; every step recorded."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import msgspec

from trajforge.agents.base import (
    Decision,
    HasSystemPrompt,
    KnowsOptimalSteps,
    Policy,
    PolicyFactory,
)
from trajforge.agents.users import ScriptedUser
from trajforge.envs.approval import Gate
from trajforge.envs.base import Environment, EnvironmentLike
from trajforge.envs.factory import make_environment
from trajforge.envs.faults import FaultProfile
from trajforge.schema import (
    Action,
    ClarifyingQuestion,
    Finish,
    Generator,
    HandOff,
    Label,
    LabelSource,
    Metrics,
    Observation,
    Provenance,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    UserMessage,
)
from trajforge.schema.records import ProvenanceSource


class User(Protocol):
    """Whoever answers the agent's questions and replies (a person or a simulator)."""

    async def respond(self, message: str, *, question: bool) -> str | None:
        """The user's answer to a message from the agent, or None for no answer."""
        ...


class Budget(msgspec.Struct, frozen=True, kw_only=True):
    """Limits per episode; an episode that reaches one ends with a ``budget_exceeded`` label."""

    max_steps: int = 50
    max_tokens: int | None = None
    max_seconds: float | None = None


class EpisodeRecorder:
    """Runs an agent's decisions against an environment and records every step.

    Tool calls go to the environment (faults it injected are recorded on the step); other actions
    are shown to the environment (a hand-off is part of the outcome) and questions or replies go
    to the user. A hand-off or a finish ends the episode.
    """

    def __init__(
        self,
        env: EnvironmentLike,
        task: Task,
        *,
        trajectory_id: str,
        user: User | None = None,
        seed: int | None = None,
        source: ProvenanceSource = "synthetic",
        generator: Generator | None = None,
        fault_profile: str | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.env = env
        self.gate = gate
        self.task = task
        self.user = user
        self.steps: list[Step] = []
        self.done = False
        self.labels: list[Label] = []
        self.first_observation = env.reset(task, seed)
        self._id = trajectory_id
        self._provenance = Provenance(
            source=source, generator=generator, fault_profile=fault_profile
        )

    async def act(self, decision: Decision) -> list[Observation]:
        """Take one step; returns what came back. With a gate, a call that needs a human's
        approval waits for the decision, recorded as a label of the step."""
        observations: list[Observation] = []
        actions, labels = list(decision.actions), list(decision.labels)
        for j, action in enumerate(actions):
            if isinstance(action, ToolCall):
                observations.append(await self._call(actions, j, labels))
                continue
            self.env.observe_action(action)
            if isinstance(action, HandOff | Finish):
                self.done = True
            elif self.user is not None:
                asked = isinstance(action, ClarifyingQuestion) or action.content.rstrip().endswith(
                    "?"
                )
                answer = await self.user.respond(action.content, question=asked)
                if answer is not None:
                    observations.append(UserMessage(content=answer))
        self.steps.append(
            Step(
                reasoning=decision.reasoning,
                plan=decision.plan,
                actions=actions,
                observations=observations,
                state_notes=decision.notes,
                env_state_digest=self.env.digest(),
                faults=self.env.drain_faults(),
                labels=labels,
                usage=decision.usage,
            )
        )
        return observations

    async def _call(self, actions: list[Action], j: int, labels: list[Label]) -> ToolResult:
        """Run the call ``actions[j]``, once the gate (if any) let it through."""
        call = actions[j]
        assert isinstance(call, ToolCall)
        if self.gate is not None:
            episode = (self._id, self.task, self.steps)
            gated = await self.gate.review(self.env, episode, actions[: j + 1])
            if gated is not None:
                actions[j] = call = gated.call
                labels.append(gated.label)
                if gated.denied is not None:
                    return gated.denied
        return self.env.execute(call)

    def tokens(self) -> tuple[int, int]:
        """Prompt and completion tokens used so far."""
        usages = [s.usage for s in self.steps if s.usage is not None]
        return (
            sum(u.prompt_tokens or 0 for u in usages),
            sum(u.completion_tokens or 0 for u in usages),
        )

    def trajectory(
        self, *, optimal_steps: int | None = None, system_prompt: str | None = None
    ) -> Trajectory:
        """The episode so far as a Trajectory, graded by the environment's goal checks."""
        prompt, completion = self.tokens()
        return Trajectory(
            id=self._id,
            task=self.task,
            tools=self.env.tool_specs(),
            system_prompt=system_prompt,
            steps=list(self.steps),
            outcome=self.env.check(self.task),
            labels=list(self.labels),
            provenance=self._provenance,
            metrics=Metrics(
                prompt_tokens=prompt or None,
                completion_tokens=completion or None,
                optimal_steps=optimal_steps,
            ),
        )


def _over_budget(recorder: EpisodeRecorder, budget: Budget, started: float) -> str | None:
    if len(recorder.steps) >= budget.max_steps:
        return f"max_steps={budget.max_steps}"
    if budget.max_tokens is not None and sum(recorder.tokens()) >= budget.max_tokens:
        return f"max_tokens={budget.max_tokens}"
    if budget.max_seconds is not None and time.monotonic() - started >= budget.max_seconds:
        return f"max_seconds={budget.max_seconds}"
    return None


async def drive(recorder: EpisodeRecorder, policy: Policy, budget: Budget) -> str | None:
    """Let ``policy`` act until it finishes or hands off (None), or a budget runs out (which)."""
    started = time.monotonic()
    while not recorder.done:
        exceeded = _over_budget(recorder, budget, started)
        if exceeded is not None:
            return exceeded
        await recorder.act(await policy.decide(recorder.steps))
    return None


async def run_episode(recorder: EpisodeRecorder, policy: Policy, budget: Budget) -> Trajectory:
    """Run the episode to its end and return the trajectory (labelled if a budget ran out)."""
    exceeded = await drive(recorder, policy, budget)
    if exceeded is not None:
        recorder.labels.append(
            Label(
                name="budget_exceeded",
                source=LabelSource(kind="generator", id="runner"),
                grade="failure",
                rationale=f"the episode reached {exceeded} before finishing",
            )
        )
    return recorder.trajectory(
        optimal_steps=policy.optimal_steps if isinstance(policy, KnowsOptimalSteps) else None,
        system_prompt=policy.system_prompt if isinstance(policy, HasSystemPrompt) else None,
    )


def generate_episode(
    cls: type[Environment],
    policy_factory: PolicyFactory,
    task: Task,
    *,
    trajectory_id: str,
    seed: int = 0,
    faults: str | FaultProfile = "none",
    budget: Budget | None = None,
    policy_name: str = "expert",
) -> Trajectory:
    """One complete episode of ``task``: environment, scripted user, policy, recording."""
    env = make_environment(cls, faults)
    profile = faults if isinstance(faults, str) else faults.name
    recorder = EpisodeRecorder(
        env,
        task,
        trajectory_id=trajectory_id,
        user=ScriptedUser(task, cls.hidden_info_keys),
        seed=seed,
        generator=Generator(policy=policy_name, seed=seed),
        fault_profile=profile,
    )
    policy = policy_factory(task, env.tool_specs(), seed)
    return asyncio.run(run_episode(recorder, policy, budget or Budget()))
