"""Pairing each tool call with its result: by call id, or by order and name for legacy calls.

A step's results answer the calls of the same step. A result whose ``call_id`` names a call of the
step pairs with it; an id-less result (a legacy ``function`` message) pairs with the first unpaired
call of its name (or, without a name, the first unpaired call). What does not pair is a
:class:`Problem`: a call with no result, a second result, a result for a call of another step or of
no step, a result whose name differs from its call's, a call id used twice. A call of a tool
whose role is ``handoff`` or ``finish`` ends the agent's work and may go unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from trajforge.schema import Observation, Step, ToolCall, ToolResult, Trajectory


class CallPair(NamedTuple):
    """A call (``steps[step].actions[action]``) and its result's index in the step, if any."""

    step: int
    action: int
    call: ToolCall
    observation: int | None
    result: ToolResult | None


#: Builds a CallPair from a tuple of its fields without NamedTuple's Python-level constructor.
_new_pair = tuple.__new__


@dataclass(frozen=True, slots=True)
class Problem:
    """A pairing or ordering problem: which check, how bad, where, and what is wrong."""

    step: int | None
    check: str
    grade: str
    target: str
    message: str


@dataclass(slots=True)
class Pairing:
    """Every call of a trajectory with its result, by step, and the problems found."""

    steps: list[list[CallPair]]
    problems: list[Problem]

    def calls(self) -> list[CallPair]:
        """All pairs in trajectory order."""
        return [pair for pairs in self.steps for pair in pairs]


def _no_results(observations: list[Observation]) -> bool:
    return not any(type(o) is ToolResult for o in observations)


def _take(pending: list[int], calls: list[ToolCall], name: str | None) -> int | None:
    """Remove and return the first pending call (of ``name`` if given)."""
    for position, j in enumerate(pending):
        if name is None or calls[j].name == name:
            del pending[position]
            return j
    return None


class _StepPairer:
    """The general case of one step: several calls, legacy ids, problems."""

    def __init__(
        self, index: int, seen: dict[str, int], problems: list[Problem], final: frozenset[str]
    ) -> None:
        self.index = index
        self.final = final
        self.where = f"steps[{index}]"
        self.seen = seen
        self.problems = problems
        self.calls: list[ToolCall] = []
        self.action_of: list[int] = []
        self.by_id: dict[str, list[int]] = {}
        self.pending: list[int] = []
        self.result_of: dict[int, tuple[int, ToolResult]] = {}

    def problem(self, check: str, grade: str, target: str, message: str) -> None:
        self.problems.append(Problem(self.index, check, grade, target, message))

    def index_calls(self, step: Step) -> None:
        """Collect the step's calls by id, flagging ids used twice."""
        for j, action in enumerate(step.actions):
            if type(action) is not ToolCall:
                continue
            call_id = action.id
            if call_id is not None:
                target = f"{self.where}.actions[{j}].id"
                if call_id in self.by_id:
                    message = f"call id {call_id!r} is used twice in this step"
                    self.problem("duplicate_call_id", "error", target, message)
                elif call_id in self.seen:
                    message = f"call id {call_id!r} was already used in step {self.seen[call_id]}"
                    self.problem("duplicate_call_id", "warning", target, message)
                self.by_id.setdefault(call_id, []).append(len(self.calls))
            self.action_of.append(j)
            self.calls.append(action)
        self.pending = list(range(len(self.calls)))

    def _by_id(self, call_id: str, target: str) -> int | None:
        for candidate in self.by_id.get(call_id, ()):
            if candidate in self.pending:
                self.pending.remove(candidate)
                return candidate
        if call_id in self.by_id:
            self.problem(
                "duplicate_result", "error", target, f"a second result for call {call_id!r}"
            )
        elif call_id in self.seen:
            message = (
                f"the result for call {call_id!r} of step {self.seen[call_id]} is recorded in "
                f"step {self.index}: observations must follow their call in the same step"
            )
            self.problem("misplaced_result", "error", target, message)
        else:
            message = f"no call with id {call_id!r} in this step"
            self.problem("orphan_result", "error", target, message)
        return None

    def _by_order(self, name: str | None, target: str) -> int | None:
        calls = self.calls
        legacy = [c for c in self.pending if calls[c].id is None]
        chosen = _take(legacy, calls, name)
        if chosen is None:
            chosen = _take(legacy, calls, None)
        if chosen is None:
            chosen = _take(list(self.pending), calls, name)
            if chosen is not None:
                message = (
                    f"the result has no call_id; paired with call {calls[chosen].id!r} by name "
                    "and order"
                )
                self.problem("result_without_id", "warning", target, message)
        if chosen is None:
            what = f"{name!r} " if name else ""
            message = f"an id-less {what}result with no unanswered call in this step"
            self.problem("orphan_result", "error", target, message)
            return None
        self.pending.remove(chosen)
        return chosen

    def match(self, k: int, result: ToolResult) -> None:
        """Pair the result ``observations[k]`` with its call."""
        target = f"{self.where}.observations[{k}]"
        if result.call_id is not None:
            chosen = self._by_id(result.call_id, target)
        else:
            chosen = self._by_order(result.name, target)
        if chosen is None:
            return
        call = self.calls[chosen]
        if result.name is not None and result.name != call.name:
            message = f"the result names tool {result.name!r} but its call is {call.name!r}"
            self.problem("result_name_mismatch", "error", f"{target}.name", message)
        self.result_of[chosen] = (k, result)

    def pairs(self) -> list[CallPair]:
        """Every call with its result (or none, flagged as missing)."""
        pairs: list[CallPair] = []
        for c, call in enumerate(self.calls):
            action = self.action_of[c]
            found = self.result_of.get(c)
            if found is None:
                if call.name not in self.final:
                    ident = f" {call.id!r}" if call.id is not None else ""
                    message = f"call{ident} to {call.name!r} has no result"
                    target = f"{self.where}.actions[{action}]"
                    self.problem("missing_result", "error", target, message)
                pairs.append(CallPair(self.index, action, call, None, None))
            else:
                pairs.append(CallPair(self.index, action, call, found[0], found[1]))
            if call.id is not None:
                self.seen.setdefault(call.id, self.index)
        return pairs


def _pair_general(
    step: Step, index: int, seen: dict[str, int], problems: list[Problem], final: frozenset[str]
) -> list[CallPair]:
    """Pair one step's calls and results; ``seen`` maps call ids of earlier steps to their step,
    ``final`` names the tools whose calls need no result."""
    pairer = _StepPairer(index, seen, problems, final)
    pairer.index_calls(step)
    for k, observation in enumerate(step.observations):
        if type(observation) is ToolResult:
            pairer.match(k, observation)
    return pairer.pairs()


def final_tools(trajectory: Trajectory) -> frozenset[str]:
    """The tools whose call is the agent's final answer (role ``handoff`` or ``finish``)."""
    return frozenset(tool.name for tool in trajectory.tools if tool.role is not None)


def pair_calls(trajectory: Trajectory) -> Pairing:
    """Pair every call of a trajectory with its result.

    The common steps are paired inline: one call answered by its result, or one action that is no
    call with no result; any other step goes to the general case.
    """
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    steps: list[list[CallPair]] = []
    final = final_tools(trajectory)
    append = steps.append
    for i, step in enumerate(trajectory.steps):
        actions, observations = step.actions, step.observations
        if len(actions) == 1:
            call = actions[0]
            if type(call) is not ToolCall:
                if _no_results(observations):
                    append([])
                    continue
            elif len(observations) == 1:
                result, call_id = observations[0], call.id
                if (
                    call_id is not None
                    and type(result) is ToolResult
                    and result.call_id == call_id
                    and call_id not in seen
                    and (result.name is None or result.name == call.name)
                ):
                    seen[call_id] = i
                    append([_new_pair(CallPair, (i, 0, call, 0, result))])
                    continue
        append(_pair_general(step, i, seen, problems, final))
    return Pairing(steps, problems)
