"""What every rule grader reads: a trajectory's calls paired with their results, and state facts.

A ``RuleContext`` is built once per trajectory and shared by the rules. It never exposes the
generator's own labels (``injected_mistake`` and the like): graders are measured against those.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, TypeVar

import msgspec

from trajforge.envs.base import Environment
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
from trajforge.schema.steps import results_by_action

T = TypeVar("T")
#: Error kinds of faults the environment injected (the agent's arguments were fine).
FAULT_ERRORS = frozenset({"timeout", "server_error", "rate_limit", "permanent", "truncated"})
#: Fault records that make an ``ok`` result unreliable, so that asking again is sensible.
UNRELIABLE = frozenset({"stale", "empty", "partial"})
#: Without an environment: tool names that read and do not change the world.
_LOOKUP_NAME = re.compile(
    r"^(get|list|find|search|read|describe|count|whoami|check|show|lookup|query|fetch|view|run_health)"
)


@dataclass(frozen=True)
class CallView:
    """One tool call of the trajectory with its result (``None`` when none came back)."""

    step: int
    index: int
    call: ToolCall
    result: ToolResult | None

    @cached_property
    def key(self) -> str:
        """The call's identity: tool name plus canonical arguments."""
        args = msgspec.json.encode(self.call.arguments, order="deterministic").decode()
        return f"{self.call.name}{args}"

    @property
    def status(self) -> str:
        """The result's status (``missing`` when no result came back)."""
        return self.result.status if self.result is not None else "missing"

    @property
    def ok(self) -> bool:
        """Whether the call succeeded with a complete result."""
        return self.status == "ok"

    @property
    def failed(self) -> bool:
        """Whether the call came back as an error or a time-out."""
        return self.status in ("error", "timeout")

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
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            out.append(item)
    return out


def related(failed: CallView, later: CallView) -> bool:
    """Whether a later call deals with a failed one: the same tool, or the same objects (one of
    the failed call's argument values appears in its arguments or its result)."""
    if later.call.name == failed.call.name:
        return True
    text = msgspec.json.encode(later.call.arguments).decode().lower()
    if later.result is not None:
        text += later.result.content.lower()
    return any(len(str(v)) >= 3 and str(v).lower() in text for v in scalars(failed.call.arguments))


class RuleContext:
    """A trajectory seen the way rules need it; ``env`` adds the environment's knowledge."""

    def __init__(self, trajectory: Trajectory, env: Environment | None = None) -> None:
        self.trajectory = trajectory
        self.env = env
        self.steps = trajectory.steps
        self._firsts: dict[str | int | float, int | float] = {}
        self._memo: dict[str, Any] = {}
        self.tools: dict[str, ToolSpec] = {t.name: t for t in trajectory.tools}
        self.calls: list[CallView] = []
        self.step_calls: list[list[CallView]] = []
        for s, step in enumerate(self.steps):
            paired = results_by_action(step)
            here = [
                CallView(s, i, a, paired.get(i))
                for i, a in enumerate(step.actions)
                if isinstance(a, ToolCall)
            ]
            self.step_calls.append(here)
            self.calls.extend(here)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """A value computed once per trajectory and shared by the rules that need it."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    # -- tools ---------------------------------------------------------------------------------

    @cached_property
    def read_only_tools(self) -> frozenset[str] | None:
        """Tools that never change the state, when the environment says so."""
        if self.env is None:
            return None
        return frozenset(name for name, t in self.env.tools.items() if t.read_only)

    def is_read_only(self, name: str) -> bool:
        """Whether a tool only reads (the environment's word, else guessed from its name)."""
        known = self.read_only_tools
        if known is not None:
            return name in known
        return bool(_LOOKUP_NAME.match(name))

    def required(self, name: str) -> list[str]:
        """The required arguments of a declared tool (none when the tool is not declared)."""
        spec = self.tools.get(name)
        params = spec.parameters if spec is not None and spec.parameters else {}
        required = params.get("required", [])
        return [str(k) for k in required] if isinstance(required, list) else []

    # -- state ---------------------------------------------------------------------------------

    def unchanged(self, first: int, last: int) -> bool:
        """Whether the state after step ``first`` is still the state after step ``last``.

        Read from the recorded state digests when there are any; otherwise from the calls in
        between: no call that may write succeeded.
        """
        digests = [s.env_state_digest for s in self.steps[first : last + 1]]
        if digests and all(d is not None for d in digests):
            return len(set(digests)) == 1
        return not any(
            c.ok and not self.is_read_only(c.call.name)
            for step in self.step_calls[first + 1 : last + 1]
            for c in step
        )

    @cached_property
    def good_calls(self) -> list[CallView]:
        """The calls that succeeded with a complete, trustworthy result."""
        return [c for c in self.calls if c.ok and not self.unreliable(c)]

    def unreliable(self, view: CallView) -> bool:
        """Whether the call's data could not be trusted (a fault said so, or it was cut off)."""
        if view.status == "partial":
            return True
        step = self.steps[view.step]
        return any(f.kind in UNRELIABLE and f.call_id == view.call.id for f in step.faults)

    def repeats_done(self, view: CallView) -> bool:
        """Whether an identical call ran before (ok, or cut off): a rejection of this one may
        be its consequence, as a write retried after a cut-off answer finds its work done."""
        return any(
            c.key == view.key
            and (c.step, c.index) < (view.step, view.index)
            and c.status in ("ok", "partial")
            for c in self.calls
        )

    def fault_error(self, view: CallView) -> bool:
        """Whether a failed call failed because of the environment, not of its arguments."""
        if view.error_kind in FAULT_ERRORS or view.status == "timeout":
            return True
        step = self.steps[view.step]
        return any(f.call_id == view.call.id and f.kind != "format_drift" for f in step.faults)

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

    @cached_property
    def texts(self) -> list[tuple[int, int, str]]:
        """The agent's words: (step, action index, text) of replies, questions, finishes."""
        return [
            (s, i, a.content)
            for s, step in enumerate(self.steps)
            for i, a in enumerate(step.actions)
            if isinstance(a, Reply | ClarifyingQuestion | HandOff | Finish)
        ]

    @cached_property
    def _seen_raw(self) -> list[str]:
        """Per step, the text of what the agent was told in it (results but errors, the user)."""
        return [
            "\n".join(
                o.content
                for o in step.observations
                if isinstance(o, UserMessage) or o.status != "error"
            )
            for step in self.steps
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
            texts = self._texts
            if isinstance(value, str):
                lowered = self._texts_lower
                found = (i for i, t in enumerate(texts) if _mentions_text(value, t, lowered[i]))
            else:
                pattern = _number_pattern(_number_text(value))
                found = (i for i, t in enumerate(texts) if pattern.search(t))
            cache[value] = next(found, float("inf"))
        return cache[value]

    @cached_property
    def _texts(self) -> list[str]:
        return [self.trajectory.task.instruction or "", *self._seen_raw]

    @cached_property
    def _texts_lower(self) -> list[str | None]:
        """``_texts`` lower-cased where they are ASCII (``None`` elsewhere: see ``_find_word``)."""
        return [t.lower() if t.isascii() else None for t in self._texts]

    def iso_dates(self, before: int) -> list[str]:
        """The ISO dates in the task and in what came back before step ``before``."""
        return [d for text in self._texts[: before + 1] for d in _ISO.findall(text)]

    def result_mentions(self, value: str, before: int) -> bool:
        """Whether a tool result before step ``before`` contains the text."""
        needle = value.lower()
        return any(
            needle in o.content.lower()
            for step in self.steps[:before]
            for o in step.observations
            if isinstance(o, ToolResult) and o.status != "error"
        )

    def user_messages(self, before: int | None = None) -> list[str]:
        """The user's messages (in steps before ``before``, if given)."""
        steps = self.steps if before is None else self.steps[:before]
        return [o.content for s in steps for o in s.observations if isinstance(o, UserMessage)]


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


def _mentions_text(value: str, text: str, lowered: str | None) -> bool:
    """Whether a string occurs in the text as a whole word (or, for an ISO date, as the date
    written out); ``lowered`` is the text lower-cased when it is ASCII, else ``None``."""
    if not value:
        return False
    odd_case = not (value.islower() or value.isupper() or value.istitle() or value[:1].isupper())
    if lowered is not None and value.isascii():
        haystack, needle = (text, value) if odd_case else (lowered, value.lower())
        if _find_word(needle, haystack):
            return True
    elif _word_pattern(value, not odd_case).search(text):
        return True
    iso = _ISO_DAY.fullmatch(value)
    if iso and 1 <= int(iso.group(1)) <= 12:
        return _written_date(int(iso.group(1)), int(iso.group(2))).search(text) is not None
    return False


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _find_word(needle: str, haystack: str) -> bool:
    """``_word_pattern(needle, ...).search(haystack)`` for ASCII text, without a regex: an
    occurrence counts when no word character touches an end of it that is a word character."""
    left, right = _is_word_char(needle[0]), _is_word_char(needle[-1])
    size, end_of_text = len(needle), len(haystack)
    start = haystack.find(needle)
    while start >= 0:
        end = start + size
        if (not left or start == 0 or not _is_word_char(haystack[start - 1])) and (
            not right or end == end_of_text or not _is_word_char(haystack[end])
        ):
            return True
        start = haystack.find(needle, start + 1)
    return False


@lru_cache(maxsize=4096)
def _word_pattern(value: str, ignore_case: bool) -> re.Pattern[str]:
    left = r"(?<!\w)" if value[0].isalnum() or value[0] == "_" else ""
    right = r"(?!\w)" if value[-1].isalnum() or value[-1] == "_" else ""
    return re.compile(left + re.escape(value) + right, re.IGNORECASE if ignore_case else 0)


@lru_cache(maxsize=512)
def _written_date(month: int, day: int) -> re.Pattern[str]:
    name = _MONTH_NAMES[month - 1]
    return re.compile(
        rf"\b{name}\.?\s+{day}\b|\b{day}(st|nd|rd|th)?\s+(of\s+)?{name}\b", re.IGNORECASE
    )


@lru_cache(maxsize=4096)
def _number_pattern(number: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.:-]){re.escape(number)}(?![\w:]|\.\d)")
