"""Expected-action matching with declared semantics: the outcome of a task with ground truth.

Without an environment to replay, an imported task that comes with ground truth (tau-bench's
expected actions and outputs, BFCL's accepted calls) is graded by the calls made in it, the
agent's and (tau2-bench's dual control) the user's:

- a call matches an expected action when it names the same tool, each expected argument matches
  as its ``ArgumentMatch`` says (``exact`` by default: equal JSON values, ``1 == 1.0``), an
  argument the call leaves out equals the tool schema's default or is optional (in ``match``
  only), any other argument of the call is null or its default, and its result, if recorded, is
  no error or time-out (a failed call changed nothing);
- each call serves one expected action: in order when ``expected_actions_ordered`` (the matched
  calls are a subsequence), else the assignment that matches the most;
- ``expected_scope`` ``writes`` (the source's reward compares the final state): expected
  actions of read-only tools are skipped, and a successful call of a tool that writes
  (``ToolSpec.read_only`` false) matching none of them fails the check ``no unexpected writes``;
- each required output must appear in a reply to the user, ignoring case and commas (tau-bench
  compares so: "1,786" says "1786").

The outcome is trajforge's own judgement; the source's reward (``outcome.source_reward``) is
never read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trajforge.envs.base import outcome_from_checks
from trajforge.schema import (
    ArgumentMatch,
    CheckResult,
    ClarifyingQuestion,
    ExpectedAction,
    Finish,
    Label,
    Outcome,
    Reply,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)
from trajforge.verify.labels import make_label
from trajforge.verify.pairing import Pairing

_FAILED = frozenset({"error", "timeout"})
_MISSING = object()
_PUNCTUATION = re.compile(r"[^\w\s]")
#: How many places a label's rationale names before it says "and N more".
_SHOWN = 5
WRITES_CHECK = "no unexpected writes"


def values_equal(a: Any, b: Any) -> bool:
    """JSON equality where numbers compare by value (``1 == 1.0``) and booleans stay apart."""
    if type(a) is str:  # the common case, first
        return type(b) is str and a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def normal_text(text: str) -> str:
    """Text compared loosely: case folded, punctuation dropped, spacing collapsed."""
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(mode: str, tolerance: float | None, want: Any, got: Any) -> bool:
    """Whether ``got`` matches the reference value ``want`` under ``mode``."""
    if mode == "text" and isinstance(want, str) and isinstance(got, str):
        return normal_text(want) == normal_text(got)
    if mode == "number" and _number(want) and _number(got):
        return bool(abs(want - got) <= (tolerance or 0.0) + 1e-12)
    return values_equal(want, got)


def argument_matches(rule: ArgumentMatch | None, references: list[Any], got: Any) -> bool:
    """Whether a call's value matches one of an argument's reference values under its rule."""
    if rule is None:
        return any(values_equal(want, got) for want in references)
    if rule.mode == "any":
        return True
    if not references:  # nothing to compare with; for any_of, no value is accepted
        return rule.mode != "any_of"
    return any(_same(rule.mode, rule.tolerance, want, got) for want in references)


def argument_differences(
    action: ExpectedAction, actual: dict[str, Any], defaults: dict[str, Any]
) -> list[str]:
    """Names of the arguments where a call differs from an expected action (empty: a match)."""
    differ: list[str] = []
    wanted, rules = action.arguments, action.match
    for name in {**wanted, **rules}:
        rule = rules.get(name)
        if rule is not None and rule.mode == "any":
            continue
        got = actual.get(name, defaults.get(name, _MISSING))
        if got is _MISSING:
            if name in wanted:  # only in match: the argument may be left out
                differ.append(name)
            continue
        references = ([wanted[name]] if name in wanted else []) + (rule.values if rule else [])
        if not argument_matches(rule, references, got):
            differ.append(name)
    for name, value in actual.items():
        if name not in wanted and name not in rules:
            default = defaults.get(name, _MISSING)
            if not (value is None or (default is not _MISSING and values_equal(value, default))):
                differ.append(name)
    return differ


def schema_defaults(tool: ToolSpec | None) -> dict[str, Any]:
    """The default argument values a tool's JSON Schema declares."""
    if tool is None or not isinstance(tool.parameters, dict):
        return {}
    properties = tool.parameters.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {
        name: schema["default"]
        for name, schema in properties.items()
        if isinstance(schema, dict) and "default" in schema
    }


# ---------------------------------------------------------------- the calls made


@dataclass(frozen=True, slots=True)
class Made:
    """A call made in the trajectory (by the agent or the user), where it is, and its result."""

    where: str
    call: ToolCall
    result: ToolResult | None

    @property
    def usable(self) -> bool:
        """Whether the call took effect: no error or time-out came back."""
        return self.result is None or self.result.status not in _FAILED


def calls_made(trajectory: Trajectory, pairing: Pairing) -> list[Made]:
    """Every call in trajectory order: each step's own calls, then the user's in its
    observations."""
    made: list[Made] = []
    for s, pairs in enumerate(pairing.steps):
        made.extend(Made(f"steps[{s}].actions[{p.action}]", p.call, p.result) for p in pairs)
        for k, observation in enumerate(trajectory.steps[s].observations):
            if type(observation) is UserMessage and observation.tool_calls:
                made.extend(_user_calls(observation, f"steps[{s}].observations[{k}]"))
    return made


def _user_calls(message: UserMessage, where: str) -> Iterable[Made]:
    results = {r.call_id: r for r in message.tool_results if r.call_id is not None}
    for j, call in enumerate(message.tool_calls):
        result = results.get(call.id) if call.id is not None else None
        yield Made(f"{where}.tool_calls[{j}]", call, result)


# ---------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class ExpectedMatch:
    """How the calls made cover a task's ground truth: the outcome and what matched."""

    outcome: Outcome
    matched: tuple[int | None, ...]
    """For each expected action, the index (into the calls made) of the call that matched it."""
    skipped: tuple[int, ...]
    """Expected actions left out of the match (read-only tools under the ``writes`` scope)."""
    unexpected: int
    """Successful calls that matched no expected action."""
    unexpected_writes: tuple[str, ...]
    """Where the successful write calls that matched nothing are (``writes`` scope only)."""


def has_ground_truth(task: Task) -> bool:
    """Whether a task says what a successful trajectory does (expected actions or outputs, or
    the ``writes`` scope, under which no expected action means that nothing is written)."""
    return bool(task.expected_actions or task.required_outputs) or task.expected_scope == "writes"


def match_expected(
    task: Task, made: Sequence[Made], tools: Sequence[ToolSpec], replies: Sequence[str] = ()
) -> ExpectedMatch:
    """Grade the calls ``made`` and the agent's ``replies`` against ``task``'s ground truth
    (see the module docstring)."""
    specs = {tool.name: tool for tool in tools}
    writes = task.expected_scope == "writes"
    expected = task.expected_actions
    skipped = tuple(
        i for i, a in enumerate(expected) if writes and _read_only(specs.get(a.name)) is True
    )
    required = [i for i in range(len(expected)) if i not in skipped]
    usable = [c for c, m in enumerate(made) if m.usable]
    fits = _fits(expected, made, usable, specs)
    pick = _in_order if task.expected_actions_ordered else _most
    chosen = pick(required, lambda i: fits(i)[0])
    matched = tuple(chosen.get(i) for i in range(len(expected)))
    checks = [_action_check(i, expected[i], made, chosen.get(i), fits(i)[1]) for i in required]
    used = set(chosen.values())
    extra = [made[c].where for c in usable if c not in used and _writes(specs, made[c].call)]
    if writes:
        checks.append(_writes_check(extra))
    checks.extend(_output_checks(task.required_outputs, replies))
    return ExpectedMatch(
        outcome_from_checks(checks, None),
        matched,
        skipped,
        len(usable) - len(used),
        tuple(extra) if writes else (),
    )


def _read_only(tool: ToolSpec | None) -> bool | None:
    return None if tool is None else tool.read_only


def _writes(specs: dict[str, ToolSpec], call: ToolCall) -> bool:
    return _read_only(specs.get(call.name)) is False


Miss = tuple[Made, list[str]]
"""The closest call to an expected action that did not match it, and the arguments that differ."""


def _fits(
    expected: Sequence[ExpectedAction],
    made: Sequence[Made],
    usable: list[int],
    specs: dict[str, ToolSpec],
) -> Callable[[int], tuple[list[int], Miss | None]]:
    """For expected action ``i``: the usable calls that match it, and the closest miss."""
    memo: dict[int, tuple[list[int], Miss | None]] = {}

    def fits(i: int) -> tuple[list[int], Miss | None]:
        if i not in memo:
            action = expected[i]
            defaults = schema_defaults(specs.get(action.name))
            hits: list[int] = []
            best: Miss | None = None
            for c in usable:
                if made[c].call.name != action.name:
                    continue
                differ = argument_differences(action, made[c].call.arguments, defaults)
                if not differ:
                    hits.append(c)
                elif best is None or len(differ) < len(best[1]):
                    best = (made[c], differ)
            memo[i] = (hits, best)
        return memo[i]

    return fits


def _in_order(required: list[int], hits: Callable[[int], list[int]]) -> dict[int, int]:
    """Each action the earliest matching call after the previous action's (a subsequence)."""
    chosen: dict[int, int] = {}
    after = -1
    for i in required:
        c = next((c for c in hits(i) if c > after), None)
        if c is not None:
            chosen[i] = after = c
    return chosen


def _most(required: list[int], hits: Callable[[int], list[int]]) -> dict[int, int]:
    """A maximum matching of actions to calls (augmenting paths), earliest calls first."""
    owner: dict[int, int] = {}  # call -> action

    def assign(i: int, seen: set[int]) -> bool:
        for c in hits(i):
            if c not in seen:
                seen.add(c)
                if c not in owner or assign(owner[c], seen):
                    owner[c] = i
                    return True
        return False

    for i in required:
        assign(i, set())
    return {i: c for c, i in owner.items()}


def _action_check(
    index: int, action: ExpectedAction, made: Sequence[Made], hit: int | None, best: Miss | None
) -> CheckResult:
    """The check of expected action ``index``: where it was made, or why not."""
    name = f"expected[{index}] {action.name}"
    if hit is not None:
        return CheckResult(name=name, passed=True, score=1.0, detail=f"made at {made[hit].where}")
    if best is None:
        detail = f"no successful call to {action.name!r}"
    else:
        detail = f"closest call {best[0].where} differs in {', '.join(best[1])}"
    return CheckResult(name=name, passed=False, score=0.0, detail=detail)


def _writes_check(extra: list[str]) -> CheckResult:
    if not extra:
        return CheckResult(name=WRITES_CHECK, passed=True, score=1.0)
    return CheckResult(
        name=WRITES_CHECK,
        passed=False,
        score=0.0,
        detail=f"writes no expected action asks for: {_some(extra)}",
    )


def _said(text: str) -> str:
    return text.casefold().replace(",", "")


def _output_checks(outputs: Sequence[str], replies: Sequence[str]) -> list[CheckResult]:
    said = [_said(reply) for reply in replies]
    checks = []
    for index, output in enumerate(outputs):
        wanted = _said(output)
        passed = any(wanted in reply for reply in said)
        detail = None if passed else "in no reply to the user"
        checks.append(
            CheckResult(
                name=f"output[{index}] {output!r}",
                passed=passed,
                score=1.0 if passed else 0.0,
                detail=detail,
            )
        )
    return checks


def replies_to_user(trajectory: Trajectory) -> list[str]:
    """What the agent said to the user: its replies, questions and final answers."""
    return [
        action.content
        for step in trajectory.steps
        for action in step.actions
        if isinstance(action, Reply | ClarifyingQuestion | Finish)
    ]


def _some(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def expected_label(match: ExpectedMatch) -> Label:
    """The trajectory label of the match: value = score, grade = status."""
    outcome = match.outcome
    passed = sum(c.passed for c in outcome.checks)
    rationale = f"{passed} of {len(outcome.checks)} ground-truth checks passed"
    missed = [f"{c.name}: {c.detail}" for c in outcome.checks if not c.passed]
    if missed:
        rationale += "; " + "; ".join(missed[:_SHOWN])
        if len(missed) > _SHOWN:
            rationale += f"; and {len(missed) - _SHOWN} more"
    return make_label(
        "verify",
        "expected_actions",
        outcome.status,
        "task.expected_actions",
        rationale,
        value=outcome.score,
        details={
            "matched": list(match.matched),
            "skipped": list(match.skipped),
            "unexpected_calls": match.unexpected,
            "unexpected_writes": list(match.unexpected_writes),
        },
    )
