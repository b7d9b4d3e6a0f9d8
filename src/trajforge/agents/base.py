"""What every agent (policy) gives the episode loop: a Decision per step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import msgspec

from trajforge.envs.base import stable_digest
from trajforge.schema import Action, Label, Plan, StateNotes, Step, Task, ToolSpec, Usage


def call_id(*parts: object) -> str:
    """An opaque, deterministic tool-call id made from ``parts`` (who made the call, the seed, a
    counter), shaped like an OpenAI call id: ``call_`` and 24 hex digits.

    Every scripted call id looks alike, so nothing in an id tells a mistaken call (or a retry)
    from the expert's own: a model trained on the data cannot learn a shortcut from ids.
    """
    return "call_" + stable_digest(parts)


class Decision(msgspec.Struct, kw_only=True):
    """One step's worth of agent output: actions plus the reasoning that led to them.

    ``labels`` carries what the generator knows about the step (an injected mistake, a malformed
    model output), so that graders can later be measured against it.
    """

    actions: list[Action]
    reasoning: str | None = None
    plan: Plan | None = None
    notes: StateNotes | None = None
    usage: Usage | None = None
    labels: list[Label] = []


class Policy(Protocol):
    """An agent for one episode. Created fresh per episode by a PolicyFactory."""

    @property
    def name(self) -> str:
        """A short name recorded in provenance (``expert``, ``llm:model``...)."""
        ...

    async def decide(self, steps: Sequence[Step]) -> Decision:
        """The next decision, given every step so far (observations included)."""
        ...


class PolicyFactory(Protocol):
    """Makes the policy for one episode of a task."""

    def __call__(self, task: Task, tools: list[ToolSpec], seed: int) -> Policy:
        """A fresh policy for ``task``, offered ``tools``, seeded with ``seed``."""
        ...


# Optional hooks a policy may declare; the runner checks for them with isinstance.


@runtime_checkable
class HasSystemPrompt(Protocol):
    """A policy that was given a system prompt (recorded on the trajectory)."""

    @property
    def system_prompt(self) -> str | None:
        """The system prompt, None if it has none."""
        ...


@runtime_checkable
class KnowsOptimalSteps(Protocol):
    """A policy that knows the fewest steps its task takes (recorded as a metric)."""

    @property
    def optimal_steps(self) -> int | None:
        """The optimal step count so far, None if unknown."""
        ...


@runtime_checkable
class CanFastForward(Protocol):
    """A policy that brings itself to the state it had after a prefix of steps (branching)."""

    async def fast_forward(self, prefix: Sequence[Step]) -> None:
        """Catch up with ``prefix`` without deciding anything."""
        ...


@runtime_checkable
class CanDiverge(Protocol):
    """A policy that can take another route from here on (branching needs it)."""

    def diverge(self, seed: int) -> None:
        """Decide differently from now on, drawing from ``seed``."""
        ...


@runtime_checkable
class CanSkipPending(Protocol):
    """A policy that can act as if its pending call had succeeded (a skipped-verification
    mistake)."""

    def skip_pending(self) -> Decision | None:
        """The decision after skipping the pending call, None if there is none."""
        ...
