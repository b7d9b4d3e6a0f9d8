"""Outcome checks: the goal checks on the replayed final state, or expected-action matching.

With an environment, the replayed state's goal checks give the outcome (status and partial-credit
score); it is compared with the recorded outcome and a mismatch is flagged. Without one, a task that
lists ``expected_actions`` (tau-bench and BFCL ground truth) is scored by which expected calls the
agent made with matching arguments: a call matches when it has the same name, every expected
argument is present with an equal value (numbers compare by value, ``1 == 1.0``; an omitted
argument matches an expected value equal to the schema's default), any extra argument equals its
schema default, and its result, if recorded, is not an error or a timeout. Each call is used once;
expected actions match in any order (the score is the fraction matched).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from trajforge.envs.base import outcome_from_checks
from trajforge.schema import CheckResult, ExpectedAction, Label, Outcome, ToolSpec
from trajforge.verify.labels import make_label
from trajforge.verify.pairing import CallPair

#: Relative tolerance when comparing recorded and replayed scores.
SCORE_TOLERANCE = 1e-9
_FAILED = frozenset({"error", "timeout"})


def outcome_label(outcome: Outcome) -> Label:
    """The trajectory label of the replayed outcome: value = score, grade = status."""
    passed = sum(c.passed for c in outcome.checks)
    rationale = f"{outcome.status}: {passed} of {len(outcome.checks)} checks passed"
    failed = [c.name for c in outcome.checks if not c.passed]
    if failed:
        rationale += f" (failed: {', '.join(failed)})"
    return make_label(
        "replay",
        "outcome",
        outcome.status,
        "outcome",
        rationale,
        value=outcome.score,
        details={
            "checks": [
                {"name": c.name, "passed": c.passed, "score": c.score} for c in outcome.checks
            ]
        },
    )


def _differences(recorded: Outcome, replayed: Outcome) -> list[str]:
    found: list[str] = []
    if recorded.status != replayed.status:
        found.append(f"status {recorded.status} was recorded, the replay gives {replayed.status}")
    a, b = recorded.score, replayed.score
    if (a is None) != (b is None) or (
        a is not None and b is not None and not math.isclose(a, b, rel_tol=SCORE_TOLERANCE)
    ):
        found.append(f"score {a} was recorded, the replay gives {b}")
    names = [c.name for c in recorded.checks]
    if recorded.checks and names != [c.name for c in replayed.checks]:
        found.append(
            f"checks {', '.join(names)} were recorded, the replay has "
            f"{', '.join(c.name for c in replayed.checks) or 'none'}"
        )
    elif recorded.checks:  # checks may share a name (one per order, say): compare by position
        for index, (check, other) in enumerate(zip(recorded.checks, replayed.checks, strict=True)):
            if other.passed != check.passed:
                verdict = "passed" if check.passed else "failed"
                found.append(f"check {index} ({check.name!r}) {verdict} as recorded, not on replay")
    recorded_digest = recorded.final_state_digest
    if recorded_digest is not None and recorded_digest != replayed.final_state_digest:
        found.append(
            f"final state digest {recorded_digest} was recorded, the replay gives "
            f"{replayed.final_state_digest}"
        )
    return found


def compare_outcome(recorded: Outcome, replayed: Outcome) -> Label | None:
    """An ``outcome_mismatch`` error when the recorded outcome is not the replayed one."""
    if recorded.status == "unknown" and not recorded.checks and recorded.score is None:
        return None  # nothing was recorded to compare
    found = _differences(recorded, replayed)
    if not found:
        return None
    return make_label(
        "replay",
        "outcome_mismatch",
        "error",
        "outcome",
        "; ".join(found),
        details={
            "recorded_status": recorded.status,
            "replayed_status": replayed.status,
            "recorded_score": recorded.score,
            "replayed_score": replayed.score,
        },
    )


# ---------------------------------------------------------------- expected actions


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


_MISSING = object()


def _defaults(tool: ToolSpec | None) -> dict[str, Any]:
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


def argument_differences(
    expected: dict[str, Any], actual: dict[str, Any], defaults: dict[str, Any]
) -> list[str]:
    """Names of the arguments where a call differs from an expected action (empty: a match)."""
    differ: list[str] = []
    for name, value in expected.items():
        got = actual.get(name, defaults.get(name, _MISSING))
        if got is _MISSING or not values_equal(value, got):
            differ.append(name)
    for name, value in actual.items():
        if name not in expected:
            default = defaults.get(name, _MISSING)
            if not (value is None or (default is not _MISSING and values_equal(value, default))):
                differ.append(name)
    return differ


@dataclass(frozen=True, slots=True)
class ExpectedMatch:
    """How an agent's calls cover the expected actions: the outcome and one line per action."""

    outcome: Outcome
    matched: tuple[int | None, ...]
    """For each expected action, the index (into the call list) of the call that matched it."""
    unexpected: int
    """Successful calls that matched no expected action."""


#: Canonical JSON (keys sorted): two argument objects are exactly equal when their encodings are.
_canonical = msgspec.json.Encoder(order="sorted").encode


def _index_calls(
    calls: Sequence[CallPair],
) -> tuple[dict[str, list[int]], dict[tuple[str, bytes], list[int]]]:
    """The usable calls (no failed result), by name and by name and exact arguments."""
    by_name: dict[str, list[int]] = {}
    exact: dict[tuple[str, bytes], list[int]] = {}
    for c, (_, _, call, _, result) in enumerate(calls):
        if result is None or result.status not in _FAILED:
            by_name.setdefault(call.name, []).append(c)
            exact.setdefault((call.name, _canonical(call.arguments)), []).append(c)
    return by_name, exact


def _first_unused(candidates: list[int], used: set[int]) -> int | None:
    for c in candidates:
        if c not in used:
            return c
    return None


class _Closest:
    """Finds the call matching an expected action up to defaults and ``1 == 1.0``, or the closest.

    Each tool's argument defaults are read from its schema on first need.
    """

    def __init__(self, calls: Sequence[CallPair], tools: Sequence[ToolSpec]) -> None:
        self.calls = calls
        self.tools = tools
        self.defaults_of: dict[str, dict[str, Any]] = {}

    def defaults(self, name: str) -> dict[str, Any]:
        """The default argument values of tool ``name`` (the last one declared of that name)."""
        found = self.defaults_of.get(name)
        if found is None:
            spec = next((tool for tool in reversed(self.tools) if tool.name == name), None)
            found = self.defaults_of[name] = _defaults(spec)
        return found

    def find(
        self, action: ExpectedAction, candidates: list[int], used: set[int]
    ) -> tuple[int | None, tuple[CallPair, list[str]] | None]:
        """The first unused candidate that matches, else None and the closest miss (if any)."""
        defaults = self.defaults(action.name)
        best: tuple[CallPair, list[str]] | None = None
        for c in candidates:
            if c in used:
                continue
            differ = argument_differences(action.arguments, self.calls[c].call.arguments, defaults)
            if not differ:
                return c, None
            if best is None or len(differ) < len(best[1]):
                best = (self.calls[c], differ)
        return None, best


def _check_result(
    index: int,
    action: ExpectedAction,
    hit: CallPair | None,
    best: tuple[CallPair, list[str]] | None,
) -> CheckResult:
    """The check of expected action ``index``: where it was made, or why not."""
    label = f"expected[{index}] {action.name}"
    if hit is not None:
        detail = f"made at steps[{hit.step}].actions[{hit.action}]"
        return CheckResult(name=label, passed=True, score=1.0, detail=detail)
    if best is None:
        detail = f"no successful call to {action.name!r}"
    else:
        detail = (
            f"closest call steps[{best[0].step}].actions[{best[0].action}] differs in "
            f"{', '.join(best[1])}"
        )
    return CheckResult(name=label, passed=False, score=0.0, detail=detail)


def match_expected(
    expected: Sequence[ExpectedAction], calls: Sequence[CallPair], tools: Sequence[ToolSpec]
) -> ExpectedMatch:
    """Match expected actions to the calls made (see the module docstring)."""
    by_name, exact = _index_calls(calls)
    closest = _Closest(calls, tools)
    used: set[int] = set()
    matched: list[int | None] = []
    checks: list[CheckResult] = []
    for index, action in enumerate(expected):
        name = action.name
        best: tuple[CallPair, list[str]] | None = None
        hit: int | None = None
        candidates = by_name.get(name)
        if candidates is not None:
            hit = _first_unused(exact.get((name, _canonical(action.arguments)), []), used)
            if hit is None:
                hit, best = closest.find(action, candidates, used)
        matched.append(hit)
        if hit is not None:
            used.add(hit)
        checks.append(_check_result(index, action, None if hit is None else calls[hit], best))
    outcome = outcome_from_checks(checks, None)
    usable = sum(len(found) for found in by_name.values())
    return ExpectedMatch(outcome, tuple(matched), usable - len(used))


def expected_label(match: ExpectedMatch) -> Label:
    """The trajectory label of an expected-action match: value = fraction matched."""
    outcome = match.outcome
    made = sum(c.passed for c in outcome.checks)
    rationale = f"{made} of {len(outcome.checks)} expected actions made with matching arguments"
    missed = [c for c in outcome.checks if not c.passed]
    if missed:
        rationale += "; " + "; ".join(f"{c.name}: {c.detail}" for c in missed[:5])
        if len(missed) > 5:
            rationale += f"; and {len(missed) - 5} more"
    return make_label(
        "verify",
        "expected_actions",
        outcome.status,
        "task.expected_actions",
        rationale,
        value=outcome.score,
        details={"matched": list(match.matched), "unexpected_calls": match.unexpected},
    )
