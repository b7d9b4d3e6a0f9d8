"""Mistake injection: a wrapper that makes any policy err realistically, at a seeded rate.

Each decision of the wrapped policy may be replaced by a mistaken one: a wrong or a missing
argument, a redundant repeated call, a tool call where none is needed, a skipped verification, a
premature finish, or a hallucinated fact in a reply. Every mistake is labelled on its step
(``injected_mistake`` with the kind as grade, source ``generator``) so that graders can be measured
against it. With ``recover=True`` the wrapped policy sees the consequence and recovers (a scripted
expert re-makes the call it meant to make; calls that change the world are not botched then, as
making them again would not undo them); with ``recover=False`` the agent carries on as if nothing
happened and finishes, claiming success: a clean negative example.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal, get_args

import msgspec

from trajforge.agents.base import (
    CanSkipPending,
    Decision,
    HasSystemPrompt,
    KnowsOptimalSteps,
    Policy,
    call_id,
)
from trajforge.envs.base import derive_seed
from trajforge.schema import (
    Action,
    Finish,
    Label,
    LabelSource,
    Reply,
    Step,
    ToolCall,
    ToolResult,
    ToolSpec,
)

MistakeKind = Literal[
    "wrong_argument",
    "missing_argument",
    "redundant_call",
    "unnecessary_tool",
    "skipped_verification",
    "premature_finish",
    "hallucinated_fact",
]
MISTAKE_KINDS: tuple[MistakeKind, ...] = get_args(MistakeKind)
#: Relative weights: mistakes that end the episode are rarer than those an agent can recover from.
_WEIGHT: dict[str, float] = {
    "wrong_argument": 2.0,
    "missing_argument": 2.0,
    "redundant_call": 2.0,
    "unnecessary_tool": 2.0,
    "skipped_verification": 2.0,
    "premature_finish": 0.5,
    "hallucinated_fact": 1.0,
}
#: What a mistaken decision says, several ways each (picked by a hash of the seed and the step, so
#: the mistake stream is unchanged): no fixed sentence marks a mistake for a model trained on
#: the data (a reward model must not learn "Let me look around first." means a bad step).
_WORDING: dict[str, tuple[str, ...]] = {
    "redundant_call": (
        "Let me check that again.",
        "Checking {name} once more before going on.",
        "I'll look at {name} again to be sure.",
        "One more look at {name} to confirm.",
    ),
    "unnecessary_tool": (
        "Let me look around first.",
        "Let me get an overview with {name} first.",
        "I'll check {name} before going further.",
        "Some context from {name} first.",
    ),
    "premature_finish": (
        "Everything is done; is there anything else I can help with?",
        "That's all taken care of. Anything else?",
        "All set. Let me know if you need anything else.",
        "Done. Is there anything else I can do for you?",
    ),
    "finishing": (
        "Everything asked for is settled; summarising.",
        "That should be everything; wrapping up.",
        "Nothing left to do; finishing.",
        "All of it is handled; closing with a summary.",
    ),
    "derailed": (
        "I've taken care of everything you asked.",
        "All done: everything you asked for is handled.",
        "That's everything sorted out for you.",
        "Everything you asked for is done now.",
    ),
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LOOKUP = re.compile(r"^(get|list|find|search|read|describe|count|whoami)")


def _perturb(value: Any, rng: random.Random, enum: list[Any] | None) -> Any:
    if enum and len(enum) > 1:
        return rng.choice([v for v in enum if v != value])
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + rng.choice([1, 2, 10, -1])
    if isinstance(value, str) and value:
        digits = [i for i, ch in enumerate(value) if ch.isdigit()]
        if digits:
            i = rng.choice(digits)
            return value[:i] + str((int(value[i]) + rng.randint(1, 8)) % 10) + value[i + 1 :]
        return value[::-1] if len(value) > 1 else value + "x"
    if isinstance(value, list) and value:
        return value[:-1]
    return None


class MistakeInjector:
    """Wraps a policy; each decision becomes a mistake with probability ``rate``."""

    def __init__(
        self,
        inner: Policy,
        tools: list[ToolSpec],
        *,
        rate: float,
        seed: int,
        kinds: Sequence[MistakeKind] = MISTAKE_KINDS,
        recover: bool = True,
        read_only: frozenset[str] | None = None,
    ) -> None:
        self.inner = inner
        self.read_only = read_only
        self.tools = {t.name: t for t in tools}
        self.rate = rate
        self.kinds = list(kinds)
        self.recover = recover
        self.rng = random.Random(derive_seed("mistakes", seed))
        self._seed = seed
        self._derailed = False
        self._force_next = False
        self._makers: dict[str, Callable[[Decision, Sequence[Step]], Decision | None]] = {
            "wrong_argument": self._wrong_argument,
            "missing_argument": self._missing_argument,
            "redundant_call": self._redundant_call,
            "unnecessary_tool": self._unnecessary_tool,
            "skipped_verification": self._skipped_verification,
            "premature_finish": self._premature_finish,
            "hallucinated_fact": self._hallucinated_fact,
        }

    @property
    def name(self) -> str:
        """The wrapped policy's name plus the mistake rate."""
        return f"{self.inner.name}+mistakes{self.rate:g}"

    @property
    def optimal_steps(self) -> int | None:
        """The wrapped expert's optimal step count, if it has one."""
        inner = self.inner
        return inner.optimal_steps if isinstance(inner, KnowsOptimalSteps) else None

    @property
    def system_prompt(self) -> str | None:
        """The wrapped policy's system prompt, if it has one."""
        inner = self.inner
        return inner.system_prompt if isinstance(inner, HasSystemPrompt) else None

    def diverge(self, seed: int) -> None:
        """Branch here: the next decision is a mistake, then another mistake stream follows."""
        self._seed = derive_seed("mistakes-branch", seed)
        self.rng = random.Random(self._seed)
        self._force_next = True

    async def decide(self, steps: Sequence[Step]) -> Decision:
        """The wrapped policy's decision, or a mistake in its place."""
        if self._derailed:
            return _label(
                Decision(
                    actions=[Finish(content=self._say(steps, "derailed"))],
                    reasoning=self._say(steps, "finishing"),
                ),
                "premature_finish",
                "after an unnoticed mistake the agent claims success",
            )
        intended = await self.inner.decide(steps)
        force, self._force_next = self._force_next, False
        if not force and self.rng.random() >= self.rate:
            return intended
        # a weighted order without replacement: episode-ending mistakes are drawn less often
        order = sorted(self.kinds, key=lambda k: -math.log(1.0 - self.rng.random()) / _WEIGHT[k])
        for kind in order:
            mistaken = self._makers[kind](intended, steps)
            if mistaken is not None:
                self._derailed = not self.recover and kind not in ("premature_finish",)
                return mistaken
        return intended

    # -- the mistakes --------------------------------------------------------------------------

    def _say(self, steps: Sequence[Step], kind: str, **fields: str) -> str:
        """One of the ways to word a mistake of ``kind`` (the same for the same seed and step)."""
        ways = _WORDING[kind]
        return ways[derive_seed("wording", self._seed, len(steps), kind) % len(ways)].format(
            **fields
        )

    def _id(self, steps: Sequence[Step], kind: str) -> str:
        """A mistaken call's id: as opaque as the expert's, and never one the expert uses."""
        return call_id("mistake", self._seed, len(steps), kind)

    def _first_call(self, decision: Decision) -> tuple[int, ToolCall] | None:
        for i, action in enumerate(decision.actions):
            if isinstance(action, ToolCall):
                return i, action
        return None

    def _replace(
        self, decision: Decision, index: int, action: Action, kind: str, why: str
    ) -> Decision:
        actions = list(decision.actions)
        actions[index] = action
        mistaken = msgspec.structs.replace(decision, actions=actions)
        return _label(mistaken, kind, why, intended=decision.actions[index])

    def _harmless(self, name: str) -> bool:
        """Whether repeating or botching a call of ``name`` leaves the world unchanged."""
        return self.read_only is None or name in self.read_only

    def _is_lookup(self, name: str) -> bool:
        return name in self.read_only if self.read_only is not None else bool(_LOOKUP.match(name))

    def _wrong_argument(self, decision: Decision, steps: Sequence[Step]) -> Decision | None:
        found = self._first_call(decision)
        if found is None or not found[1].arguments:
            return None
        if self.recover and not self._harmless(found[1].name):
            return None  # a botched write cannot simply be made again
        index, call = found
        key = self.rng.choice(sorted(call.arguments))
        enum = _schema_of(self.tools.get(call.name), key).get("enum")
        new = _perturb(call.arguments[key], self.rng, enum)
        if new is None or new == call.arguments[key]:
            return None
        wrong = msgspec.structs.replace(
            call, id=self._id(steps, "wrong_argument"), arguments={**call.arguments, key: new}
        )
        return self._replace(decision, index, wrong, "wrong_argument", f"{key} changed to {new!r}")

    def _missing_argument(self, decision: Decision, steps: Sequence[Step]) -> Decision | None:
        found = self._first_call(decision)
        if found is None:
            return None
        index, call = found
        spec = self.tools.get(call.name)
        required = [k for k in _required(spec) if k in call.arguments]
        if not required:
            return None
        key = self.rng.choice(required)
        args = {k: v for k, v in call.arguments.items() if k != key}
        missing = msgspec.structs.replace(
            call, id=self._id(steps, "missing_argument"), arguments=args
        )
        return self._replace(decision, index, missing, "missing_argument", f"left out {key}")

    def _redundant_call(self, decision: Decision, steps: Sequence[Step]) -> Decision | None:
        previous = _last_ok_call(steps)
        if previous is None or not self._harmless(previous.name):
            return None
        # said as the expert says its calls: the same words as the step's reasoning
        said = self._say(steps, "redundant_call", name=previous.name)
        repeat = msgspec.structs.replace(
            previous, id=self._id(steps, "redundant_call"), rationale=said
        )
        why = f"repeats {previous.name} with the same arguments"
        return _label(
            Decision(actions=[repeat], reasoning=said, notes=decision.notes),
            "redundant_call",
            why,
            intended=decision.actions[0] if decision.actions else None,
        )

    def _unnecessary_tool(self, decision: Decision, steps: Sequence[Step]) -> Decision | None:
        used = {a.name for s in steps for a in s.actions if isinstance(a, ToolCall)}
        used |= {a.name for a in decision.actions if isinstance(a, ToolCall)}  # needed next
        candidates = [
            t.name
            for t in self.tools.values()
            if self._is_lookup(t.name) and not _required(t) and t.name not in used
        ]
        if not candidates:
            return None
        name = self.rng.choice(sorted(candidates))
        said = self._say(steps, "unnecessary_tool", name=name)
        call = ToolCall(
            id=self._id(steps, "unnecessary_tool"), name=name, arguments={}, rationale=said
        )
        return _label(
            Decision(actions=[call], reasoning=said, notes=decision.notes),
            "unnecessary_tool",
            f"{name} is not needed for this task",
            intended=decision.actions[0] if decision.actions else None,
        )

    def _skipped_verification(self, decision: Decision, steps: Sequence[Step]) -> Decision | None:
        found = self._first_call(decision)
        if found is None or not isinstance(self.inner, CanSkipPending):
            return None
        following = self.inner.skip_pending()
        if following is None:
            return None
        why = f"skipped {found[1].name} and went on as if it had succeeded"
        return _label(following, "skipped_verification", why, intended=found[1])

    def _premature_finish(self, decision: Decision, steps: Sequence[Step]) -> Decision | None:
        if not steps or any(isinstance(a, Finish) for a in decision.actions):
            return None
        finish = Finish(content=self._say(steps, "premature_finish"))
        return _label(
            Decision(
                actions=[finish], reasoning=self._say(steps, "finishing"), notes=decision.notes
            ),
            "premature_finish",
            "finished before the task was complete",
            intended=decision.actions[0] if decision.actions else None,
        )

    def _hallucinated_fact(self, decision: Decision, steps: Sequence[Step]) -> Decision | None:
        for i, action in enumerate(decision.actions):
            if isinstance(action, Reply | Finish) and _NUMBER.search(action.content):
                numbers = _NUMBER.findall(action.content)
                target = self.rng.choice(numbers)
                fake = str(int(float(target)) + self.rng.choice([3, 7, 11, 40]))
                content = action.content.replace(target, fake, 1)
                changed = msgspec.structs.replace(action, content=content)
                why = f"states {fake} where the observations support {target}"
                return self._replace(decision, i, changed, "hallucinated_fact", why)
        return None


def _label(decision: Decision, kind: str, why: str, intended: Action | None = None) -> Decision:
    details: dict[str, Any] = {"kind": kind}
    if intended is not None:
        details["intended"] = msgspec.to_builtins(intended)
    label = Label(
        name="injected_mistake",
        source=LabelSource(kind="generator", id="mistakes"),
        grade=kind,
        rationale=why,
        details=details,
    )
    return msgspec.structs.replace(decision, labels=[*decision.labels, label])


def _schema_of(spec: ToolSpec | None, key: str) -> dict[str, Any]:
    if spec is None or not spec.parameters:
        return {}
    prop = spec.parameters.get("properties", {}).get(key, {})
    return prop if isinstance(prop, dict) else {}


def _required(spec: ToolSpec | None) -> list[str]:
    if spec is None or not spec.parameters:
        return []
    required = spec.parameters.get("required", [])
    return [str(k) for k in required] if isinstance(required, list) else []


def _last_ok_call(steps: Sequence[Step]) -> ToolCall | None:
    for step in reversed(steps):
        faulted = {f.call_id for f in step.faults}  # re-querying doubtful data is no mistake
        ok = {
            o.call_id
            for o in step.observations
            if isinstance(o, ToolResult) and o.status == "ok" and o.call_id not in faulted
        }
        for action in step.actions:
            if isinstance(action, ToolCall) and action.id in ok:
                return action
    return None
