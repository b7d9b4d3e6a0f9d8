"""The Environment protocol and the base class every built-in environment derives from.

An environment holds a state, offers tools (``@tool`` methods), generates seeded tasks with goal
checks, and knows its policy rules. Same task + seed + actions give identical observations and state
digests, so episodes replay, and ``snapshot()``/``restore()`` fork an episode at any step.
"""

from __future__ import annotations

import hashlib
import random
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any, ClassVar, Literal, Protocol

import msgspec

from trajforge.envs.tools import ToolDef, ToolError, collect_tools
from trajforge.envs.world_cache import clear_world_caches
from trajforge.schema import (
    CheckResult,
    Outcome,
    Task,
    TextAction,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
)
from trajforge.schema.records import FaultRecord, UserMessage

RuleKind = Literal["forbidden", "needs_confirmation", "needs_approval"]


class PolicyRule(msgspec.Struct, frozen=True):
    """A rule of the domain: an action that is forbidden, or needs the user's or a human's yes."""

    name: str
    kind: RuleKind
    description: str


class Violation(msgspec.Struct, frozen=True):
    """A policy rule broken at a step (and action) of a trajectory."""

    rule: str
    step: int
    action: int | None
    detail: str


class Snapshot(msgspec.Struct, frozen=True):
    """An opaque, restorable copy of an environment's state (and of any wrapper's)."""

    state: bytes
    extra: dict[str, Any] = {}


def stable_digest(value: Any) -> str:
    """A short, stable hash of a JSON-able value (dict keys sorted)."""
    data = msgspec.json.encode(value, order="deterministic")
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _improved(scores: list[float], start: list[float]) -> bool:
    return any(now > before for now, before in zip(scores, start, strict=True))


def derive_seed(*parts: object) -> int:
    """A 63-bit seed derived deterministically from any parts (no use of ``hash()``)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") >> 1


def render_content(value: Any) -> str:
    """Render a tool's return value as observation text (JSON unless it is already a string)."""
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


def check_score(check: CheckResult) -> float:
    """A check's score: its own, else 1 or 0 by whether it passed."""
    return check.score if check.score is not None else float(check.passed)


def outcome_from_checks(
    checks: list[CheckResult], digest: str | None, start: list[float] | None = None
) -> Outcome:
    """Grade checks into an Outcome: score is the mean check score (partial credit).

    ``start`` holds the checks' scores on the task's initial state, when known. Checks that held
    from the start ("nothing else changed", a service that was never down) are no progress: if
    no check improved on its start, the score is 0 (an idle episode is a failure, not partial).
    """
    if not checks:
        return Outcome(status="unknown", final_state_digest=digest)
    scores = [check_score(c) for c in checks]
    score = sum(scores) / len(scores)
    passed = all(c.passed for c in checks)
    if (
        not passed
        and start is not None
        and len(start) == len(scores)
        and not _improved(scores, start)
    ):
        score = 0.0
    status: Literal["success", "partial", "failure"]
    status = "success" if passed else "failure" if score == 0 else "partial"
    return Outcome(status=status, score=score, checks=checks, final_state_digest=digest)


class EnvironmentLike(Protocol):
    """What the episode loop needs from an environment (a built-in one or a wrapper)."""

    @property
    def name(self) -> str: ...

    def tool_specs(self) -> list[ToolSpec]: ...
    def reset(self, task: Task, seed: int | None = None) -> UserMessage: ...
    def execute(self, call: ToolCall) -> ToolResult: ...
    def observe_action(self, action: TextAction) -> None: ...
    def drain_faults(self) -> list[FaultRecord]: ...
    def state(self) -> Any: ...
    def digest(self) -> str: ...
    def snapshot(self) -> Snapshot: ...
    def restore(self, snapshot: Snapshot) -> None: ...
    def check(self, task: Task) -> Outcome: ...
    def find_violations(self, trajectory: Trajectory) -> list[Violation]: ...


class Environment(ABC):
    """Base of the built-in environments.

    A subclass sets the class attributes, keeps its whole state in ``self._state`` (a msgspec
    Struct of type ``state_type``), implements ``build_state``, ``generate_task``,
    ``goal_checks`` and ``find_violations``, and defines tools as ``@tool`` methods.
    """

    name: ClassVar[str]
    #: bumped whenever the same task and actions could give another observation or outcome, so
    #: that replaying older data says so (``environment_version_mismatch``)
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    difficulty_levels: ClassVar[dict[int, str]] = {}
    policy_rules: ClassVar[tuple[PolicyRule, ...]] = ()
    hidden_info_keys: ClassVar[dict[str, str]] = {}
    state_type: ClassVar[type[Any]]
    tools: ClassVar[dict[str, ToolDef]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tools = collect_tools(cls)

    def __init__(self) -> None:
        self._state: Any = None
        self.task: Task | None = None
        self.seed: int = 0

    # -- tasks ---------------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def generate_task(cls, seed: int, difficulty: int) -> Task:
        """A task (instruction, parameters, goal checks, hidden info) for a seed and difficulty."""

    @classmethod
    def sample_tasks(cls, n: int, seed: int, difficulty: int | None = None) -> list[Task]:
        """``n`` tasks derived from ``seed``; difficulties cycle through the levels if not given."""
        levels = sorted(cls.difficulty_levels) or [1]
        rng = random.Random(seed)
        tasks = []
        for i in range(n):
            level = difficulty if difficulty is not None else levels[i % len(levels)]
            tasks.append(cls.generate_task(rng.getrandbits(48), level))
        return tasks

    # -- episode -------------------------------------------------------------------------------

    @abstractmethod
    def build_state(self, task: Task) -> Any:
        """The initial state for a task: a pure function of the task."""

    def tool_specs(self) -> list[ToolSpec]:
        """The tools the agent is offered, as ToolSpecs with JSON Schemas."""
        return [t.spec for t in self.tools.values()]

    def reset(self, task: Task, seed: int | None = None) -> UserMessage:
        """Start an episode of ``task``; returns the first observation (the user's request)."""
        self.task = task
        self.seed = (task.seed or 0) if seed is None else seed
        self._state = self.build_state(task)
        return UserMessage(content=task.instruction or "")

    def execute(self, call: ToolCall) -> ToolResult:
        """Run one tool call: validate arguments, run the tool, wrap the result or the error."""
        tool_def = self.tools.get(call.name)
        if tool_def is None:
            known = ", ".join(self.tools)
            return self._error(
                call, f"unknown tool {call.name!r}; available: {known}", "unknown_tool"
            )
        if call.raw_arguments is not None and not call.arguments:
            return self._error(call, "arguments are not a valid JSON object", "invalid_arguments")
        try:
            arguments = tool_def.parse_arguments(call.arguments)
            value = tool_def.func(self, **arguments)
        except ToolError as exc:
            return self._error(call, str(exc), exc.kind)
        return ToolResult(call_id=call.id, name=call.name, content=render_content(value))

    @staticmethod
    def _error(call: ToolCall, message: str, kind: str) -> ToolResult:
        content = render_content({"error": message, "code": kind})
        return ToolResult(
            call_id=call.id, name=call.name, content=content, status="error", error_kind=kind
        )

    def observe_action(self, action: TextAction) -> None:  # noqa: B027 - an optional hook
        """See an action that is not a tool call (a hand-off, say); most environments ignore it."""

    def drain_faults(self) -> list[FaultRecord]:
        """Faults injected since the last call (none: only fault wrappers inject)."""
        return []

    # -- state ---------------------------------------------------------------------------------

    def state(self) -> Any:
        """A JSON-able snapshot of the state."""
        return msgspec.to_builtins(self._state)

    def digest(self) -> str:
        """A stable digest of the state."""
        return stable_digest(self._state)

    def snapshot(self) -> Snapshot:
        """A restorable copy of the state."""
        return Snapshot(state=msgspec.msgpack.encode(self._state))

    def restore(self, snapshot: Snapshot) -> None:
        """Go back to a snapshot taken earlier in this episode."""
        self._state = msgspec.msgpack.decode(snapshot.state, type=self.state_type)

    # -- judging -------------------------------------------------------------------------------

    @abstractmethod
    def goal_checks(self, task: Task) -> list[CheckResult]:
        """Evaluate each goal check of ``task`` on the current state."""

    def check(self, task: Task) -> Outcome:
        """Goal-check results and a partial-credit score in [0, 1] (see ``outcome_from_checks``:
        checks that already held on the task's initial state earn nothing on their own)."""
        return outcome_from_checks(self.goal_checks(task), self.digest(), self.start_scores(task))

    def start_scores(self, task: Task) -> list[float]:
        """The goal checks' scores on the task's initial state (computed once per task)."""
        return list(_start_scores(type(self), msgspec.json.encode(task)))

    @abstractmethod
    def find_violations(self, trajectory: Trajectory) -> list[Violation]:
        """Policy violations visible in a trajectory of this environment."""


@lru_cache(maxsize=1024)
def _start_scores(cls: type[Environment], task_json: bytes) -> tuple[float, ...]:
    """``Environment.start_scores``, by class and task JSON."""
    task = msgspec.json.decode(task_json, type=Task)
    fresh = cls()
    fresh.reset(task)
    return tuple(check_score(c) for c in fresh.goal_checks(task))


def clear_task_caches() -> None:
    """Forget every task's world and start scores (benchmarks time cold starts with it)."""
    clear_world_caches()
    _start_scores.cache_clear()
