"""What every rule grader reads: a trajectory's calls paired with their results, and state facts.

A ``RuleContext`` is built once per trajectory and shared by the rules. It never exposes the
generator's own labels (``injected_mistake`` and the like): graders are measured against those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import accumulate
from typing import Any, TypeVar

import msgspec

from trajforge.cached_attribute import cached
from trajforge.envs.base import Environment
from trajforge.envs.pairing import results_by_action
from trajforge.grade.rules.expected import Expectation
from trajforge.grade.rules.search import Corpus
from trajforge.schema import (
    ClarifyingQuestion,
    Finish,
    HandOff,
    Reply,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)

T = TypeVar("T")
#: Error kinds of faults the environment injected (the agent's arguments were fine).
FAULT_ERRORS = frozenset({"timeout", "server_error", "rate_limit", "permanent", "truncated"})
#: Fault records that make an ``ok`` result unreliable, so that asking again is sensible.
UNRELIABLE = frozenset({"stale", "empty", "partial"})
#: Result statuses of calls that were carried out (a cut-off reply came after the work).
_MADE = frozenset({"ok", "partial"})
#: Without an environment: tool names that read and do not change the world.
_LOOKUP_NAME = re.compile(
    r"^(get|list|find|search|read|describe|count|whoami|check|show|lookup|query|fetch|view|run_health)"
)


class CallView:
    """One tool call of the trajectory with its result (``None`` when none came back), and its
    place among the trajectory's calls (``n``)."""

    def __init__(self, step: int, index: int, call: ToolCall, result: ToolResult | None, n: int):
        self.step = step
        self.index = index
        self.call = call
        self.result = result
        self.n = n
        #: The result's status (``missing`` when no result came back).
        self.status = result.status if result is not None else "missing"
        #: Whether the call succeeded with a complete result.
        self.ok = self.status == "ok"
        #: Whether the call came back as an error or a time-out.
        self.failed = self.status in ("error", "timeout")
        #: The call's identity: tool name plus canonical arguments.
        self.key = call.name + msgspec.json.encode(call.arguments, order="deterministic").decode()

    @cached
    def arguments_json(self) -> str:
        """The call's arguments as JSON, in their own order."""
        return msgspec.json.encode(self.call.arguments).decode()

    @cached
    def values(self) -> list[str | int | float]:
        """The strings and numbers in the call's arguments (``scalars``)."""
        return scalars(self.call.arguments)

    @cached
    def body(self) -> Any:
        """The result's content read as JSON (``None`` without a result or when not JSON)."""
        return decode_json(self.result.content) if self.result is not None else None

    @property
    def error_kind(self) -> str | None:
        """The result's error kind, if it failed."""
        return self.result.error_kind if self.result is not None else None

    @property
    def target(self) -> str:
        """The field path of this call."""
        return f"steps[{self.step}].actions[{self.index}]"


def decode_json(text: str) -> Any:
    """A JSON value from text, or ``None`` when the text is not JSON."""
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return None


def scalars(value: Any) -> list[str | int | float]:
    """Every string and number in a JSON value, depth first (booleans and nulls left out)."""
    out: list[str | int | float] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            out.append(item)
    return out


def related(failed: CallView, later: CallView) -> bool:
    """Whether a later call deals with a failed one: the same tool, or the same objects (one of
    the failed call's argument values appears in its arguments or its result)."""
    if later.call.name == failed.call.name:
        return True
    text = later.arguments_json.lower()
    if later.result is not None:
        text += later.result.content.lower()
    return any(len(str(v)) >= 3 and str(v).lower() in text for v in failed.values)


class RuleContext:
    """A trajectory seen the way rules need it; ``env`` adds the environment's knowledge."""

    def __init__(self, trajectory: Trajectory, env: Environment | None = None) -> None:
        self.trajectory = trajectory
        self.env = env
        self.steps = trajectory.steps
        self._firsts: dict[str | int | float, int | float] = {}
        self._memo: dict[str, Any] = {}
        self._stable: dict[int, int] = {}
        self._required: dict[str, list[str]] = {}
        self.tools: dict[str, ToolSpec] = {t.name: t for t in trajectory.tools}
        self.calls: list[CallView] = []
        self.step_calls: list[list[CallView]] = []
        for s, step in enumerate(self.steps):
            here: list[CallView] = []
            paired: dict[int, ToolResult] | None = None
            for i, a in enumerate(step.actions):
                if isinstance(a, ToolCall):
                    if paired is None:
                        paired = results_by_action(step)
                    here.append(CallView(s, i, a, paired.get(i), len(self.calls) + len(here)))
            self.step_calls.append(here)
            self.calls.extend(here)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """A value computed once per trajectory and shared by the rules that need it."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    # -- calls ---------------------------------------------------------------------------------

    @cached
    def calls_by_key(self) -> dict[str, list[CallView]]:
        """The calls of each identity (``CallView.key``), in order."""
        return _grouped(self.calls, lambda c: c.key)

    @cached
    def calls_by_name(self) -> dict[str, list[CallView]]:
        """The calls of each tool, in order."""
        return _grouped(self.calls, lambda c: c.call.name)

    @cached
    def expectations(self) -> list[Expectation]:
        """The task's expected actions, ready for matching calls against."""
        return [Expectation(e) for e in self.trajectory.task.expected_actions]

    @cached
    def expectations_by_name(self) -> dict[str, list[Expectation]]:
        """The expected actions of each tool, in order."""
        return _grouped(self.expectations, lambda e: e.name)

    # -- tools ---------------------------------------------------------------------------------

    @cached
    def read_only_tools(self) -> frozenset[str] | None:
        """Tools that never change the state, when the environment says so."""
        if self.env is None:
            return None
        return frozenset(name for name, t in self.env.tools.items() if t.read_only)

    def is_read_only(self, name: str) -> bool:
        """Whether a tool only reads: the environment's word, else the tool's declaration
        (``ToolSpec.read_only``, as an importer knew it), else guessed from its name."""
        known = self.read_only_tools
        if known is not None:
            return name in known
        spec = self.tools.get(name)
        if spec is not None and spec.read_only is not None:
            return spec.read_only
        return bool(_LOOKUP_NAME.match(name))

    def is_lookup(self, name: str) -> bool:
        """Whether a tool looks something up: the environment's read-only tools, else a name
        that says so (a tool only declared read-only may compute, think or hand off)."""
        known = self.read_only_tools
        if known is not None:
            return name in known
        return bool(_LOOKUP_NAME.match(name))

    def acts_again(self, name: str) -> bool:
        """Whether a second identical call of a tool changes the state again (an append, a
        booking, a restart), as the environment says; unknown without one."""
        known = self.env.tools.get(name) if self.env is not None else None
        return known is not None and not known.idempotent

    def required(self, name: str) -> list[str]:
        """The required arguments of a declared tool (none when the tool is not declared)."""
        known = self._required
        if name not in known:
            spec = self.tools.get(name)
            params = spec.parameters if spec is not None and spec.parameters else {}
            required = params.get("required", [])
            known[name] = [str(k) for k in required] if isinstance(required, list) else []
        return known[name]

    # -- state ---------------------------------------------------------------------------------

    def unchanged(self, first: int, last: int) -> bool:
        """Whether the state after step ``first`` is still the state after step ``last``.

        Read from the recorded state digests when there are any; otherwise from the calls in
        between: no call that may write succeeded.
        """
        if last <= first:
            return True
        track = self._state_track
        if track.missing[last + 1] == track.missing[first]:
            return track.changes[last + 1] == track.changes[first + 1]
        return track.writes[last + 1] == track.writes[first + 1]

    @cached
    def _state_track(self) -> _StateTrack:
        return _StateTrack(self)

    def stable_until(self, step: int) -> int:
        """The first step after ``step`` that has calls and before which the state may have
        changed since ``step`` (the number of steps when there is none)."""
        stable = self._stable
        if step not in stable:
            stable[step] = next(
                (s for s in self._call_steps if s > step and not self.unchanged(step, s - 1)),
                len(self.steps),
            )
        return stable[step]

    @cached
    def _call_steps(self) -> list[int]:
        return [s for s, here in enumerate(self.step_calls) if here]

    def unreliable(self, view: CallView) -> bool:
        """Whether the call's data could not be trusted (a fault said so, or it was cut off)."""
        if view.status == "partial":
            return True
        faults = self.steps[view.step].faults
        return bool(faults) and any(
            f.kind in UNRELIABLE and f.call_id == view.call.id for f in faults
        )

    def repeats_done(self, view: CallView) -> bool:
        """Whether an identical call ran before (ok, or cut off): a rejection of this one may
        be its consequence, as a write retried after a cut-off answer finds its work done."""
        return any(
            c.n < view.n and c.status in ("ok", "partial") for c in self.calls_by_key[view.key]
        )

    def fault_error(self, view: CallView) -> bool:
        """Whether a failed call failed because of the environment, not of its arguments."""
        if view.error_kind in FAULT_ERRORS or view.status == "timeout":
            return True
        faults = self.steps[view.step].faults
        return bool(faults) and any(
            f.call_id == view.call.id and f.kind != "format_drift" for f in faults
        )

    # -- the conversation ----------------------------------------------------------------------

    def first_action_after(self, step: int) -> tuple[int, Any] | None:
        """The first action of the agent after step ``step`` (its step and the action)."""
        for s in range(step + 1, len(self.steps)):
            if self.steps[s].actions:
                return s, self.steps[s].actions[0]
        return None

    def finish_step(self) -> int | None:
        """The step with the agent's Finish (or hand-off), if it ended the episode itself."""
        for s in range(len(self.steps) - 1, -1, -1):
            if any(isinstance(a, Finish | HandOff) for a in self.steps[s].actions):
                return s
        return None

    @cached
    def texts(self) -> list[tuple[int, int, str]]:
        """The agent's words: (step, action index, text) of replies, questions, finishes."""
        return [
            (s, i, a.content)
            for s, step in enumerate(self.steps)
            for i, a in enumerate(step.actions)
            if isinstance(a, Reply | ClarifyingQuestion | HandOff | Finish)
        ]

    def mentioned(self, value: str | int | float, before: int) -> bool:
        """Whether a value was in the task or in what came back before step ``before``.

        Strings match whole words, ignoring case unless the value's own casing is odd (``anA``
        is not ``Ana``); paths match part by part; ISO dates also match as "February 26";
        numbers match as numbers.
        """
        if isinstance(value, str):
            value = value.strip()
            if "/" in value.strip("/") and not any(c.isspace() for c in value):
                parts = [p for p in value.split("/") if p]  # a path, part by part
                return bool(parts) and all(self._first(p) <= before for p in parts)
        return self._first(value) <= before

    def _first(self, value: str | int | float) -> int | float:
        """Where a value first shows: 0 in the task, ``i + 1`` in step ``i``'s observations."""
        cache = self._firsts
        if value not in cache:
            if isinstance(value, str):
                found = self._first_string(value)
            else:
                found = self._seen.first_number(_number_text(value))
            cache[value] = float("inf") if found is None else found
        return cache[value]

    def _first_string(self, value: str) -> int | None:
        """The first text holding a string as a whole word (or, for an ISO date, the date
        written out)."""
        if not value:
            return None
        odd_case = not (
            value.islower() or value.isupper() or value.istitle() or value[:1].isupper()
        )
        word = self._seen.first_word(value, ignore_case=not odd_case)
        iso = _ISO_DAY.fullmatch(value)
        if iso is None or not 1 <= int(iso.group(1)) <= 12:
            return word
        month, day = int(iso.group(1)), int(iso.group(2))
        name = _MONTH_NAMES[month - 1].lower()
        found = self._seen.first_match(
            lambda: _written_date(month, day), containing=name, stop=word
        )
        return word if found is None else found

    @cached
    def _texts(self) -> list[str]:
        """The task, then per step the text of what the agent was told in it (results but
        errors, the user)."""
        seen = [
            "\n".join(
                o.content
                for o in step.observations
                if isinstance(o, UserMessage) or o.status != "error"
            )
            for step in self.steps
        ]
        return [self.trajectory.task.instruction or "", *seen]

    @cached
    def _seen(self) -> Corpus:
        return Corpus(self._texts)

    @cached
    def _iso_found(self) -> list[list[str]]:
        return [_ISO.findall(text) for text in self._texts]

    def iso_dates(self, before: int) -> list[str]:
        """The ISO dates in the task and in what came back before step ``before``."""
        return [d for found in self._iso_found[: before + 1] for d in found]

    def result_mentions(self, value: str, before: int) -> bool:
        """Whether a tool result before step ``before`` contains the text."""
        at = self._results.first_substring(value.lower())
        return at is not None and self._result_steps[at] < before

    @cached
    def _result_views(self) -> list[tuple[int, str]]:
        """The tool results that were not errors: their step and their text, lower-cased."""
        return [
            (s, o.content.lower())
            for s, step in enumerate(self.steps)
            for o in step.observations
            if isinstance(o, ToolResult) and o.status != "error"
        ]

    @cached
    def _results(self) -> Corpus:
        return Corpus([text for _, text in self._result_views])

    @cached
    def _result_steps(self) -> list[int]:
        return [s for s, _ in self._result_views]

    def user_messages(self, before: int | None = None) -> list[str]:
        """The user's messages (in steps before ``before``, if given)."""
        steps = self.steps if before is None else self.steps[:before]
        return [o.content for s in steps for o in s.observations if isinstance(o, UserMessage)]


class _StateTrack:
    """Prefix counts over steps that tell ``RuleContext.unchanged`` in constant time: steps
    without a state digest, digest changes from the step before, calls carried out that may
    write (``counts[k]``: how many among steps before ``k``)."""

    def __init__(self, ctx: RuleContext) -> None:
        digests = [s.env_state_digest for s in ctx.steps]
        self.missing = _prefix(d is None for d in digests)
        self.changes = _prefix(s > 0 and d != digests[s - 1] for s, d in enumerate(digests))
        self.writes = _prefix(  # a change whose reply was cut off was made all the same
            any(c.status in _MADE and not ctx.is_read_only(c.call.name) for c in here)
            for here in ctx.step_calls
        )


def _grouped(items: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    """The items under each key, in order."""
    out: dict[str, list[T]] = {}
    for item in items:
        out.setdefault(key(item), []).append(item)
    return out


def _prefix(flags: Iterable[bool]) -> list[int]:
    """How many flags are set before each position (one more entry than flags)."""
    return list(accumulate(flags, initial=0))


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DAY = re.compile(r"\d{4}-(\d{2})-(\d{2})")
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@lru_cache(maxsize=512)
def _written_date(month: int, day: int) -> re.Pattern[str]:
    name = _MONTH_NAMES[month - 1]
    return re.compile(
        rf"\b{name}\.?\s+{day}\b|\b{day}(st|nd|rd|th)?\s+(of\s+)?{name}\b", re.IGNORECASE
    )
