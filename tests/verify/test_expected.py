"""Expected-action matching with declared semantics: matchers, order, writes, outputs."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from trajforge.schema import (
    ArgumentMatch,
    ExpectedAction,
    Finish,
    Outcome,
    Reply,
    Step,
    Task,
    ToolCall,
    ToolResult,
    ToolSpec,
    Trajectory,
    UserMessage,
)
from trajforge.verify import calls_made, match_expected, pair_calls, values_equal, verify_trajectory
from trajforge.verify.expected import ExpectedMatch, argument_differences, replies_to_user

SPEC = ToolSpec(
    name="refund",
    read_only=False,
    parameters={
        "type": "object",
        "properties": {
            "order_id": {"type": "string"},
            "amount": {"type": "number"},
            "notify": {"type": "boolean", "default": True},
        },
    },
)
LOOKUP = ToolSpec(name="get_order", read_only=True)
EXPECTED = [
    ExpectedAction(name="refund", arguments={"order_id": "W1", "amount": 10}),
    ExpectedAction(name="refund", arguments={"order_id": "W2", "amount": 5.5}),
]

Call = tuple[str, dict[str, Any], str]


def imported(calls: list[Call], task: Task, replies: tuple[str, ...] = ()) -> Trajectory:
    steps = [
        Step(
            actions=[ToolCall(id=f"c{i}", name=name, arguments=args)],
            observations=[ToolResult(call_id=f"c{i}", content="{}", status=status)],  # type: ignore[arg-type]
        )
        for i, (name, args, status) in enumerate(calls)
    ]
    steps.extend(Step(actions=[Reply(content=text)]) for text in replies)
    steps.append(Step(actions=[Finish(content="done")]))
    return Trajectory(id="t", tools=[SPEC, LOOKUP], task=task, steps=steps)


def matched(t: Trajectory) -> ExpectedMatch:
    made = calls_made(t, pair_calls(t))
    return match_expected(t.task, made, t.tools, replies_to_user(t))


def score(t: Trajectory) -> tuple[str, float | None, tuple[int | None, ...], int]:
    match = matched(t)
    return match.outcome.status, match.outcome.score, match.matched, match.unexpected


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


def test_argument_differences_allow_defaults() -> None:
    defaults = {"notify": True}

    def differ(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
        return argument_differences(
            ExpectedAction(name="refund", arguments=expected), actual, defaults
        )

    assert differ({"order_id": "W1", "notify": True}, {"order_id": "W1"}) == []
    assert differ({"order_id": "W1"}, {"order_id": "W1", "notify": True}) == []
    assert differ({"order_id": "W1"}, {"order_id": "W1", "notify": False}) == ["notify"]
    assert differ({"order_id": "W1"}, {"order_id": "W2"}) == ["order_id"]


@pytest.mark.parametrize(
    ("rule", "expected", "got", "differs"),
    [
        (ArgumentMatch(mode="any_of", values=["NYC", "New York"]), {}, "New York", False),
        (ArgumentMatch(mode="any_of", values=["NYC", "New York"]), {}, "Boston", True),
        (ArgumentMatch(mode="text"), {"reason": "Changed  my mind!"}, "changed my mind", False),
        (ArgumentMatch(mode="text"), {"reason": "changed my mind"}, "found it cheaper", True),
        (ArgumentMatch(mode="number", tolerance=0.01), {"amount": 10.0}, 10.004, False),
        (ArgumentMatch(mode="number", tolerance=0.01), {"amount": 10.0}, 10.5, True),
        (ArgumentMatch(mode="any"), {"summary": "the user wants a refund"}, "anything", False),
    ],
)
def test_argument_matchers(
    rule: ArgumentMatch, expected: dict[str, Any], got: Any, differs: bool
) -> None:
    key = next(iter(expected), "city")
    action = ExpectedAction(name="t", arguments=expected, match={key: rule})
    assert (argument_differences(action, {key: got}, {}) == [key]) is differs


def test_an_argument_only_in_match_may_be_left_out() -> None:
    action = ExpectedAction(
        name="t", arguments={"a": 1}, match={"unit": ArgumentMatch(mode="any_of", values=["C"])}
    )
    assert argument_differences(action, {"a": 1}, {}) == []
    assert argument_differences(action, {"a": 1, "unit": "F"}, {}) == ["unit"]
    omitted = ExpectedAction(name="t", match={"unit": ArgumentMatch(mode="any_of")})
    assert argument_differences(omitted, {}, {}) == []  # BFCL: only "" accepted
    assert argument_differences(omitted, {"unit": "C"}, {}) == ["unit"]
    ignored = ExpectedAction(name="t", arguments={"a": 1}, match={"a": ArgumentMatch(mode="any")})
    assert argument_differences(ignored, {}, {}) == []


def test_all_expected_actions_made_in_any_order() -> None:
    calls: list[Call] = [
        ("refund", {"order_id": "W2", "amount": 5.5}, "ok"),
        ("refund", {"order_id": "W1", "amount": 10.0}, "ok"),
    ]
    assert score(imported(calls, Task(expected_actions=EXPECTED))) == ("success", 1.0, (1, 0), 0)
    ordered = Task(expected_actions=EXPECTED, expected_actions_ordered=True)
    assert score(imported(calls, ordered)) == ("partial", 0.5, (1, None), 1)


def test_partial_credit_and_closest_call() -> None:
    calls: list[Call] = [
        ("refund", {"order_id": "W1", "amount": 10}, "ok"),
        ("refund", {"order_id": "W2", "amount": 55}, "ok"),
    ]
    t = imported(calls, Task(expected_actions=EXPECTED))
    assert score(t) == ("partial", 0.5, (0, None), 1)
    assert matched(t).outcome.checks[1].detail == (
        "closest call steps[1].actions[0] differs in amount"
    )


def test_failed_calls_and_repeats_do_not_count() -> None:
    calls: list[Call] = [
        ("refund", {"order_id": "W1", "amount": 10}, "error"),
        ("refund", {"order_id": "W1", "amount": 10}, "timeout"),
    ]
    assert score(imported(calls, Task(expected_actions=EXPECTED[:1]))) == (
        "failure",
        0.0,
        (None,),
        0,
    )
    once: list[Call] = [("refund", {"order_id": "W1", "amount": 10}, "ok")]
    task = Task(expected_actions=[EXPECTED[0], EXPECTED[0]])
    assert score(imported(once, task)) == ("partial", 0.5, (0, None), 0)


def test_each_call_serves_the_action_that_needs_it() -> None:
    """A first-come assignment would give the W1 call to the any-of action and fail the other."""
    either = ExpectedAction(
        name="refund",
        arguments={"amount": 10},
        match={"order_id": ArgumentMatch(mode="any_of", values=["W1", "W2"])},
    )
    only = ExpectedAction(name="refund", arguments={"order_id": "W1", "amount": 10})
    calls: list[Call] = [
        ("refund", {"order_id": "W1", "amount": 10}, "ok"),
        ("refund", {"order_id": "W2", "amount": 10}, "ok"),
    ]
    assert score(imported(calls, Task(expected_actions=[either, only])))[:3] == (
        "success",
        1.0,
        (1, 0),
    )


def test_the_writes_scope_skips_reads_and_fails_extra_writes() -> None:
    lookup = ExpectedAction(name="get_order", arguments={"order_id": "W1"})
    task = Task(expected_actions=[lookup, EXPECTED[0]], expected_scope="writes")
    right: list[Call] = [("refund", {"order_id": "W1", "amount": 10}, "ok")]
    match = matched(imported(right, task))
    assert (match.outcome.status, match.skipped) == ("success", (0,))
    extra: list[Call] = [*right, ("refund", {"order_id": "W9", "amount": 1}, "ok")]
    match = matched(imported(extra, task))
    assert match.outcome.status == "partial"
    assert match.unexpected_writes == ("steps[1].actions[0]",)
    rejected: list[Call] = [*right, ("refund", {"order_id": "W9", "amount": 1}, "error")]
    assert matched(imported(rejected, task)).outcome.status == "success"
    # the calls scope (the default) does not mind extra calls, and needs the lookup made
    assert matched(
        imported(extra, Task(expected_actions=task.expected_actions))
    ).outcome.status == ("partial")


def test_no_expected_write_under_the_writes_scope() -> None:
    task = Task(expected_scope="writes")
    reads: list[Call] = [("get_order", {"order_id": "W1"}, "ok")]
    assert matched(imported(reads, task)).outcome.status == "success"
    write: list[Call] = [*reads, ("refund", {"order_id": "W1", "amount": 10}, "ok")]
    assert matched(imported(write, task)).outcome.status == "failure"


def test_required_outputs_must_be_said_to_the_user() -> None:
    task = Task(required_outputs=["1786", "Gold"])
    said = imported([], task, ("Your total is $1,786.", "You are a gold member."))
    assert matched(said).outcome.status == "success"
    half = imported([("get_order", {"order_id": "W1"}, "ok")], task, ("It is 1786.",))
    match = matched(half)
    assert match.outcome.status == "partial"
    assert match.outcome.checks[1].detail == "in no reply to the user"


def test_the_users_own_calls_count() -> None:
    """tau2-bench's dual control: the user toggles a setting on their phone."""
    toggle = ExpectedAction(name="toggle_data")
    user = UserMessage(
        content="",
        tool_calls=[ToolCall(id="u1", name="toggle_data")],
        tool_results=[ToolResult(call_id="u1", content="Mobile data is ON")],
    )
    t = Trajectory(
        id="t",
        task=Task(expected_actions=[toggle]),
        steps=[Step(actions=[Reply(content="Please turn data on.")], observations=[user])],
    )
    match = matched(t)
    assert match.outcome.status == "success"
    assert match.outcome.checks[0].detail == "made at steps[0].observations[0].tool_calls[0]"


def test_verify_grades_ground_truth_without_reading_the_source_reward() -> None:
    task = Task(expected_actions=EXPECTED[:1], expected_scope="writes", required_outputs=["done"])
    t = imported([("refund", {"order_id": "W1", "amount": 10}, "ok")], task, ("All done.",))
    rewarded = msgspec.structs.replace(t, outcome=Outcome(source_reward=0.0))
    plain = verify_trajectory(msgspec.structs.replace(t, steps=[*t.steps]))
    graded = verify_trajectory(rewarded)
    assert (graded.outcome.status, graded.outcome.score) == ("success", 1.0)
    assert graded.outcome.source_reward == 0.0
    assert msgspec.structs.replace(graded.outcome, source_reward=None) == plain.outcome
    labels = [label for label in graded.labels if label.name == "expected_actions"]
    assert [label.grade for label in labels] == ["success"]
    # nothing expected, nothing written: under the writes scope that is the ground truth met
    idle = verify_trajectory(imported([], Task(expected_scope="writes")))
    assert idle.outcome.status == "success"
