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


def _canonical(arguments: dict[str, Any]) -> bytes:
    return msgspec.json.encode(arguments, order="sorted")


def _exact(
    exact: dict[tuple[str, bytes], list[int]], name: str, wanted: bytes, used: set[int]
) -> int | None:
    for c in exact.get((name, wanted), ()):
        if c not in used:
            return c
    return None


def match_expected(
    expected: Sequence[ExpectedAction], calls: Sequence[CallPair], tools: Sequence[ToolSpec]
) -> ExpectedMatch:
    """Match expected actions to the calls made (see the module docstring)."""
    specs = {tool.name: tool for tool in tools}
    by_name: dict[str, list[int]] = {}
    exact: dict[tuple[str, bytes], list[int]] = {}
    usable = 0
    for c, pair in enumerate(calls):
        if pair.result is None or pair.result.status not in _FAILED:
            usable += 1
            name = pair.call.name
            by_name.setdefault(name, []).append(c)
            exact.setdefault((name, _canonical(pair.call.arguments)), []).append(c)
    defaults_of: dict[str, dict[str, Any]] = {}
    used: set[int] = set()
    matched: list[int | None] = []
    checks: list[CheckResult] = []
    for index, action in enumerate(expected):
        name = action.name
        best: tuple[CallPair, list[str]] | None = None
        hit: int | None = None
        if name in by_name:
            hit = _exact(exact, name, _canonical(action.arguments), used)
            if hit is None:  # equal up to defaults or 1 == 1.0, or the closest miss
                defaults = defaults_of.get(name)
                if defaults is None:
                    defaults = defaults_of[name] = _defaults(specs.get(name))
                for c in by_name[name]:
                    if c in used:
                        continue
                    differ = argument_differences(
                        action.arguments, calls[c].call.arguments, defaults
                    )
                    if not differ:
                        hit = c
                        break
                    if best is None or len(differ) < len(best[1]):
                        best = (calls[c], differ)
        label = f"expected[{index}] {action.name}"
        if hit is not None:
            used.add(hit)
            matched.append(hit)
            detail = f"made at steps[{calls[hit].step}].actions[{calls[hit].action}]"
            checks.append(CheckResult(name=label, passed=True, score=1.0, detail=detail))
            continue
        matched.append(None)
        if best is None:
            detail = f"no successful call to {action.name!r}"
        else:
            detail = (
                f"closest call steps[{best[0].step}].actions[{best[0].action}] differs in "
                f"{', '.join(best[1])}"
            )
        checks.append(CheckResult(name=label, passed=False, score=0.0, detail=detail))
    outcome = outcome_from_checks(checks, None)
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
