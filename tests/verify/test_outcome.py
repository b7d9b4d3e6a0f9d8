"""Outcome checks: replayed goal checks against the recorded outcome; expected-action matching."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.verify.episodes import episode
from trajforge.envs.registry import ENVIRONMENTS
from trajforge.schema import (
    CheckResult,
    ExpectedAction,
    Finish,
    Outcome,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
)
from trajforge.verify import compare_outcome, match_expected, pair_calls, values_equal
from trajforge.verify.outcome import argument_differences


@pytest.mark.parametrize("env", sorted(ENVIRONMENTS))
def test_a_tampered_outcome_is_flagged(env: str) -> None:
    t = episode(env, 0)
    assert compare_outcome(t.outcome, t.outcome) is None
    claimed = msgspec.structs.replace(t.outcome, status="success", score=1.0)
    failed = Outcome(
        status="failure",
        score=0.0,
        checks=[CheckResult(name=c.name, passed=False, score=0.0) for c in t.outcome.checks],
        final_state_digest=t.outcome.final_state_digest,
    )
    recorded = claimed if t.outcome.status != "success" else failed
    label = compare_outcome(recorded, t.outcome)
    assert label is not None
    assert (label.name, label.grade, label.source.kind) == ("outcome_mismatch", "error", "replay")


def test_checks_that_share_a_name_compare_by_position() -> None:
    a = Outcome(
        status="partial",
        score=0.5,
        checks=[CheckResult(name="status", passed=True), CheckResult(name="status", passed=False)],
    )
    b = msgspec.structs.replace(a, checks=list(reversed(a.checks)))
    assert compare_outcome(a, a) is None
    label = compare_outcome(a, b)
    assert label is not None
    assert "check 0 ('status') passed as recorded" in (label.rationale or "")


def test_nothing_recorded_is_no_mismatch() -> None:
    assert compare_outcome(Outcome(), Outcome(status="success", score=1.0)) is None


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (1, 1.0, True),
        (True, 1, False),
        ({"x": [1, 2.5]}, {"x": [1.0, 2.5]}, True),
        ([1, 2], [2, 1], False),
        ("a", "A", False),
        (None, None, True),
    ],
)
def test_values_equal(a: Any, b: Any, equal: bool) -> None:
    assert values_equal(a, b) is equal


SPEC = ToolSpec(
    name="refund",
    parameters={
        "type": "object",
        "properties": {
            "order_id": {"type": "string"},
            "amount": {"type": "number"},
            "notify": {"type": "boolean", "default": True},
        },
    },
)


def test_argument_differences_allow_defaults() -> None:
    defaults = {"notify": True}
    assert (
        argument_differences({"order_id": "W1", "notify": True}, {"order_id": "W1"}, defaults) == []
    )
    assert (
        argument_differences({"order_id": "W1"}, {"order_id": "W1", "notify": True}, defaults) == []
    )
    assert argument_differences(
        {"order_id": "W1"}, {"order_id": "W1", "notify": False}, defaults
    ) == ["notify"]
    assert argument_differences({"order_id": "W1"}, {"order_id": "W2"}, defaults) == ["order_id"]


def imported(
    calls: list[tuple[str, dict[str, Any], str]], expected: list[ExpectedAction]
) -> Trajectory:
    steps = [
        Step(
            actions=[ToolCall(id=f"c{i}", name=name, arguments=args)],
            observations=[ToolResult(call_id=f"c{i}", content="{}", status=status)],  # type: ignore[arg-type]
        )
        for i, (name, args, status) in enumerate(calls)
    ]
    steps.append(Step(actions=[Finish(content="done")]))
    return Trajectory(id="t", tools=[SPEC], task=Task(expected_actions=expected), steps=steps)


EXPECTED = [
    ExpectedAction(name="refund", arguments={"order_id": "W1", "amount": 10}),
    ExpectedAction(name="refund", arguments={"order_id": "W2", "amount": 5.5}),
]


def score(t: Trajectory) -> tuple[str, float | None, tuple[int | None, ...], int]:
    match = match_expected(t.task.expected_actions, pair_calls(t).calls(), t.tools)
    return match.outcome.status, match.outcome.score, match.matched, match.unexpected


def test_all_expected_actions_made_in_any_order() -> None:
    t = imported(
        [
            ("refund", {"order_id": "W2", "amount": 5.5}, "ok"),
            ("refund", {"order_id": "W1", "amount": 10.0}, "ok"),
        ],
        EXPECTED,
    )
    assert score(t) == ("success", 1.0, (1, 0), 0)


def test_partial_credit_and_closest_call() -> None:
    t = imported(
        [
            ("refund", {"order_id": "W1", "amount": 10}, "ok"),
            ("refund", {"order_id": "W2", "amount": 55}, "ok"),
        ],
        EXPECTED,
    )
    assert score(t) == ("partial", 0.5, (0, None), 1)
    match = match_expected(t.task.expected_actions, pair_calls(t).calls(), t.tools)
    assert match.outcome.checks[1].detail == "closest call steps[1].actions[0] differs in amount"


def test_failed_calls_and_repeats_do_not_count() -> None:
    t = imported(
        [
            ("refund", {"order_id": "W1", "amount": 10}, "error"),
            ("refund", {"order_id": "W1", "amount": 10}, "timeout"),
        ],
        EXPECTED[:1],
    )
    assert score(t) == ("failure", 0.0, (None,), 0)
    t = imported([("refund", {"order_id": "W1", "amount": 10}, "ok")], [EXPECTED[0], EXPECTED[0]])
    assert score(t) == ("partial", 0.5, (0, None), 0)
