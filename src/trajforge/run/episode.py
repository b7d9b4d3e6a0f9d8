"""Recording an episode: execute the agent's actions, collect observations, build the Trajectory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from trajforge.envs.base import EnvironmentLike
from trajforge.schema import (
    Action,
    ClarifyingQuestion,
    Finish,
    Generator,
    HandOff,
    Metrics,
    Observation,
    Plan,
    Provenance,
    Reply,
    StateNotes,
    Step,
    Task,
    ToolCall,
    Trajectory,
    Usage,
    UserMessage,
)
from trajforge.schema.records import ProvenanceSource


class User(Protocol):
    """Whoever answers the agent's questions and replies (a person or a simulator)."""

    def respond(self, message: str, *, question: bool) -> str | None:
        """The user's answer to a message from the agent, or None for no answer."""
        ...


class EpisodeRecorder:
    """Runs an agent's actions against an environment and records every step.

    Tool calls go to the environment (faults it injected are recorded on the step), clarifying
    questions and replies that ask something go to the user; hand-off and finish end the episode.
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
    ) -> None:
        self.env = env
        self.task = task
        self.user = user
        self.steps: list[Step] = []
        self.done = False
        self.first_observation = env.reset(task, seed)
        self._id = trajectory_id
        self._provenance = Provenance(
            source=source, generator=generator, fault_profile=fault_profile
        )

    def act(
        self,
        actions: Sequence[Action],
        *,
        reasoning: str | None = None,
        plan: Plan | None = None,
        notes: StateNotes | None = None,
        usage: Usage | None = None,
    ) -> list[Observation]:
        """Take one step; returns what came back."""
        observations: list[Observation] = []
        for action in actions:
            if isinstance(action, ToolCall):
                observations.append(self.env.execute(action))
            elif isinstance(action, HandOff | Finish):
                self.done = True
            elif isinstance(action, ClarifyingQuestion | Reply) and self.user is not None:
                asked = isinstance(action, ClarifyingQuestion) or action.content.rstrip().endswith(
                    "?"
                )
                answer = self.user.respond(action.content, question=asked)
                if answer is not None:
                    observations.append(UserMessage(content=answer))
        self.steps.append(
            Step(
                reasoning=reasoning,
                plan=plan,
                actions=list(actions),
                observations=observations,
                state_notes=notes,
                env_state_digest=self.env.digest(),
                faults=self.env.drain_faults(),
                usage=usage,
            )
        )
        return observations

    def trajectory(self) -> Trajectory:
        """The episode so far as a Trajectory, graded by the environment's goal checks."""
        prompt = sum((s.usage.prompt_tokens or 0) for s in self.steps if s.usage)
        completion = sum((s.usage.completion_tokens or 0) for s in self.steps if s.usage)
        return Trajectory(
            id=self._id,
            task=self.task,
            tools=self.env.tool_specs(),
            steps=list(self.steps),
            outcome=self.env.check(self.task),
            provenance=self._provenance,
            metrics=Metrics(prompt_tokens=prompt or None, completion_tokens=completion or None),
        )
